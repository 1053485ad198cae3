"""`arabic-ie tag --engine ray` on a local Ray with 2 workers: the same JSONL and rejects as the local engine, resumable."""

from __future__ import annotations

import gzip
import json

import pytest

from test_serve_cli import EXPECTED_REJECTS, TEXTS, _jsonl_with_bad_lines

from arabic_ie.infer.tagger import load
from arabic_ie.serve.runner import run_tag

pytest.importorskip("ray", reason="the serve extra (ray[data]) is not installed")


@pytest.mark.slow  # 35-55 s on 2 cores (Ray start-up); CI runs the slow suite
def test_ray_with_two_workers_writes_what_the_local_engine_writes(serve_package, tmp_path):
    from arabic_ie.serve.ray_engine import run_ray

    plain = _jsonl_with_bad_lines(tmp_path / "in.jsonl")
    packed = tmp_path / "more.jsonl.gz"
    with gzip.open(packed, "wt", encoding="utf-8") as handle:
        for n in range(20):
            for key, text in TEXTS.items():
                handle.write(json.dumps({"id": f"{key}{n}", "text": text}, ensure_ascii=False) + "\n")
    local = tmp_path / "local.jsonl"
    run_tag(None, [plain, packed], local, tagger=load(serve_package), progress=False)
    out = tmp_path / "ray.jsonl"
    counts = run_ray(serve_package, [plain, packed], out, workers=2, chunk_docs=16)
    assert counts["documents"] == 84 and counts["rejected"] == 6 and counts["workers"] == 2
    assert out.read_bytes() == local.read_bytes()
    rejects = [json.loads(line) for line in (tmp_path / "ray.jsonl.rejects.jsonl").read_text().splitlines()]
    assert sorted((r["line"], r["id"], r["reason"]) for r in rejects) == EXPECTED_REJECTS + [(11, "a", f"document id 'a' repeats {plain}:1")]
    # resume: a rerun tags nothing new (the repeated "a" of line 11 now counts as done, so skipped: 85)
    again = run_ray(serve_package, [plain, packed], out, workers=2, chunk_docs=16)
    assert again["documents"] == 0 and again["skipped"] == 85 and out.read_bytes() == local.read_bytes()
