"""Events in exported packages: the Tagger's events (PyTorch and ONNX) equal the run's evaluated
ones, their output records, DATE values with a `date=`, BRAT E lines in .ann output, and old
packages without the argument head."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import REPO_ROOT, SAMPLE_DIR
from test_inference import make_run

os.environ.setdefault("PROJECT_ROOT", str(REPO_ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from arabic_ie.data.documents import Event, event_to_dict  # noqa: E402
from arabic_ie.data.formats import read_brat  # noqa: E402
from arabic_ie.data.labels import LabelScheme  # noqa: E402
from arabic_ie.serve.predict import predict_files  # noqa: E402
from arabic_ie.infer.tagger import load  # noqa: E402
from arabic_ie.package import export_package  # noqa: E402
from arabic_ie.train.run import evaluate_encoded, load_trained  # noqa: E402

TYPES = {"ner": ("PER", "ORG", "LOC", "DATE"), "triggers": ("ATTACK", "KILL", "INJURE", "ARREST", "SIEGE", "DEPLOY", "WITHDRAW",
                                                             "MEET", "NEGOTIATE", "AGREE", "DEMAND", "PROTEST")}


def make_events_run(folder: Path, seed: int = 0) -> Path:
    """A run directory as training leaves it, with a random 1-layer BERT, sharp random span heads
    and a random argument head (no training: the point is that every path computes the same)."""
    return make_run(folder, max_length=48, stride=12, seed=seed, schemes={t: LabelScheme(t, v) for t, v in TYPES.items()},
                    with_events=True, metrics={})


@pytest.fixture(scope="module")
def events_package(tmp_path_factory):
    root = tmp_path_factory.mktemp("events")
    run = make_events_run(root / "run")
    return run, export_package(run, root / "pkg", name="test_events", onnx=True)


@pytest.fixture(scope="module")
def evaluated(events_package, tmp_path_factory):
    """The run's own evaluation (train.run.evaluate_encoded) of the sample test split."""
    run, _ = events_package
    model, tokenizer, featurizer = load_trained(run)
    documents, _ = read_brat(SAMPLE_DIR / "test")
    out = tmp_path_factory.mktemp("evaluated")
    metrics = evaluate_encoded(model, featurizer, {"test": featurizer.encode(documents)}, tokenizer.pad_token_id, 7, out)
    records = [json.loads(line) for line in (out / "predictions" / "test.events.jsonl").read_text(encoding="utf-8").splitlines()]
    return documents, metrics, records


def test_export_carries_the_argument_head_and_its_graphs(events_package):
    _, pkg = events_package
    manifest = json.loads((pkg / "manifest.json").read_text())
    assert manifest["tasks"] == ["ner", "triggers"]
    entry = manifest["events"]
    assert entry["file"] == "arguments.safetensors" and entry["labels"] == ["none", "Agent", "Target", "Place", "Time"]
    assert entry["onnx"] == {"fp32": "onnx/events.onnx", "int8": "onnx/events.int8.onnx", "inputs": ["input_ids", "attention_mask", "pairs"],
                             "outputs": ["events"]}
    assert entry["spec"]["allowed"]["MEET"] == {"Agent": ["ORG", "PER"], "Place": ["LOC"], "Time": ["DATE"]}
    for name in ("arguments.safetensors", "onnx/events.onnx", "onnx/events.int8.onnx"):
        assert name in manifest["files"]


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_package_events_equal_the_evaluated_ones(events_package, evaluated, backend):
    _, pkg = events_package
    documents, metrics, records = evaluated
    expected = [r["e2e"] for r in records]
    assert sum(len(e) for e in expected) >= 20  # enough events for the comparison to mean something
    tagger = load(pkg, backend=backend)
    predictions = tagger.predict_documents(documents, batch_size=5)
    assert [[event_to_dict(e) for e in p.event_objects] for p in predictions] == expected
    # the output records are the same events, with the spans as in "entities"/"triggers"
    first = predictions[0].to_dict()
    assert [(e["type"], e["trigger"]["start"], [(a["role"], a["span"]["start"], a["span"]["end"]) for a in e["arguments"]])
            for e in first["events"]] == [(e["type"], e["trigger"]["start"], [(a["role"], a["start"], a["end"]) for a in e["arguments"]])
                                          for e in expected[0]]
    assert all(a["span"] in first["entities"] for e in first["events"] for a in e["arguments"])


