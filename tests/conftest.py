"""Shared fixtures: the repository root, the shipped sample data, and a helper that writes a small
BRAT folder (NAME.txt / NAME.ann pairs plus an annotation.conf) into tmp_path."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO_ROOT / "data" / "sample"
ANERCORP_TRAIN = REPO_ROOT.parent / "shared" / "data" / "anercorp" / "train.txt"

# The package lives under src/ and is not necessarily installed into the venv: make it importable.
if str(REPO_ROOT / "src") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "src"))

# A very small encoder and a few steps: the point is the plumbing, not the scores.
SMALL_TINY = [
    "model=tiny",  # named, so that these stay small whatever the default model is
    "model.architecture.hidden_size=32",
    "model.architecture.num_hidden_layers=1",
    "model.architecture.num_attention_heads=2",
    "model.architecture.intermediate_size=64",
]
FEW_STEPS = [
    "trainer.max_steps=4",
    "trainer.eval_strategy=steps",
    "trainer.save_strategy=steps",
    "trainer.eval_steps=2",
    "trainer.save_steps=2",
    "trainer.logging_steps=1",
    "trainer.disable_tqdm=true",
    "trainer.report_to=[tensorboard]",
    "window.max_length=64",
    "window.stride=16",
]

# A reduced annotation.conf in the project's scheme (two entity types, two event types, plus the
# empty [relations] / [attributes] sections BRAT expects).
SMALL_CONF = """\
# test scheme
[entities]
PER
LOC

[relations]

[events]
ATTACK	Agent*:PER, Target*:PER|LOC, Place*:LOC
KILL	Agent*:PER, Target*:PER, Place*:LOC

[attributes]
"""


def write_brat_folder(folder: Path, files: dict[str, str | bytes], conf: str | None = SMALL_CONF) -> Path:
    """Create `folder` with each `files` entry (name -> str written as UTF-8 bytes exactly, or raw
    bytes) and, unless `conf` is None, an annotation.conf. Returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if conf is not None:
        (folder / "annotation.conf").write_bytes(conf.encode("utf-8"))
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def brat_folder(tmp_path):
    """Factory: brat_folder({"a.txt": ..., "a.ann": ...}, conf=SMALL_CONF) -> tmp_path/"brat"."""

    def make(files: dict[str, str | bytes], conf: str | None = SMALL_CONF, name: str = "brat") -> Path:
        return write_brat_folder(tmp_path / name, files, conf)

    return make


@pytest.fixture(scope="session")
def sample_splits():
    """The shipped sample data read with the BRAT reader: {split: (documents, report)}."""
    from arabic_ie.data.formats import read_brat

    return {split: read_brat(SAMPLE_DIR / split) for split in ("train", "dev", "test")}


SHARED_DIR = REPO_ROOT.parent / "shared"


def on_ci() -> bool:
    """CI=true (or 1, yes): what GitHub Actions, GitLab CI and .ci/run set."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require_shared(path: Path) -> Path:
    """`path` (read-only data in ../shared, next to the checkout) or, when it is missing, skip the
    test; on CI fail it instead, so that a broken CI checkout does not pass by skipping."""
    path = Path(path)
    if not path.exists():
        message = (f"{path} is missing: the read-only shared data is expected in {SHARED_DIR} (next to the "
                   f"repository checkout)")
        if on_ci():
            pytest.fail(f"{message}; on CI (CI={os.environ['CI']}) this is an error, not a skip", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def anercorp_train() -> Path:
    return require_shared(ANERCORP_TRAIN)


@pytest.fixture(scope="session")
def serve_package(tmp_path_factory) -> Path:
    """A joint package (random 1-layer BERT, no ONNX) exported the way test_inference's `joint` is,
    shared by the tests/test_serve_*.py files."""
    import os

    os.environ.setdefault("PROJECT_ROOT", str(REPO_ROOT))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from arabic_ie.package import export_package
    from test_inference import make_run

    root = tmp_path_factory.mktemp("serve")
    run = make_run(root / "run", max_length=64, stride=16)
    return export_package(run, root / "pkg", name="test_serve", onnx=False)


def valid_iob2(tags: list[str]) -> bool:
    """True when every I-X continues a B-X or I-X (written here, independent of data.labels)."""
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return False
        previous = tag
    return True
