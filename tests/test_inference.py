"""The inference package: export, manifest and tamper detection, atomic export, `load()` and the
Tagger's spans (offsets into the original text, long, empty and non-Arabic input, batch-size and
order independence), Hugging Face compatibility, ONNX, predict.py and package evaluation.

The fast tests use runs made here without training (a random 1-layer BERT saved the way training
saves it): what is checked is the plumbing and the equality of the package's computations with
the training code's. The slow ones train a short run, round-trip it, and build a wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from seqeval.metrics.sequence_labeling import get_entities

from conftest import REPO_ROOT, SAMPLE_DIR

os.environ.setdefault("PROJECT_ROOT", str(REPO_ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from arabic_ie import package as package_module  # noqa: E402
from arabic_ie.package import export as export_module  # noqa: E402
from arabic_ie.data.arabic import ArabicNormalizer, WordSegmenter, bare  # noqa: E402
from arabic_ie.data.documents import Document  # noqa: E402
from arabic_ie.data.formats import read_brat, read_jsonl  # noqa: E402
from arabic_ie.infer.tagger import load  # noqa: E402
from arabic_ie.package.loading import hf_model, load_torch_model  # noqa: E402
from arabic_ie.data.labels import LabelScheme  # noqa: E402
from arabic_ie.model.multitask import MultiHeadTagger  # noqa: E402
from arabic_ie.package import PackageError, export_package, verify  # noqa: E402
from arabic_ie.evaluate.span_metrics import exact_scores, word_spans  # noqa: E402
from arabic_ie.model.tokenization import train_wordpiece  # noqa: E402

SCHEMES = {
    "ner": LabelScheme("ner", ("PER", "ORG", "LOC", "DATE")),
    "triggers": LabelScheme("triggers", ("ATTACK", "KILL", "ARREST", "SIEGE")),
}
NORMALIZER = {"remove_diacritics": True, "remove_tatweel": True, "normalize_letters": False}
# Diacritics, tatweel, proclitics, a lone tatweel word, tabs, a no-break space, CRLF and Latin text.
HARD_TEXT = ("وقالَ مصدرٌ في مدينةِ درعـــا إنَّ قواتِ الفرقة الرابعة\tاعتقلت  أحمد\u00a0الحريري بالقرب من نوى "
             "يوم الأحد ـ وفرضت حصاراً على البلدة.\r\nوالمتظاهرون في السويداء، رفعوا شعار «لا للحصار» (AFP) 2026.")
TAGGER_ONLY = ["hydra", "omegaconf", "seqeval", "arabic_ie.train.run", "arabic_ie.evaluate.metrics", "arabic_ie.train.config", "datasets"]


def make_run(folder: Path, tasks=("ner", "triggers"), max_length: int = 32, stride: int = 8, seed: int = 0,
             schemes: dict | None = None, with_events: bool = False, metrics: dict | None = None) -> Path:
    """A run directory as `training.train` leaves it (model/ with encoder, heads, tokenizer and
    tagger.json; metrics.json; versions.json), with a random 1-layer BERT instead of training.
    `schemes` default to SCHEMES' for `tasks`; `with_events` adds a random argument head (the roles
    of the sample annotation.conf); `metrics` default to 0.5 everywhere on test."""
    from transformers import BertConfig, BertModel

    train_docs, _ = read_brat(SAMPLE_DIR / "train")
    segmenter = WordSegmenter.from_documents(train_docs, split_proclitics=True)
    normalizer = ArabicNormalizer(**NORMALIZER)
    words = [normalizer(d.text[s:e]) or d.text[s:e] for d in train_docs for s, e in segmenter.words(d.text)]
    tokenizer = train_wordpiece(words, vocab_size=3000, min_frequency=2)
    torch.manual_seed(seed)
    encoder = BertModel(BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                   intermediate_size=64, pad_token_id=tokenizer.pad_token_id), add_pooling_layer=False)
    schemes = schemes or {t: SCHEMES[t] for t in tasks}
    arguments = None
    if with_events:
        from arabic_ie.data.corpus import Corpus
        from arabic_ie.data.formats.brat import read_event_roles
        from arabic_ie.train.events import argument_spec

        roles = read_event_roles(SAMPLE_DIR / "annotation.conf")
        arguments = argument_spec(Corpus({"train": train_docs}, {t: list(s.types) for t, s in schemes.items()}, roles=roles))
    model = MultiHeadTagger(encoder, schemes, dropout=0.0, arguments=arguments)
    with torch.no_grad():  # sharper random heads: more (and more varied) spans to check
        for head in model.heads.values():
            head.weight.mul_(20)
        if arguments is not None:
            model.argument_head.mlp[-1].bias[0] -= 2.0  # fewer "none": more arguments to compare
    model.save(folder / "model", extra={"normalizer": NORMALIZER, "segmenter": segmenter.to_dict(),
                                        "window": {"max_length": max_length, "stride": stride},
                                        "model": "tiny (random, for tests)", "training_data": "sample"})
    tokenizer.save_pretrained(folder / "model")
    if metrics is None:
        metrics = {"test": {t: {"default": {"micro": {"precision": 0.5, "recall": 0.5, "f1": 0.5}, "per_type": {}}} for t in schemes}}
    (folder / "metrics.json").write_text(json.dumps(metrics))
    (folder / "versions.json").write_text(json.dumps({"torch": torch.__version__}))
    return folder


def rebuild_model(run: Path, build) -> Path:
    """Replace the model of a `make_run` run with `build(loaded_model, meta)` (a MultiHeadTagger),
    saved with the run's normalizer, segmenter and window."""
    loaded, meta = MultiHeadTagger.load(run / "model")
    model = build(loaded, meta)
    own = ("tasks", "schemes", "loss_weights", "head", "arguments", "word_vectors")  # what save() writes itself
    model.save(run / "model", extra={k: v for k, v in meta.items() if k not in own})
    return run


