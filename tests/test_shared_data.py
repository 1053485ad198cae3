"""The one helper behind every test that needs ../shared: it skips locally and fails on CI."""

from __future__ import annotations

import pytest

from conftest import ANERCORP_TRAIN, SHARED_DIR, require_shared


def test_present_shared_data_is_returned(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "true")
    (tmp_path / "train.txt").write_text("")
    assert require_shared(tmp_path / "train.txt") == tmp_path / "train.txt"


def test_the_anercorp_fixture_path_is_in_shared():
    assert ANERCORP_TRAIN == SHARED_DIR / "data" / "anercorp" / "train.txt"


def test_missing_shared_data_skips_locally(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"missing\.txt is missing: the read-only shared data is expected in"):
        require_shared(tmp_path / "missing.txt")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        require_shared(tmp_path / "missing.txt")


@pytest.mark.parametrize("value", ["true", "1", "TRUE", "yes"])
def test_missing_shared_data_fails_on_ci(tmp_path, monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match=rf"missing\.txt is missing: .*; on CI \(CI={value}\) this is an error, not a skip"):
        require_shared(tmp_path / "missing.txt")
