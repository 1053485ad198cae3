"""A CRF run (model.head=crf) exported as a package: the CRF scores travel in crf.safetensors and
the manifest, and the Tagger's spans (PyTorch and the fp32 ONNX graph, Viterbi after) are those
of the training-time evaluation; a package without "decoding" (as before the CRF) still loads;
a CRF for one task only (model.head={ner: crf}) decodes the other task by argmax."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from conftest import valid_iob2
from test_inference import make_run, rebuild_model, run_and_package_metrics

from arabic_ie.infer.tagger import load
from arabic_ie.model.multitask import MultiHeadTagger
from arabic_ie.package import export_package


@pytest.fixture(scope="module")
def crf_run(tmp_path_factory):
    """(run_dir, package_dir): make_run's random model with a CRF whose transitions favour
    forbidden moves, so that argmax and Viterbi differ a lot."""
    root = tmp_path_factory.mktemp("crf")
    run = rebuild_model(make_run(root / "run"), with_crf("crf"))
    return run, export_package(run, root / "pkg", name="test_crf", onnx=True)


def with_crf(head):
    """A rebuild_model step: make_run's linear heads under `head` (model.head), CRF transitions random."""
    def rebuild(linear, meta):
        model = MultiHeadTagger(linear.encoder, linear.schemes, 0.0, head=head)
        model.heads.load_state_dict(linear.heads.state_dict())
        torch.manual_seed(3)
        with torch.no_grad():
            for crf in model.crfs.values():
                crf.transitions.normal_(0.0, 5.0)
        return model
    return rebuild


def test_the_package_lists_the_crf_scores(crf_run):
    _, pkg = crf_run
    manifest = json.loads((pkg / "manifest.json").read_text())
    assert manifest["format_version"] == 2 and "crf.safetensors" in manifest["files"]
    assert manifest["decoding"]["ner"]["type"] == "crf-viterbi"
    assert manifest["decoding"]["triggers"]["transitions"] == "triggers.transitions"


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_every_backend_gives_the_training_time_evaluation_and_valid_iob2(crf_run, backend, tmp_path):
    run_metrics, _ = run_and_package_metrics(*crf_run, tmp_path, backend)
    records = [json.loads(line) for line in (tmp_path / "run-eval" / "predictions" / "test.tags.jsonl").open()]
    assert all(valid_iob2(r["predicted"][t]) for r in records for t in ("ner", "triggers"))
    argmax_like = run_metrics["test"]["ner"]["strict"]["micro"]["f1"] == run_metrics["test"]["ner"]["default"]["micro"]["f1"]
    assert argmax_like  # valid IOB2 everywhere: strict and default modes agree


def test_viterbi_changes_the_tags_compared_with_argmax(crf_run, tmp_path):
    run, pkg = crf_run
    texts = [" ".join(["محمد", "في", "دمشق", "قال", "إن", "الجيش", "اعتقل"] * 6)]
    crf = load(pkg, backend="torch")
    plain = load(pkg, backend="torch")
    plain.decoders = {}
    assert crf.tag_batch(texts) != plain.tag_batch(texts)


def test_a_package_without_decoding_still_loads_and_decodes_by_argmax(crf_run, tmp_path):
    _, pkg = crf_run
    old = tmp_path / "old"
    shutil.copytree(pkg, old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest.pop("decoding")
    manifest["format_version"] = 1
    (old / "crf.safetensors").unlink()
    manifest["files"].pop("crf.safetensors")
    (old / "manifest.json").write_text(json.dumps(manifest))
    tagger = load(old, backend="torch")
    assert tagger.decoders == {} and isinstance(tagger("محمد في دمشق"), dict)


def test_a_crf_for_one_task_decodes_that_task_by_viterbi_and_the_other_by_argmax(tmp_path):
    run = rebuild_model(make_run(tmp_path / "run"), with_crf({"ner": "crf"}))
    model, meta = MultiHeadTagger.load(run / "model")
    assert meta["head"] == model.head == {"ner": "crf", "triggers": "linear"} and list(model.crfs) == ["ner"]
    pkg = export_package(run, tmp_path / "pkg", name="test_mixed", onnx=False)
    manifest = json.loads((pkg / "manifest.json").read_text())
    assert list(manifest["decoding"]) == ["ner"] and manifest["format_version"] == 2
    assert list(load(pkg, backend="torch").decoders) == ["ner"]
    run_and_package_metrics(run, pkg, tmp_path)