def run_and_package_metrics(run: Path, pkg: Path, folder: Path, backend: str = "torch") -> tuple[dict, dict]:
    """The sample test split scored by the run's own evaluation (train.run.evaluate_run, written to
    folder/run-eval) and by the package on `backend` (written to folder/pkg-eval); asserts that both
    give the same seqeval scores for every span task."""
    from arabic_ie.infer.evaluation import evaluate_package
    from arabic_ie.train.run import evaluate_run

    from test_training import config

    data = config().data
    run_metrics = evaluate_run(run, data, ["test"], batch_size=8, output_dir=folder / "run-eval")
    package_metrics = evaluate_package(pkg, data, ["test"], batch_size=8, backend=backend, output_dir=folder / "pkg-eval")
    for task in ("ner", "triggers"):
        assert package_metrics["test"][task]["seqeval"] == run_metrics["test"][task], (backend, task)
    return run_metrics, package_metrics


@pytest.fixture(scope="module")
def joint(tmp_path_factory):
    """(run_dir, package_dir) of a joint model, exported with its ONNX graphs."""
    root = tmp_path_factory.mktemp("joint")
    run = make_run(root / "run")
    return run, export_package(run, root / "pkg", name="test_joint", onnx=True)


@pytest.fixture(scope="module")
def ner_only(tmp_path_factory):
    root = tmp_path_factory.mktemp("ner")
    run = make_run(root / "run", tasks=("ner",), max_length=64, stride=16, seed=1)
    return run, export_package(run, root / "pkg", name="test_ner", onnx=False)


@pytest.fixture(scope="module")
def tagger(joint):
    return load(joint[1], backend="torch")  # the reference the other backends are compared with


@pytest.fixture(scope="module")
def sample_texts(sample_splits):
    return [d.text for split in ("dev", "test") for d in sample_splits[split][0]]


# ---------------------------------------------------------------------------------------------
# export and manifest


def test_export_writes_a_self_contained_package_with_a_manifest(joint):
    run, pkg = joint
    files = sorted(p.relative_to(pkg).as_posix() for p in pkg.rglob("*") if p.is_file())
    assert files == ["README.md", "config.json", "heads.safetensors", "manifest.json", "model.safetensors",
                     "onnx/model.int8.onnx", "onnx/model.onnx", "segmenter.json", "tokenizer.json", "tokenizer_config.json"]
    manifest = json.loads((pkg / "manifest.json").read_text())
    assert manifest["format"] == "arabic-ie-package" and manifest["name"] == "test_joint"
    assert manifest["tasks"] == ["ner", "triggers"]
    assert manifest["label_schemes"]["triggers"]["labels"] == SCHEMES["triggers"].labels
    assert manifest["preprocessing"]["normalizer"] == NORMALIZER and manifest["preprocessing"]["split_proclitics"] is True
    assert manifest["window"] == {"max_length": 32, "stride": 8}
    assert manifest["versions"]["training"]["torch"] and manifest["versions"]["export"]["transformers"].startswith("5.")
    assert manifest["metrics"]["scores"]["test"]["ner"]["default"]["micro"]["f1"] == 0.5
    assert manifest["default_backend"] == "auto" and manifest["onnx"]["int8"] == "onnx/model.int8.onnx"
    assert set(manifest["files"]) == set(files) - {"manifest.json"}
    for name, entry in manifest["files"].items():
        assert entry["sha256"] == package_module.sha256_file(pkg / name) and entry["bytes"] == (pkg / name).stat().st_size
    card = (pkg / "README.md").read_text()
    for needle in ("## Training data", "## Evaluation", "| test | ner | default |", "## Intended use", "## Licence", "Apache-2.0",
                   "pipeline_tag: token-classification"):
        assert needle in card, needle
    assert not list(pkg.parent.glob(".pkg.partial-*"))
    config = json.loads((pkg / "tokenizer_config.json").read_text())
    assert config["model_max_length"] == 32 and "local_files_only" not in config


