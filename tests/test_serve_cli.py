"""`arabic-ie tag`: JSONL/JSONL.gz/.txt/BRAT in, JSONL or BRAT out, the same spans as the Tagger, rejects with
line and reason, resume after a rerun or a kill, Ctrl-C keeps what was written, worker processes."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import pytest

from conftest import REPO_ROOT, SAMPLE_DIR

from arabic_ie.data.formats import read_brat
from arabic_ie.infer.tagger import load
from arabic_ie.serve.cli import main
from arabic_ie.serve.runner import run_tag

TEXTS = {
    "a": "وقالَ مصدرٌ محلي إنّ قوات الفرقة الرابعة اعتقلت أحمد الحريري في مدينة درعـــا يوم الأحد، وفرضت حصاراً على بلدة نوى.",
    "b": "والمتظاهرون في السويداء، رفعوا شعار «لا للحصار» (AFP) 2026.",
    "c": "",
    "d": "قصفت الطائرات مدينة حلب\r\nوقتل عشرة مدنيين.",
}


@pytest.fixture(scope="module")
def tagger(serve_package):
    return load(serve_package)


def _lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _jsonl_with_bad_lines(path):
    good = [json.dumps({"id": key, "text": text, "date": "2026-01-0" + str(i + 1)}, ensure_ascii=False) for i, (key, text) in enumerate(TEXTS.items())]
    lines = [good[0].encode(), b'{"id": "broken", "text": "\xd8', good[1].encode(), b"", b'{"id": "x", "text": ',
             b'{"id": "notext"}', b'["a list"]', good[2].encode(), b'{"id": 7, "text": 5}', good[3].encode(),
             json.dumps({"id": "a", "text": "again"}).encode()]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


EXPECTED_REJECTS = [
    (2, None, "not valid UTF-8 (byte 26 of the line: b'\\xd8')"),
    (5, None, "invalid JSON: Expecting value (column 21)"),
    (6, "notext", "no 'text' field"),
    (7, None, "a line must be a JSON object, not list"),
    (9, "7", "'text' is a int, not a string"),
]


def test_jsonl_in_jsonl_out_gives_the_taggers_spans_and_rejects_bad_lines_with_line_and_reason(tagger, tmp_path):
    source = _jsonl_with_bad_lines(tmp_path / "in.jsonl")
    counts = run_tag(None, [source], tmp_path / "out.jsonl", tagger=tagger, chunk_docs=2, progress=False)
    records = _lines(tmp_path / "out.jsonl")
    assert [r["id"] for r in records] == list(TEXTS)
    expected = tagger.tag_batch(list(TEXTS.values()), dates=[f"2026-01-0{i + 1}" for i in range(len(TEXTS))])
    for i, (record, result) in enumerate(zip(records, expected)):
        assert record == {"id": list(TEXTS)[i], "date": f"2026-01-0{i + 1}", **result}
    assert any(records[0]["entities"]) and any(r["triggers"] for r in records)
    rejects = _lines(tmp_path / "out.jsonl.rejects.jsonl")
    got = [(r["line"], r["id"], r["reason"]) for r in rejects]
    assert got == EXPECTED_REJECTS + [(11, "a", f"document id 'a' repeats {source}:1")]
    assert all(r["source"] == str(source) for r in rejects)
    assert counts["documents"] == 4 and counts["rejected"] == 6 and counts["skipped"] == 0
    assert counts["spans"]["entities"] == sum(len(r["entities"]) for r in expected)
    assert counts["words"] == sum(len(t.split()) for t in TEXTS.values())


def test_a_rerun_skips_done_ids_and_a_line_cut_by_a_kill_is_tagged_again(tagger, tmp_path):
    source = tmp_path / "in.jsonl.gz"
    with gzip.open(source, "wt", encoding="utf-8") as handle:
        for key, text in TEXTS.items():
            handle.write(json.dumps({"id": key, "text": text}, ensure_ascii=False) + "\n")
    out = tmp_path / "out.jsonl"
    run_tag(None, [source], out, tagger=tagger, progress=False)
    complete = out.read_bytes()
    again = run_tag(None, [source], out, tagger=tagger, progress=False)
    assert again["documents"] == 0 and again["skipped"] == 4 and out.read_bytes() == complete
    # a kill in the middle of the third line: two complete lines and half of one are on disk
    lines = complete.split(b"\n")
    out.write_bytes(lines[0] + b"\n" + lines[1] + b"\n" + lines[2][:15])
    resumed = run_tag(None, [source], out, tagger=tagger, progress=False)
    assert resumed["documents"] == 2 and resumed["skipped"] == 2 and resumed["truncated_bytes"] == 15
    assert out.read_bytes() == complete


def test_the_article_date_of_each_line_reaches_the_tagger_and_a_bad_one_is_rejected(tagger, tmp_path):
    class Recording:
        schemes = tagger.schemes

        def __init__(self):
            self.dates = []

        def tag_batch(self, texts, batch_size=32, dates=None):
            self.dates += dates
            return tagger.tag_batch(texts, batch_size, dates=dates)

    lines = [{"id": "a", "text": TEXTS["a"], "date": "2026-01-06"}, {"id": "b", "text": TEXTS["b"]},
             {"id": "c", "text": TEXTS["a"], "date": "2026-02-30"}, {"id": "d", "text": TEXTS["a"], "date": "6/1/2026"}]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    recording = Recording()
    run_tag(None, [source], tmp_path / "out.jsonl", tagger=recording, progress=False)
    assert recording.dates == ["2026-01-06", None]
    records = _lines(tmp_path / "out.jsonl")
    assert records == [{"id": "a", "date": "2026-01-06", **tagger(TEXTS["a"], date="2026-01-06")}, {"id": "b", **tagger(TEXTS["b"])}]
    rejects = [(r["line"], r["id"], r["reason"]) for r in _lines(tmp_path / "out.jsonl.rejects.jsonl")]
    why = " (the article date resolves relative DATE values)"
    assert rejects == [(3, "c", "'date' is not a calendar day: '2026-02-30'" + why), (4, "d", "'date' must be YYYY-MM-DD, got '6/1/2026'" + why)]


def test_ctrl_c_keeps_every_chunk_written_and_the_rerun_finishes(tagger, tmp_path):
    class Interrupting:
        def __init__(self):
            self.calls = 0
            self.schemes = tagger.schemes

        def tag_batch(self, texts, batch_size=32, dates=None):
            self.calls += 1
            if self.calls == 2:
                raise KeyboardInterrupt
            return tagger.tag_batch(texts, batch_size)

    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": k, "text": t}, ensure_ascii=False) + "\n" for k, t in TEXTS.items()), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    counts = run_tag(None, [source], out, tagger=Interrupting(), chunk_docs=2, progress=False)
    assert counts["interrupted"] == "KeyboardInterrupt" and counts["documents"] == 2
    assert [r["id"] for r in _lines(out)] == ["a", "b"]
    counts = run_tag(None, [source], out, tagger=tagger, chunk_docs=2, progress=False)
    assert counts["documents"] == 2 and counts["skipped"] == 2
    assert [r["id"] for r in _lines(out)] == list(TEXTS)


def test_a_folder_with_one_non_utf8_file_tags_the_others_and_names_the_bad_one(tagger, tmp_path, capsys, serve_package):
    folder = tmp_path / "articles"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_bytes(TEXTS["a"].encode("utf-8"))
    (folder / "sub" / "d.txt").write_bytes(TEXTS["d"].encode("utf-8"))
    (folder / "latin1.txt").write_bytes("café".encode("latin-1"))
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(serve_package), str(folder), "-o", str(out), "--no-progress", "--keep-text"]) == 0
    records = _lines(out)
    assert [r["id"] for r in records] == ["a", "sub/d"]
    assert records[1]["text"] == TEXTS["d"]
    assert {k: records[0][k] for k in ("entities", "triggers", "events")} == tagger(TEXTS["a"])
    rejects = _lines(tmp_path / "out.jsonl.rejects.jsonl")
    assert rejects == [{"source": str(folder / "latin1.txt"), "line": 1, "id": "latin1", "reason": "not valid UTF-8 (byte 3: b'\\xe9')"}]
    printed = capsys.readouterr().out
    assert printed.startswith("2 documents tagged (") and "0 skipped" in printed and "1 rejected" in printed
    assert f"first rejects: {folder / 'latin1.txt'}:1: not valid UTF-8" in printed


def test_brat_folder_in_brat_folder_out_reads_back_with_the_same_texts_and_spans(tagger, tmp_path):
    out = tmp_path / "brat"
    counts = run_tag(None, [SAMPLE_DIR / "test"], out, tagger=tagger, progress=False)
    gold, _ = read_brat(SAMPLE_DIR / "test")
    assert counts["output_format"] == "brat" and counts["documents"] == len(gold)
    predicted, _ = read_brat(out)
    assert [d.id for d in predicted] == [d.id for d in gold] and [d.text for d in predicted] == [d.text for d in gold]
    results = tagger.tag_batch([d.text for d in gold])
    for document, result in zip(predicted, results):
        spans = [(s["start"], s["end"], s["label"]) for s in result["entities"]]
        if all("\n" not in document.text[a:b] for a, b, _ in spans):
            assert [(s.start, s.end, s.label) for s in document.entities] == spans
    assert not list(out.glob("*.partial"))
    assert run_tag(None, [SAMPLE_DIR / "test"], out, tagger=tagger, progress=False)["skipped"] == len(gold)


def test_an_input_that_does_not_exist_is_one_clear_error(serve_package, tmp_path, capsys):
    assert main(["tag", str(serve_package), str(tmp_path / "nope"), "-o", str(tmp_path / "o.jsonl")]) == 2
    assert capsys.readouterr().err == (f"arabic-ie tag: error: {tmp_path / 'nope'}: input not found (expected .txt files, "
                                       "folders of them, BRAT folders, JSONL or JSONL.gz)\n")


def test_two_worker_processes_write_what_one_process_writes(serve_package, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": f"{k}{n}", "text": t}, ensure_ascii=False) + "\n"
                              for n in range(3) for k, t in TEXTS.items()), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src"), "HF_HUB_OFFLINE": "1"}
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}.jsonl"
        result = subprocess.run([sys.executable, "-m", "arabic_ie.serve.cli", "tag", str(serve_package), str(source), "-o", str(out),
                                 "--workers", workers, "--chunk-docs", "3", "--no-progress"],
                                capture_output=True, text=True, timeout=240, env=env)
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.startswith("12 documents tagged")
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