def test_events_carry_the_date_of_their_time_argument(events_package):
    _, pkg = events_package
    tagger = load(pkg, backend="torch")
    documents, _ = read_brat(SAMPLE_DIR / "test")
    with_date = tagger.tag_batch([d.text for d in documents], dates=[d.metadata["date"] for d in documents])
    without = tagger.tag_batch([d.text for d in documents])
    dated = [e for r in with_date for e in r["events"] if any(a["role"] == "Time" for a in e["arguments"])]
    assert dated, "the random head should give some Time arguments"
    for event in dated:
        time = next(a["span"] for a in event["arguments"] if a["role"] == "Time")
        assert event["date"] == time["value"]
    # a weekday resolves only against an article date; "تموز 2018" needs none
    values = {(r["text"], r["value"]) for result in without for r in result["entities"] if r["label"] == "DATE"}
    assert all(value is None or len(value) <= 7 for _, value in values)
    assert tagger("قصفت القوات درعا الثلاثاء", date="2019-04-01")["entities"] is not None
    with pytest.raises(ValueError, match=r"the date of text 1 is not a calendar day: '2019-02-29'"):
        tagger.tag_batch(["قصف", "قصف"], dates=[None, "2019-02-29"])
    with pytest.raises(ValueError, match=r"the date of text 0 must be YYYY-MM-DD, got '1/4/2019'"):
        tagger("قصف", date="1/4/2019")


def test_brat_output_has_the_events_as_e_lines(events_package, tmp_path):
    _, pkg = events_package
    tagger = load(pkg, backend="torch")
    counts = predict_files(tagger, SAMPLE_DIR / "test", tmp_path / "out", output_format_name="brat", progress=False)
    assert counts["documents"] == 6
    read_back, report = read_brat(tmp_path / "out")  # the E lines' roles are declared in the written annotation.conf
    documents, _ = read_brat(SAMPLE_DIR / "test")
    expected = tagger.predict_documents(documents)
    # a random model's span may run over a line break: BRAT cuts it into one span per line, and
    # the arguments over it are counted as not written; all the others are in the E lines
    def whole(document, span):
        return "\n" not in document.text[span.start:span.end]

    kept = [[Event(e.trigger, tuple(a for a in e.arguments if whole(d, a.span))) for e in p.event_objects if whole(d, e.trigger)]
            for d, p in zip(documents, expected)]
    kept = [[e for e in events if e.arguments] for events in kept]
    assert sum(len(e.arguments) for p in expected for e in p.event_objects) > sum(len(e.arguments) for k in kept for e in k) > 20
    assert [d.events for d in read_back] == kept
    assert any(line.startswith("E") and "Agent" in line or "Target" in line
               for d in read_back for line in (tmp_path / "out" / f"{d.id}.ann").read_text(encoding="utf-8").splitlines())


def test_a_package_without_the_head_loads_and_gives_no_events(tmp_path, events_package):
    run, _ = events_package
    old = tmp_path / "old-run"
    import shutil

    shutil.copytree(run, old)
    meta = json.loads((old / "model" / "tagger.json").read_text())
    del meta["arguments"]
    (old / "model" / "tagger.json").write_text(json.dumps(meta))
    (old / "model" / "arguments.safetensors").unlink()
    pkg = export_package(old, tmp_path / "pkg", name="old", onnx=False)
    manifest = json.loads((pkg / "manifest.json").read_text())
    assert manifest["events"] is None and "arguments.safetensors" not in manifest["files"]
    # a manifest written before the "events" key existed
    del manifest["events"]
    result = load(pkg, backend="torch", verify=False)("قصفت قوات النظام بلدة طفس الثلاثاء")
    assert result["events"] == [] and set(result) == {"entities", "triggers", "events"}