def test_export_takes_the_encoders_licence_unless_one_is_given(tmp_path):
    run = make_run(tmp_path / "run", tasks=("ner",))
    tagger_file = run / "model" / "tagger.json"
    tagger_file.write_text(json.dumps({**json.loads(tagger_file.read_text()), "model_license": "CC BY-NC-SA 4.0"}))
    pkg = export_package(run, tmp_path / "inherited", onnx=False)
    assert json.loads((pkg / "manifest.json").read_text())["license"] == "CC BY-NC-SA 4.0"
    assert "license: cc-by-nc-sa-4.0" in (pkg / "README.md").read_text()
    assert "CC BY-NC-SA 4.0 (the fine-tuned encoder's licence, which every model built on it inherits)" in (
        pkg / "README.md").read_text()
    given = export_package(run, tmp_path / "given", onnx=False, license="MIT")
    assert json.loads((given / "manifest.json").read_text())["license"] == "MIT"


def test_export_refuses_an_existing_folder_unless_overwrite(joint, tmp_path):
    run, _ = joint
    target = tmp_path / "pkg"
    target.mkdir()
    (target / "keep.txt").write_text("x")
    with pytest.raises(FileExistsError):
        export_package(run, target, onnx=False)
    export_package(run, target, onnx=False, overwrite=True)
    assert not (target / "keep.txt").exists() and verify(target)["name"] == "arabic_ie_sample_joint_tiny"
    assert [p.name for p in tmp_path.iterdir()] == ["pkg"]


def test_an_interrupted_export_leaves_no_complete_looking_folder(joint, tmp_path, monkeypatch):
    run, _ = joint

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed while writing the model card")

    monkeypatch.setattr(export_module, "model_card", crash)
    with pytest.raises(KeyboardInterrupt):
        export_package(run, tmp_path / "pkg", onnx=False)
    assert list(tmp_path.iterdir()) == []  # neither the package nor the partial folder
    # replacing an existing package: a failure keeps the old one intact
    monkeypatch.undo()
    export_package(run, tmp_path / "pkg", onnx=False)
    before = verify(tmp_path / "pkg")
    monkeypatch.setattr(export_module, "model_card", crash)
    with pytest.raises(KeyboardInterrupt):
        export_package(run, tmp_path / "pkg", onnx=False, overwrite=True)
    assert verify(tmp_path / "pkg") == before and [p.name for p in tmp_path.iterdir()] == ["pkg"]


# ---------------------------------------------------------------------------------------------
# tamper detection


def _flip_byte(path: Path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage, name, message", [
    (_flip_byte, "model.safetensors", "SHA-256 differs"),
    (lambda p: p.write_bytes(p.read_bytes()[:-10]), "tokenizer.json", "truncated or altered"),
    (lambda p: p.unlink(), "heads.safetensors", "missing"),
    (lambda p: p.write_bytes(b"cos\nsystem\n(S'echo pwned'\ntR."), "extra.pkl", "not listed in the manifest"),
    (lambda p: p.write_text("notes"), "onnx/notes.txt", "not listed in the manifest"),
    (lambda p: p.unlink(), "manifest.json", "manifest.json: missing"),
    (lambda p: p.write_text("{not json"), "manifest.json", "not valid UTF-8 JSON"),
])
def test_a_missing_truncated_altered_or_extra_file_is_refused_by_name(joint, tmp_path, damage, name, message):
    copy = tmp_path / "pkg"
    shutil.copytree(joint[1], copy)
    damage(copy / name)
    with pytest.raises(PackageError, match=message) as error:
        load(copy)
    assert name in str(error.value)


def test_files_that_can_carry_code_are_refused_even_when_listed(joint, tmp_path):
    copy = tmp_path / "pkg"
    shutil.copytree(joint[1], copy)
    (copy / "pytorch_model.bin").write_bytes(b"\x80\x02}q\x00.")
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"]["pytorch_model.bin"] = {"sha256": package_module.sha256_file(copy / "pytorch_model.bin"), "bytes": 6}
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(PackageError, match="pytorch_model.bin: .bin files can carry code"):
        load(copy)
    with pytest.raises(PackageError, match="no such package folder"):
        load(tmp_path / "nowhere")


# ---------------------------------------------------------------------------------------------
# tagging


def _check_spans(text: str, result: dict, schemes=SCHEMES):
    # these packages have no argument head: "events" (where the Tagger gives it) is empty
    assert [k for k in result if k != "events"] == ["entities", "triggers"] and result.get("events", []) == []
    for key, task in (("entities", "ner"), ("triggers", "triggers")):
        previous_end = 0
        for span in result[key]:
            # a DATE entity also carries its calendar value (None here: no article date given)
            assert set(span) == {"start", "end", "label", "text", "score"} | ({"value"} if span["label"] == "DATE" and key == "entities" else set())
            assert 0 <= span["start"] < span["end"] <= len(text) and span["start"] >= previous_end
            assert text[span["start"] : span["end"]] == span["text"]
            assert span["label"] in schemes[task].types  # bare type, no B-/I-
            assert 0.0 <= span["score"] <= 1.0 and round(span["score"], 4) == span["score"]
            assert span["text"] == span["text"].strip()
            previous_end = span["end"]
    json.dumps(result)  # JSON-ready


