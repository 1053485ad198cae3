"""End-to-end: Hydra config composition, a short training run and its run directory, evaluation
of the saved model, resuming, and loading an encoder through `model=local`."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest
from hydra import compose, initialize_config_dir
from transformers import BertConfig, BertModel

from conftest import FEW_STEPS, REPO_ROOT, SMALL_TINY

os.environ.setdefault("PROJECT_ROOT", str(REPO_ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from arabic_ie.train.config import register_configs  # noqa: E402
from arabic_ie.data.documents import ROLES, Argument, Document, Event, Span  # noqa: E402
from arabic_ie.evaluate.arguments import argument_scores  # noqa: E402
from arabic_ie.data.formats import read_brat, read_jsonl, write_jsonl  # noqa: E402
from arabic_ie.data.labels import tags_to_spans  # noqa: E402
from arabic_ie.evaluate.metrics import span_scores  # noqa: E402
from arabic_ie.model.tokenization import train_wordpiece  # noqa: E402
from arabic_ie.train.run import evaluate_run, train  # noqa: E402

FAST = SMALL_TINY + FEW_STEPS


def config(*overrides):
    register_configs()
    with initialize_config_dir(config_dir=str(REPO_ROOT / "configs"), version_base="1.3"):
        return compose("train", overrides=list(overrides))


def test_default_config_is_sample_joint_embedded_with_top_level_seed():
    cfg = config()
    assert (cfg.data.name, cfg.task.name, cfg.model.name) == ("sample", "joint", "embedded")
    assert cfg.model.pretrained == str(REPO_ROOT / "models" / "compact-arabic-bert")
    assert list(cfg.task.tasks) == ["ner", "triggers", "events"]
    assert list(config("task=ner").task.tasks) == ["ner"] and list(config("task=events").task.tasks) == ["events"]
    assert cfg.seed == 42 and config("seed=3").seed == 3
    # the model's learning rate and the data's epochs reach the TrainingArguments config
    assert cfg.trainer.learning_rate == pytest.approx(3e-4)
    assert config("model=tiny").trainer.learning_rate == pytest.approx(1e-3)  # from scratch needs more
    assert cfg.trainer.num_train_epochs == 16
    assert config("data=anercorp").trainer.num_train_epochs == 6
    # the shipped encoder's measured recipe (docs/accuracy.md); hub models keep a linear head, one rate
    assert (cfg.model.head, cfg.model.layer_lr_decay) == ("crf", 0.8)
    hub = config("model=arabertv02").model
    assert (hub.head, hub.layer_lr_decay) == ("linear", None)
    assert "layer_lr_decay" not in cfg  # a model setting, not a top-level one


def test_any_training_argument_can_be_overridden_and_typos_are_refused():
    assert config("trainer.max_steps=20").trainer.max_steps == 20
    assert config("trainer.adam_beta2=0.98").trainer.adam_beta2 == 0.98
    with pytest.raises(Exception, match="max_stepz"):
        config("trainer.max_stepz=20")


def test_model_configs_point_at_the_hub_models():
    expected = {
        "arabertv02": "aubmindlab/bert-base-arabertv02",
        "camelbert_msa": "CAMeL-Lab/bert-base-arabic-camelbert-msa",
        "camelbert_mix": "CAMeL-Lab/bert-base-arabic-camelbert-mix",
        "marbert": "UBC-NLP/MARBERT",
        "mbert": "bert-base-multilingual-cased",
    }
    for name, hub_id in expected.items():
        cfg = config(f"model={name}")
        assert cfg.model.pretrained == hub_id and cfg.trainer.learning_rate == pytest.approx(5e-5)
    assert config("model=local", "model.path=/some/folder").model.pretrained == "/some/folder"


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("run")
    metrics = train(config(*FAST), run_dir)
    return run_dir, metrics


def test_training_writes_a_complete_run_directory(trained_run):
    run_dir, metrics = trained_run
    for name in ["config.yaml", "versions.json", "label_schemes.json", "data_report.json", "metrics.json", "metrics.md",
                 "model/tagger.json", "model/heads.safetensors", "model/arguments.safetensors", "model/model.safetensors", "model/config.json",
                 "model/tokenizer.json", "checkpoints/checkpoint-2", "checkpoints/checkpoint-4"]:
        assert (run_dir / name).exists(), name
    assert any((run_dir / "tensorboard").rglob("events.out.tfevents*"))
    assert not list(run_dir.rglob("*.bin")) or all(p.name == "training_args.bin" for p in run_dir.rglob("*.bin"))
    versions = json.loads((run_dir / "versions.json").read_text())
    assert versions["transformers"].startswith("5.") and versions["torch"]
    schemes = json.loads((run_dir / "label_schemes.json").read_text())
    assert schemes["ner"]["types"] == ["PER", "ORG", "LOC", "DATE"]
    assert schemes["triggers"]["labels"][:3] == ["O", "B-ATTACK", "I-ATTACK"] and len(schemes["triggers"]["labels"]) == 25
    report = json.loads((run_dir / "data_report.json").read_text())
    assert report["features"]["train"]["ner spans with a boundary inside a word"] == 0
    assert report["features"]["dev"]["documents"] == 6

    on_disk = json.loads((run_dir / "metrics.json").read_text())
    assert on_disk == json.loads(json.dumps(metrics))
    assert set(on_disk) == {"dev", "test"}
    for split in on_disk.values():
        assert set(split) == {"ner", "triggers", "arguments (gold input)", "arguments (end to end)", "dates"}
        for name in ("arguments (gold input)", "arguments (end to end)"):
            assert set(split[name]) == {"classification", "identification"}
            assert set(split[name]["classification"]["per_type"]) == {"Agent", "Target", "Place", "Time"}
            assert 0.0 <= split[name]["classification"]["micro"]["f1"] <= split[name]["identification"]["micro"]["f1"] + 1e-9
        for task in (split["ner"], split["triggers"]):
            assert set(task) == {"strict", "default"}
            for mode in task.values():
                assert set(mode) == {"micro", "macro", "per_type"}
                assert set(mode["micro"]) == {"precision", "recall", "f1"}
                assert 0.0 <= mode["micro"]["f1"] <= 1.0
    assert on_disk["dev"]["ner"]["default"]["per_type"]["LOC"]["support"] == 60
    assert on_disk["test"]["triggers"]["strict"]["per_type"]["ATTACK"]["support"] == 28
    assert "| dev | ner | strict | **micro** |" in (run_dir / "metrics.md").read_text()
    assert on_disk["test"]["arguments (gold input)"]["classification"]["micro"]["gold"] == 135
    assert on_disk["test"]["dates"] == {"accuracy": 1.0, "correct": 25, "total": 25}
    assert "| test | arguments (gold input) | classification | Agent |" in (run_dir / "metrics.md").read_text()


def test_training_writes_predictions_that_rescore_to_the_metrics(trained_run):
    run_dir, metrics = trained_run
    predicted, _ = read_jsonl(run_dir / "predictions" / "test.jsonl")
    gold, _ = read_brat(REPO_ROOT / "data" / "sample" / "test")
    assert [d.id for d in predicted] == [d.id for d in gold] and [d.text for d in predicted] == [d.text for d in gold]
    records = [json.loads(line) for line in (run_dir / "predictions" / "test.tags.jsonl").read_text().splitlines()]
    for task in ("ner", "triggers"):
        rescored = span_scores([r["gold"][task] for r in records], [r["predicted"][task] for r in records])
        assert rescored["strict"]["micro"] == metrics["test"][task]["strict"]["micro"]
    # the recorded events rescore to the argument metrics, in both settings
    events = [json.loads(line) for line in (run_dir / "predictions" / "test.events.jsonl").read_text().splitlines()]
    as_events = lambda items: [Event(Span(**e["trigger"]), tuple(Argument(a["role"], Span(a["start"], a["end"], a["label"])) for a in e["arguments"]))  # noqa: E731
                               for e in items]
    for setting, name in (("gold_input", "arguments (gold input)"), ("e2e", "arguments (end to end)")):
        rescored = argument_scores([as_events(r["gold"]) for r in events], [as_events(r[setting]) for r in events], ROLES)
        assert rescored == metrics["test"][name]
    assert [d.events for d in predicted] == [as_events(r["e2e"]) for r in events]
    # predicted spans are the decoded word tags (conlleval decoding) on the recorded words
    first = records[0]
    spans, _ = tags_to_spans(first["predicted"]["ner"], [tuple(w) for w in first["words"]])
    assert spans == sorted(predicted[0].entities)


def test_evaluating_the_saved_model_reproduces_the_training_metrics(trained_run, tmp_path):
    run_dir, metrics = trained_run
    again = evaluate_run(run_dir, config().data, ["dev", "test"], batch_size=3, output_dir=tmp_path)
    assert again == metrics
    assert json.loads((tmp_path / "metrics.json").read_text()) == json.loads(json.dumps(metrics))


def test_training_resumes_from_the_last_checkpoint(tmp_path, caplog):
    first = [o for o in FAST if not o.startswith("trainer.max_steps")] + ["trainer.max_steps=2"]
    train(config(*first, "task=ner"), tmp_path)
    assert (tmp_path / "checkpoints" / "checkpoint-2").is_dir()
    with caplog.at_level(logging.INFO, logger="arabic_ie.train.run"):
        train(config(*FAST, "task=ner"), tmp_path)
    assert f"resuming from {tmp_path / 'checkpoints' / 'checkpoint-2'}" in caplog.text
    state = json.loads((tmp_path / "checkpoints" / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["global_step"] == 4


def test_model_local_loads_an_encoder_folder_saved_by_the_project(tmp_path):
    documents, _ = read_brat(REPO_ROOT / "data" / "sample" / "train")
    tokenizer = train_wordpiece((w for d in documents for w in d.text.split()), vocab_size=500, min_frequency=2)
    encoder = BertModel(BertConfig(vocab_size=len(tokenizer), hidden_size=24, num_hidden_layers=1, num_attention_heads=2,
                                   intermediate_size=48, pad_token_id=tokenizer.pad_token_id), add_pooling_layer=False)
    folder = tmp_path / "encoder"
    encoder.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    run_dir = tmp_path / "run"
    train(config(*FEW_STEPS, "model=local", f"model.path={folder}", "task=triggers"), run_dir)
    saved = json.loads((run_dir / "model" / "config.json").read_text())
    assert saved["hidden_size"] == 24 and saved["vocab_size"] == len(tokenizer)
    assert json.loads((run_dir / "model" / "tokenizer.json").read_text())["model"]["vocab"] == \
        json.loads((folder / "tokenizer.json").read_text())["model"]["vocab"]
    assert list(json.loads((run_dir / "label_schemes.json").read_text())) == ["triggers"]


def test_train_script_runs_through_hydra_and_prints_the_table(tmp_path):
    run_dir = tmp_path / "script-run"
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "train.py"), *FAST, "task=ner", f"hydra.run.dir={run_dir}"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "| dev | ner |" in result.stdout and "| test | ner |" in result.stdout
    assert (run_dir / ".hydra" / "config.yaml").is_file() and (run_dir / "metrics.json").is_file()


def test_train_script_reports_a_misspelt_trainer_field(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "train.py"), "trainer.max_stepz=3", f"hydra.run.dir={tmp_path}"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0 and "max_stepz" in result.stderr


def test_training_without_dev_and_a_test_type_the_model_never_saw(tmp_path):
    train_docs, _ = read_brat(REPO_ROOT / "data" / "sample" / "train")
    test_docs, _ = read_brat(REPO_ROOT / "data" / "sample" / "test")
    first = test_docs[0]
    replaced = sorted(first.entities)[0]
    first.entities = [s if s != replaced else Span(s.start, s.end, "MISC") for s in first.entities]
    # events and DATE values that named the replaced span go with it (the JSONL reader checks them)
    first.events = [e for e in first.events if all(a.span != replaced for a in e.arguments)]
    first.values.pop(replaced, None)
    write_jsonl(train_docs[:8], tmp_path / "train.jsonl")
    write_jsonl(test_docs[:2], tmp_path / "test.jsonl")
    overrides = [*FAST, "data=jsonl", f"data.train={tmp_path / 'train.jsonl'}", "data.dev=null",
                 f"data.test={tmp_path / 'test.jsonl'}", "task=ner"]
    metrics = train(config(*overrides), tmp_path / "run")
    assert set(metrics) == {"test"}  # no dev: no evaluation during training, the last model is kept
    misc = metrics["test"]["ner"]["default"]["per_type"]["MISC"]
    assert misc["support"] == 1 and misc["recall"] == 0.0
    report = json.loads((tmp_path / "run" / "data_report.json").read_text())
    assert report["features"]["test"]["ner spans of types the model does not know"] == 1


def test_task_events_alone_scores_the_argument_head_on_gold_input(tmp_path):
    metrics = train(config(*FAST, "task=events"), tmp_path)
    assert set(metrics["test"]) == {"arguments (gold input)", "dates"}  # no span heads: no end-to-end events
    scores = metrics["test"]["arguments (gold input)"]
    assert scores["classification"]["micro"]["gold"] == 135 and set(scores) == {"classification", "identification"}
    assert json.loads((tmp_path / "model" / "tagger.json").read_text())["tasks"] == []


# A memorisable handful (written here): every entity word occurs once, so that dev = train is
# learnt by heart by a model that updates its weights, and a model that does not scores nothing.
MEMORISE = [
    ("زار محمد بغداد أمس", [("محمد", "PER"), ("بغداد", "LOC")]),
    ("التقى علي نظيره في دمشق", [("علي", "PER"), ("دمشق", "LOC")]),
    ("وصل أحمد إلى القاهرة مساء", [("أحمد", "PER"), ("القاهرة", "LOC")]),
    ("غادر خالد بيروت صباحا", [("خالد", "PER"), ("بيروت", "LOC")]),
    ("سافرت فاطمة إلى عمان", [("فاطمة", "PER"), ("عمان", "LOC")]),
    ("استقبل سعيد ضيوفه في الرياض", [("سعيد", "PER"), ("الرياض", "LOC")]),
]
LEARN = SMALL_TINY + [
    "task=ner", "data=jsonl", "seed=7", "model.vocabulary.size=300", "model.vocabulary.min_frequency=1",
    "model.architecture.hidden_dropout_prob=0.0", "model.architecture.attention_probs_dropout_prob=0.0",
    "model.head_dropout=0.0", "trainer.learning_rate=5e-3", "trainer.warmup_steps=0", "trainer.weight_decay=0.0",
    "trainer.max_steps=40", "trainer.logging_steps=1", "trainer.eval_strategy=no", "trainer.save_strategy=no",
    "trainer.load_best_model_at_end=false", "trainer.disable_tqdm=true", "trainer.report_to=[]",
    "trainer.train_sampling_strategy=sequential",
]


def memorisable_jsonl(path):
    documents = [Document(f"m{i}", text, sorted(Span(text.index(w), text.index(w) + len(w), t) for w, t in spans), [])
                 for i, (text, spans) in enumerate(MEMORISE)]
    write_jsonl(documents, path)
    return path


def test_fine_tuning_learns_a_memorisable_set(tmp_path):
    """The loss falls and dev F1 (dev = train) rises far above what the untrained model scores: a
    Trainer that never updated the weights would keep the first loss and score ~0."""
    data = memorisable_jsonl(tmp_path / "memorise.jsonl")
    overrides = [*LEARN, f"data.train={data}", f"data.dev={data}", "data.test=null"]
    metrics = train(config(*overrides), tmp_path / "run")
    history = json.loads((tmp_path / "run" / "checkpoints" / "trainer_state.json").read_text())["log_history"]
    losses = [entry["loss"] for entry in history if "loss" in entry]
    assert len(losses) == 40
    assert losses[-1] < losses[0] / 10, losses
    dev = metrics["dev"]["ner"]["default"]
    assert dev["micro"]["f1"] == 1.0, dev  # 12 spans learnt by heart
    assert dev["per_type"]["PER"]["support"] == 6 and dev["per_type"]["LOC"]["support"] == 6