def test_offsets_point_into_the_original_text_with_diacritics_tatweel_proclitics_and_odd_whitespace(tagger):
    result = tagger(HARD_TEXT)
    _check_spans(HARD_TEXT, result)
    assert len(result["entities"]) + len(result["triggers"]) > 5  # the random model tags plenty
    words = [HARD_TEXT[s:e] for s, e in tagger.words(HARD_TEXT)]
    assert words[:3] == ["و", "قالَ", "مصدرٌ"] and "درعـــا" in words and "ـ" in words
    assert ["و", "المتظاهرون"] == words[words.index("المتظاهرون") - 1 : words.index("المتظاهرون") + 1]
    # every span starts and ends on word boundaries of the original text
    starts, ends = {s for s, _ in tagger.words(HARD_TEXT)}, {e for _, e in tagger.words(HARD_TEXT)}
    assert all(s["start"] in starts and s["end"] in ends for key in result for s in result[key])


def test_spans_and_scores_follow_the_word_tags(tagger):
    document = Document("x", HARD_TEXT)
    prediction = tagger.predict_documents([document])[0]
    for task in ("ner", "triggers"):
        for span in prediction.spans[task]:
            first = next(i for i, (s, _) in enumerate(prediction.words) if s == span["start"])
            last = next(i for i, (_, e) in enumerate(prediction.words) if e == span["end"])
            assert prediction.tags[task][first].endswith("-" + span["label"])
            assert all(t[2:] == span["label"] for t in prediction.tags[task][first : last + 1])
            assert span["score"] == round(float(np.mean(prediction.probabilities[task][first : last + 1])), 4)


def test_empty_whitespace_and_non_arabic_input(tagger):
    assert tagger("") == {"entities": [], "triggers": [], "events": []}
    assert tagger(" \n\t\u00a0 ") == {"entities": [], "triggers": [], "events": []}
    for text in ("Reuters reported clashes near the border on Monday.", "12345 ... !!!", "😀"):
        _check_spans(text, tagger(text))
    assert tagger.tag_batch([]) == []
    with pytest.raises(TypeError, match="text 1 is a bytes"):
        tagger.tag_batch(["نص", b"bytes"])


def test_results_do_not_depend_on_batch_size_or_document_order(tagger, sample_texts):
    texts = sample_texts[:3] + [HARD_TEXT, "", "قصفت قوات النظام بلدة نوى"] + sample_texts[-2:]
    reference = tagger.tag_batch(texts, batch_size=32)
    assert tagger.tag_batch(texts[2:4], batch_size=1) == reference[2:4]
    assert tagger.tag_batch(texts, batch_size=5) == reference
    assert tagger.tag_batch(texts[::-1], batch_size=7) == reference[::-1]
    assert [tagger(t) for t in texts[:3]] == reference[:3]


def test_a_very_long_document_is_windowed_as_in_training(joint, tagger, sample_splits):
    from arabic_ie.train.run import load_trained, predict_logits

    run, _ = joint
    text = "\n\n".join(d.text for d in sample_splits["test"][0] * 3)
    assert len(text.split()) > 3000
    result = tagger(text)
    _check_spans(text, result)
    # the training code's own path (its model, tokenizer, windows and decoding) gives the same spans
    model, tokenizer, featurizer = load_trained(run)
    corpus = featurizer.encode([Document("long", text)], with_labels=False)
    assert len(corpus.windows) > 100
    tags = featurizer.decode(corpus, predict_logits(model, corpus, tokenizer.pad_token_id, batch_size=16))
    spans = featurizer.spans(corpus, tags)
    for key, task in (("entities", "ner"), ("triggers", "triggers")):
        assert [(s["start"], s["end"], s["label"]) for s in result[key]] == [(s.start, s.end, s.label) for s in spans[task][0]]


def test_a_task_the_package_was_not_trained_for_gives_an_empty_list(ner_only):
    tagger = load(ner_only[1])
    result = tagger(HARD_TEXT)
    assert result["triggers"] == [] and result["entities"]
    with pytest.raises(PackageError, match="no ONNX graph"):
        load(ner_only[1], backend="onnx")
    with pytest.raises(ValueError, match="unknown backend"):
        load(ner_only[1], backend="tpu")


# ---------------------------------------------------------------------------------------------
# Hugging Face compatibility


def test_a_single_task_package_is_a_standard_token_classification_folder(ner_only):
    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

    _, pkg = ner_only
    model, info = AutoModelForTokenClassification.from_pretrained(pkg, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    assert type(model).__name__ == "BertForTokenClassification"
    assert model.config.id2label == dict(enumerate(SCHEMES["ner"].labels))
    assert model.config.label2id["B-LOC"] == SCHEMES["ner"].label2id["B-LOC"]
    tokenizer = AutoTokenizer.from_pretrained(pkg)
    assert tokenizer.model_max_length == 64
    # same logits as our tagger's model
    ours = load_torch_model(pkg, verify(pkg))
    ids = torch.tensor([[2, 40, 41, 42, 3]])
    with torch.inference_mode():
        assert torch.allclose(model(input_ids=ids).logits, ours(ids, torch.ones_like(ids))[0], atol=1e-6)
    # the pipeline loads the folder; its tokenizer applies the Arabic normalisation to raw text.
    # Compared per token (aggregation "none"): HF's word grouping takes a token whose text was
    # normalised (درعـــا -> درعا) for a subword and glues it to the word before.
    text = "قالَ مصدرٌ في درعـــا"  # four words of one token each, no proclitic: the pipeline sees our words
    tokens = pipeline("token-classification", model=str(pkg), aggregation_strategy="none")(text)
    assert len(tokenizer.tokenize(text)) == 4
    by_word = {token["index"] - 1: token for token in tokens}  # index 0 is [CLS]; "O" tokens are left out
    tags = [by_word[i]["entity"] if i in by_word else "O" for i in range(4)]
    ours = load(pkg)(text)["entities"]
    assert ours  # whatever the untrained model finds (four one-word spans today): the pipeline's tags give the same
    assert [(label, by_word[first]["start"]) for label, first, _ in get_entities(tags)] == \
        [(s["label"], s["start"]) for s in ours]
    for label, first, last in get_entities(tags):  # the pipeline's offsets stop before a diacritic its tokenizer removed
        span = next(s for s in ours if s["start"] == by_word[first]["start"])
        end = by_word[last]["end"]
        assert end <= span["end"] and bare(text[end : span["end"]]) == "", (label, span)
    encoded = tokenizer("درعـــا قالَ")
    assert encoded["input_ids"] == tokenizer("درعا قال")["input_ids"]


def test_each_head_of_a_joint_package_is_reachable_as_a_hugging_face_model(joint, tagger):
    from transformers import AutoModelForTokenClassification, pipeline

    _, pkg = joint
    first = AutoModelForTokenClassification.from_pretrained(pkg)
    assert first.config.id2label == dict(enumerate(SCHEMES["ner"].labels))
    triggers = hf_model(pkg, "triggers")
    assert triggers.config.id2label == dict(enumerate(SCHEMES["triggers"].labels)) and triggers.num_labels == 9
    ids = torch.tensor([[2, 50, 51, 52, 53, 3]])
    ours = tagger.runner.module
    with torch.inference_mode():
        ner_logits, trigger_logits = ours(ids, torch.ones_like(ids))
        assert torch.allclose(first(input_ids=ids).logits, ner_logits, atol=1e-6)
        assert torch.allclose(triggers(input_ids=ids).logits, trigger_logits, atol=1e-6)
    # on a text that fits one window, the pipeline fed our words with our tokenizer finds our spans
    text = "وقصفت قوات النظام بلدة نوى في ريف درعا الغربي"
    words = tagger.words(text)
    pipe = pipeline("token-classification", model=triggers, tokenizer=tagger.tokenizer, aggregation_strategy="first")
    strings = [text[s:e] for s, e in words]
    offsets, position = [], 0
    for string in strings:
        offsets.append(position)
        position += len(string) + 1
    got = []
    for entity in pipe([strings], is_split_into_words=True)[0]:
        first_word, last_word = offsets.index(entity["start"]), max(i for i, o in enumerate(offsets) if o < entity["end"])
        got.append((words[first_word][0], words[last_word][1], entity["entity_group"]))
    assert got == [(s["start"], s["end"], s["label"]) for s in tagger(text)["triggers"]]
    with pytest.raises(ValueError, match="no 'sentiment' head"):
        hf_model(pkg, "sentiment")


# ---------------------------------------------------------------------------------------------
# ONNX


def test_onnx_fp32_gives_the_same_spans_as_pytorch_and_int8_runs(joint, tagger, sample_texts):
    _, pkg = joint
    reference = tagger.tag_batch(sample_texts)
    onnx_tagger = load(pkg, backend="onnx", threads=1)
    got = onnx_tagger.tag_batch(sample_texts)
    strip = lambda results: [{k: [(s["start"], s["end"], s["label"]) for s in r[k]] for k in ("entities", "triggers")} for r in results]  # noqa: E731
    assert strip(got) == strip(reference)
    scores = [(a["score"], b["score"]) for r, g in zip(reference, got) for k in ("entities", "triggers") for a, b in zip(r[k], g[k])]
    assert max(abs(a - b) for a, b in scores) < 1e-3
    int8 = load(pkg, backend="onnx-int8").tag_batch(sample_texts[:2])
    for text, result in zip(sample_texts, int8):
        _check_spans(text, result)
    # int8 weights move a few spans, not most (on this model 816 of 836 spans agree exactly)
    triples = lambda results, key: [[(s["start"], s["end"], s["label"]) for s in r[key]] for r in results]  # noqa: E731
    for key in ("entities", "triggers"):
        agreement = exact_scores(triples(reference[:2], key), triples(int8, key))["micro"]
        assert agreement["gold"] > 300 and agreement["f1"] > 0.95, (key, agreement)


def test_the_default_backend_is_the_fp32_graph_where_onnxruntime_is_installed(joint, ner_only, monkeypatch):
    assert load(joint[1]).backend == "onnx"
    assert load(ner_only[1]).backend == "torch"  # exported without ONNX graphs
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` now fails
    assert load(joint[1]).backend == "torch"


# ---------------------------------------------------------------------------------------------
# predict.py and package evaluation


def test_predict_writes_jsonl_and_brat_that_our_readers_read_back(joint, tagger, tmp_path, sample_splits):
    from arabic_ie.serve.predict import predict_files

    documents = sample_splits["test"][0][:3]
    folder = tmp_path / "txt"
    folder.mkdir()
    for document in documents:
        (folder / f"{document.id}.txt").write_bytes(document.text.encode("utf-8"))
    (folder / "empty.txt").write_bytes(b"")
    counts = predict_files(tagger, folder, tmp_path / "out.jsonl", progress=False)
    assert counts["documents"] == 4 and counts["input_format"] == "txt" and counts["output_format"] == "jsonl"
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == sorted([d.id for d in documents] + ["empty"])
    reread, _ = read_jsonl(tmp_path / "out.jsonl")
    expected = tagger.tag_batch([r["text"] for r in records])
    for record, document, result in zip(records, reread, expected):
        assert {k: record[k] for k in ("entities", "triggers", "events")} == result
        assert [(s.start, s.end, s.label) for s in document.entities] == [(s["start"], s["end"], s["label"]) for s in result["entities"]]
    # BRAT in (gold ignored), BRAT out: opens in BRAT, reads back with our reader
    counts = predict_files(tagger, SAMPLE_DIR / "test", tmp_path / "brat", progress=False)
    assert counts["input_format"] == "brat" and counts["output_format"] == "brat"
    brat, _ = read_brat(tmp_path / "brat")
    gold, _ = read_brat(SAMPLE_DIR / "test")
    assert [d.id for d in brat] == [d.id for d in gold] and [d.text for d in brat] == [d.text for d in gold]
    results = tagger.tag_batch([d.text for d in gold])
    crossing = 0
    for document, result in zip(brat, results):
        expected = []
        for span in result["triggers"]:  # BRAT shows one annotation per line: spans are cut at line breaks
            pieces = [(a, b) for a, b in _line_pieces(document.text, span["start"], span["end"])]
            crossing += len(pieces) > 1
            expected += [(a, b, span["label"]) for a, b in pieces]
        assert sorted((s.start, s.end, s.label) for s in document.triggers) == expected
    assert crossing  # the random model's spans do cross paragraph breaks
    conf = (tmp_path / "brat" / "annotation.conf").read_text()
    assert "ATTACK" in conf and "LOC" in conf


def _line_pieces(text, start, end):
    import re

    for match in re.finditer(r"[^\r\n]+", text[start:end]):
        piece = match.group()
        stripped = piece.strip()
        if stripped:
            a = start + match.start() + (len(piece) - len(piece.lstrip()))
            yield a, a + len(stripped)


def _assert_same_spans(got: dict, expected: dict) -> None:
    """The spans of another process (or backend) are the in-process tagger's: same offsets and
    labels, scores equal to their rounding; and there are spans (a model predicting nothing fails)."""
    assert expected["entities"] and expected["triggers"]
    for key in ("entities", "triggers"):
        assert [(s["start"], s["end"], s["label"], s["text"]) for s in got[key]] == \
            [(s["start"], s["end"], s["label"], s["text"]) for s in expected[key]], key
        assert [s["score"] for s in got[key]] == pytest.approx([s["score"] for s in expected[key]], abs=1e-3), key


def test_predict_script_runs_through_hydra(joint, tagger, tmp_path):
    _, pkg = joint
    source = tmp_path / "docs.jsonl"
    source.write_text(json.dumps({"id": "a", "text": HARD_TEXT}, ensure_ascii=False) + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "predict.py"), f"package={pkg}", f"input={source}",
                             f"output={tmp_path / 'out.jsonl'}", "progress=false"],
                            capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "1 documents" in result.stdout
    record = json.loads((tmp_path / "out.jsonl").read_text())
    assert record["id"] == "a" and record["text"] == HARD_TEXT
    _check_spans(HARD_TEXT, {k: record[k] for k in ("entities", "triggers")})
    _assert_same_spans({k: record[k] for k in ("entities", "triggers")}, tagger(HARD_TEXT))


def test_package_evaluation_reproduces_the_run_evaluation_on_word_tags(joint, tmp_path):
    _, package_metrics = run_and_package_metrics(*joint, tmp_path)
    for task in ("ner", "triggers"):
        scores = package_metrics["test"][task]
        # character-exact F1 cannot beat word-level F1, which matches seqeval's default mode
        assert scores["char"]["micro"]["f1"] <= scores["word"]["micro"]["f1"] + 1e-12
        assert scores["word"]["micro"]["f1"] == pytest.approx(scores["seqeval"]["default"]["micro"]["f1"])
    assert (tmp_path / "pkg-eval" / "metrics.md").read_text().startswith("| split | task | type | char P")
    assert len(read_jsonl(tmp_path / "pkg-eval" / "predictions" / "test.jsonl")[0]) == 6


# ---------------------------------------------------------------------------------------------
# runtime dependencies


def test_import_is_light_and_loading_needs_no_training_extras(joint, tagger, tmp_path):
    _, pkg = joint
    (tmp_path / "sitecustomize.py").write_text(textwrap.dedent(f"""
        import sys
        for name in {TAGGER_ONLY!r}:
            sys.modules[name] = None  # any import of these fails
    """))
    script = textwrap.dedent(f"""
        import json, sys
        import arabic_ie
        assert "torch" not in sys.modules and "transformers" not in sys.modules, "import arabic_ie must stay light"
        tagger = arabic_ie.load({str(pkg)!r})
        result = tagger({HARD_TEXT!r})
        loaded = sorted(n for n in {TAGGER_ONLY!r} if sys.modules.get(n) is not None)
        print(json.dumps({{"result": result, "loaded": loaded}}, ensure_ascii=False))
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO_ROOT / "src")]), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    output = json.loads(done.stdout.strip().splitlines()[-1])
    assert output["loaded"] == []
    _check_spans(HARD_TEXT, output["result"])
    _assert_same_spans(output["result"], tagger(HARD_TEXT))


# ---------------------------------------------------------------------------------------------
# span metrics


def test_exact_span_scores_by_hand():
    gold = [[(0, 4, "LOC"), (5, 9, "PER")], [(0, 3, "LOC")]]
    predicted = [[(0, 4, "LOC"), (5, 8, "PER"), (10, 12, "ORG")], []]
    scores = exact_scores(gold, predicted, types=("LOC", "PER", "ORG", "DATE"))
    assert scores["micro"] == {"precision": 1 / 3, "recall": 1 / 3, "f1": 1 / 3, "tp": 1, "predicted": 3, "gold": 3}
    assert scores["per_type"]["LOC"]["recall"] == 0.5 and scores["per_type"]["LOC"]["precision"] == 1.0
    assert scores["per_type"]["DATE"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0, "tp": 0, "predicted": 0}
    assert scores["macro"]["f1"] == pytest.approx((2 / 3 + 0 + 0) / 3)
    assert exact_scores([[]], [[]])["micro"]["f1"] == 0.0


def test_word_spans_cover_the_touched_words():
    words = [(0, 1), (1, 6), (7, 11), (12, 15)]  # و|قصفت قوات ...
    assert word_spans([(1, 11, "ATTACK")], words) == [(1, 2, "ATTACK")]
    assert word_spans([(0, 6, "X"), (3, 8, "Y"), (6, 7, "Z")], words) == [(0, 1, "X"), (1, 2, "Y")]
    assert word_spans([{"start": 12, "end": 15, "label": "LOC"}], words) == [(3, 3, "LOC")]


# ---------------------------------------------------------------------------------------------
# slow: the default training path end to end, and the wheel


@pytest.mark.slow
def test_a_trained_run_round_trips_through_a_package_in_a_fresh_process(tmp_path):
    from arabic_ie.data.labels import spans_to_tags
    from arabic_ie.evaluate.metrics import span_scores
    from arabic_ie.train.run import train

    from test_training import FAST, config

    run = tmp_path / "run"
    metrics = train(config(*FAST), run)
    pkg = export_package(run, tmp_path / "pkg")
    (tmp_path / "block").mkdir()
    (tmp_path / "block" / "sitecustomize.py").write_text(
        "import sys\nfor name in %r:\n    sys.modules[name] = None\n" % TAGGER_ONLY)
    script = textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        from arabic_ie import load
        from arabic_ie.data.formats import read_brat
        documents, _ = read_brat(Path({str(SAMPLE_DIR / "test")!r}))
        tagger = load({str(pkg)!r})
        predictions = tagger.predict_documents(documents)
        json.dump([{{"words": p.words, "tags": p.tags, "spans": p.spans}} for p in predictions], sys.stdout)
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "block"), str(REPO_ROOT / "src")])}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    predictions = json.loads(done.stdout)
    gold, _ = read_brat(SAMPLE_DIR / "test")
    for task in ("ner", "triggers"):
        gold_tags = [spans_to_tags(d.spans(task), [tuple(w) for w in p["words"]])[0] for d, p in zip(gold, predictions)]
        assert span_scores(gold_tags, [p["tags"][task] for p in predictions], SCHEMES_FROM_RUN(run)[task]) == metrics["test"][task]
        char = exact_scores([[(s.start, s.end, s.label) for s in d.spans(task)] for d in gold],
                            [[(s["start"], s["end"], s["label"]) for s in p["spans"][task]] for p in predictions])
        assert char["micro"]["f1"] <= metrics["test"][task]["default"]["micro"]["f1"] + 1e-12


def SCHEMES_FROM_RUN(run: Path) -> dict:
    return {t: tuple(s["types"]) for t, s in json.loads((run / "label_schemes.json").read_text()).items()}


@pytest.mark.slow
def test_the_wheel_installs_and_loads_like_a_spacy_package(joint, tmp_path):
    _, pkg = joint
    wheel = package_module.build_wheel(pkg, tmp_path / "dist")
    assert wheel.name == "test_joint-0.1.0-py3-none-any.whl"
    target = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    script = f"import test_joint; t = test_joint.load(); print(t.name, t({HARD_TEXT!r}) == t.tag_batch([{HARD_TEXT!r}])[0])"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(REPO_ROOT / "src")])}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["test_joint", "True"]
    assert verify(target / "test_joint" / "model")["name"] == "test_joint"


@pytest.mark.slow
def test_export_script_runs_through_hydra_and_builds_a_wheel(joint, tmp_path):
    run, _ = joint
    result = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "export.py"), f"run_dir={run}",
                             f"output_dir={tmp_path / 'pkg'}", "export.wheel=true", "export.onnx=false", "export.name=scripted"],
                            capture_output=True, text=True, timeout=600, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert verify(tmp_path / "pkg")["name"] == "scripted" and (tmp_path / "dist" / "scripted-0.1.0-py3-none-any.whl").is_file()


@pytest.mark.slow
def test_evaluate_script_scores_a_package_and_still_a_run_dir(joint, tmp_path):
    run, pkg = joint
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    script = str(REPO_ROOT / "scripts" / "evaluate.py")
    done = subprocess.run([sys.executable, script, f"package={pkg}", "splits=[test]", f"hydra.run.dir={tmp_path / 'pkg'}"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| test | ner |" in done.stdout and (tmp_path / "pkg" / "metrics.md").is_file()
    assert set(json.loads((tmp_path / "pkg" / "metrics.json").read_text())["test"]["ner"]) == {"char", "word", "seqeval"}
    done = subprocess.run([sys.executable, script, f"run_dir={run}", "splits=[test]", f"hydra.run.dir={tmp_path / 'run'}"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert set(json.loads((tmp_path / "run" / "metrics.json").read_text())["test"]["ner"]) == {"strict", "default"}
    done = subprocess.run([sys.executable, script, "splits=[test]", f"hydra.run.dir={tmp_path / 'none'}"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode != 0 and "exactly one of run_dir" in done.stderr + done.stdout


def test_the_onnx_graph_stores_each_weight_once(joint):
    import onnx
    from onnx import numpy_helper
    from safetensors import safe_open

    _, pkg = joint
    graph = onnx.load(str(pkg / "onnx" / "model.onnx")).graph
    seen = {}
    for tensor in graph.initializer:
        values = numpy_helper.to_array(tensor)
        key = (tensor.data_type, tuple(tensor.dims), values.tobytes())
        assert key not in seen, f"{tensor.name} repeats {seen[key]}"
        seen[key] = tensor.name
    weights = 0
    for name in ("model.safetensors", "heads.safetensors"):
        with safe_open(str(pkg / name), "np") as handle:
            weights += sum(handle.get_tensor(k).nbytes for k in handle.keys() if "pooler" not in k)
    stored = sum(numpy_helper.to_array(t).nbytes for t in graph.initializer)
    assert stored <= 1.02 * weights, (stored, weights)


def test_dedupe_initializers_rewires_a_copied_weight_and_keeps_the_outputs(tmp_path):
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from arabic_ie.package.onnx import dedupe_initializers

    weight = np.arange(12, dtype=np.float32).reshape(3, 4)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w1"], ["a"]), helper.make_node("MatMul", ["x", "w2"], ["b"]),
         helper.make_node("Add", ["a", "b"], ["y"])],
        "copied", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        [numpy_helper.from_array(weight, "w1"), numpy_helper.from_array(weight.copy(), "w2"),
         numpy_helper.from_array(weight + 1, "w3")])
    path = tmp_path / "copied.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    x = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    before = ort.InferenceSession(str(path)).run(None, {"x": x})[0]
    assert dedupe_initializers(path) == 1
    model = onnx.load(str(path))
    assert [t.name for t in model.graph.initializer] == ["w1", "w3"]  # w3 differs: kept
    assert [list(n.input) for n in model.graph.node][:2] == [["x", "w1"], ["x", "w1"]]
    np.testing.assert_array_equal(ort.InferenceSession(str(path)).run(None, {"x": x})[0], before)
    assert dedupe_initializers(path) == 0
