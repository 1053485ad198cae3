"""Benchmark analysis: span counts, bootstrap intervals and paired tests on hand-computed cases,
SemEval-2013 schemes, error categories, aggregation over synthetic sweeps, plots, the scripts and
the error-analysis notebook (run against a small synthetic run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO_ROOT

os.environ.setdefault("PROJECT_ROOT", str(REPO_ROOT))

from arabic_ie.analysis import bootstrap, errors, novelty, semeval  # noqa: E402
from arabic_ie.analysis.aggregate import add_intervals, aggregate_rows, csv_text, markdown_table, write_aggregate  # noqa: E402
from arabic_ie.analysis.compare import compare  # noqa: E402
from arabic_ie.analysis.runs import find_runs, group_by_setting, load_run, log_history, runs_from  # noqa: E402
from arabic_ie.data.documents import Document, Span  # noqa: E402
from arabic_ie.evaluate.metrics import span_scores  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"

# --------------------------------------------------------------------------- span counts


GOLD = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
PRED = [["B-PER", "I-PER", "O", "B-ORG"], ["O", "O"]]


def test_counts_per_document_and_type_are_hand_computed_and_sum_to_seqeval():
    counts = bootstrap.count_spans(GOLD, PRED)
    assert counts.types == ["LOC", "ORG", "PER"]
    assert counts.tp.tolist() == [[0, 0, 1], [0, 0, 0]]
    assert counts.fp.tolist() == [[0, 1, 0], [0, 0, 0]]
    assert counts.fn.tolist() == [[1, 0, 0], [0, 1, 0]]
    point = bootstrap.point_scores(counts)
    assert point["micro"] == pytest.approx({"precision": 0.5, "recall": 1 / 3, "f1": 0.4})
    reference = span_scores(GOLD, PRED)["default"]
    assert point["micro"]["f1"] == pytest.approx(reference["micro"]["f1"])
    assert point["macro"]["f1"] == pytest.approx(reference["macro"]["f1"])  # (0 + 0 + 1) / 3
    assert {k: v["f1"] for k, v in point["per_type"].items()} == pytest.approx({k: v["f1"] for k, v in reference["per_type"].items()})


def test_strict_mode_counts_follow_seqeval_strict():
    gold, pred = [["B-PER", "I-PER", "O"]], [["I-PER", "I-PER", "O"]]  # conlleval repairs the I-, strict IOB2 does not
    assert bootstrap.point_scores(bootstrap.count_spans(gold, pred, mode="default"))["micro"]["f1"] == 1.0
    strict = bootstrap.point_scores(bootstrap.count_spans(gold, pred, mode="strict"))["micro"]["f1"]
    assert strict == pytest.approx(span_scores(gold, pred)["strict"]["micro"]["f1"]) == 0.0


def test_sentence_units_split_documents_at_sentence_ends_and_line_breaks():
    text = "ذهب أحمد. ثم عاد\nإلى بيته"
    words = [(m.start(), m.end()) for m in __import__("re").finditer(r"\w+|[^\w\s]", text)]
    assert [text[s:e] for s, e in words] == ["ذهب", "أحمد", ".", "ثم", "عاد", "إلى", "بيته"]
    assert bootstrap.sentence_starts(words, text) == [0, 3, 5]
    gold = [["O", "B-PER", "O", "O", "O", "O", "B-LOC"]]
    pred = [["O", "B-PER", "O", "B-ORG", "O", "O", "O"]]
    counts = bootstrap.count_spans(gold, pred, units=[[0, 3, 5]], ids=["d"])
    assert counts.unit_ids == ["d#0", "d#1", "d#2"]
    assert counts.tp.sum(1).tolist() == [1, 0, 0] and counts.fp.sum(1).tolist() == [0, 1, 0] and counts.fn.sum(1).tolist() == [0, 0, 1]


# --------------------------------------------------------------------------- bootstrap


def _random_counts(n_docs=40, seed=1, skill=0.7):
    """Synthetic documents: each gold PER/LOC word is predicted right with probability `skill`."""
    rng = np.random.default_rng(seed)
    gold, pred = [], []
    for _ in range(n_docs):
        g = list(rng.choice(["O", "O", "O", "B-PER", "B-LOC"], size=12))
        p = [t if t == "O" or rng.random() < skill else ("B-LOC" if t == "B-PER" else "O") for t in g]
        gold.append(g)
        pred.append(p)
    return gold, pred


def _predict(gold, seed, skill):
    """Another system's predictions on the same gold, with its own random errors (as in _random_counts)."""
    rng = np.random.default_rng(seed)
    return [[t if t == "O" or rng.random() < skill else ("B-LOC" if t == "B-PER" else "O") for t in g] for g in gold]


def test_resample_weights_draw_each_sample_of_the_full_size():
    w = bootstrap.resample_weights(7, 5, np.random.default_rng(0))
    assert w.shape == (5, 7) and (w.sum(1) == 7).all() and (w >= 0).all()


def test_bootstrap_is_reproducible_with_a_seed_and_its_interval_contains_the_point():
    gold, pred = _random_counts()
    counts = bootstrap.count_spans(gold, pred)
    a = bootstrap.bootstrap_ci(counts, n_samples=500, seed=3)
    assert a == bootstrap.bootstrap_ci(counts, n_samples=500, seed=3)
    assert a != bootstrap.bootstrap_ci(counts, n_samples=500, seed=4)
    micro = a["micro"]["f1"]
    assert micro["value"] == pytest.approx(span_scores(gold, pred)["default"]["micro"]["f1"])
    assert micro["low"] <= micro["value"] <= micro["high"] and micro["high"] - micro["low"] > 0.01
    for row in a["per_type"].values():
        assert row["low"] <= row["value"] <= row["high"]
    assert a["units"] == 40 and a["n_samples"] == 500


def test_bootstrap_of_several_runs_gives_the_interval_of_their_mean():
    gold, p1 = _random_counts(seed=5, skill=0.9)
    _, p2 = _random_counts(seed=5, skill=0.6)
    types = ["LOC", "PER"]
    c1, c2 = bootstrap.count_spans(gold, p1, types), bootstrap.count_spans(gold, p2, types)
    both = bootstrap.bootstrap_ci([c1, c2], n_samples=300, seed=1)
    one = bootstrap.bootstrap_ci(c1, n_samples=300, seed=1)
    assert bootstrap.bootstrap_ci([c1, c1], n_samples=300, seed=1)["micro"] == one["micro"]
    f = lambda c: bootstrap.point_scores(c)["micro"]["f1"]  # noqa: E731
    assert both["micro"]["f1"]["value"] == pytest.approx((f(c1) + f(c2)) / 2) and both["runs"] == 2
    assert both["micro"]["f1"]["low"] < both["micro"]["f1"]["value"] < both["micro"]["f1"]["high"]
    with pytest.raises(ValueError, match="same documents"):
        bootstrap.bootstrap_ci([c1, bootstrap.count_spans(gold[1:], p1[1:], types)])


def test_bootstrap_of_identical_documents_has_a_degenerate_interval():
    counts = bootstrap.count_spans([["B-PER", "O", "B-LOC"]] * 10, [["B-PER", "O", "O"]] * 10)
    ci = bootstrap.bootstrap_ci(counts, n_samples=200, seed=0)
    assert ci["micro"]["f1"]["low"] == ci["micro"]["f1"]["high"] == pytest.approx(2 / 3)
    assert ci["per_type"]["LOC"]["high"] == 0.0 and ci["per_type"]["PER"]["low"] == 1.0


def test_bootstrap_chunks_do_not_change_the_samples():
    """Chunks only bound memory: 7 and 64 samples a chunk (neither divides 300, so the last chunk is
    short) give the same samples as one chunk, for the interval and both paired tests."""
    gold, pred = _random_counts(n_docs=15)
    a, b = bootstrap.count_spans(gold, pred), bootstrap.count_spans(gold, _predict(gold, seed=8, skill=0.5))
    whole = bootstrap.bootstrap_ci(a, 300, 5, chunk=300)
    assert 0 < whole["micro"]["f1"]["std"] and whole["micro"]["f1"]["low"] < whole["micro"]["f1"]["high"]
    tests = (bootstrap.paired_bootstrap, bootstrap.approximate_randomization)
    paired = [test(a, b, n_samples=300, seed=5, chunk=300) for test in tests]
    assert all(1 / 301 < p["p_value"] < 1.0 for p in paired)  # a sample-dependent p, not an extreme one
    for chunk in (7, 64):
        assert bootstrap.bootstrap_ci(a, 300, 5, chunk=chunk) == whole
        assert [test(a, b, n_samples=300, seed=5, chunk=chunk) for test in tests] == paired


# --------------------------------------------------------------------------- paired tests


def test_paired_tests_give_p_one_for_identical_runs():
    counts = bootstrap.count_spans(*_random_counts())
    pb = bootstrap.paired_bootstrap(counts, counts, n_samples=1000, seed=0)
    ar = bootstrap.approximate_randomization(counts, counts, n_samples=1000, seed=0)
    assert pb["difference"] == 0.0 and pb["p_value"] == 1.0 and pb["low"] == pb["high"] == 0.0
    assert ar["difference"] == 0.0 and ar["p_value"] == 1.0


def test_paired_tests_give_the_smallest_p_for_a_perfect_against_an_empty_system():
    gold, _ = _random_counts(n_docs=30)
    perfect = bootstrap.count_spans(gold, gold)
    empty = bootstrap.count_spans(gold, [["O"] * len(g) for g in gold])
    pb = bootstrap.paired_bootstrap(perfect, empty, n_samples=999, seed=0)
    ar = bootstrap.approximate_randomization(perfect, empty, n_samples=999, seed=0)
    assert pb["difference"] == 1.0 and pb["p_value"] == pytest.approx(1 / 1000) and pb["a_better_fraction"] == 1.0
    assert ar["difference"] == 1.0 and ar["p_value"] == pytest.approx(1 / 1000)
    # the sign follows the order of the systems
    assert bootstrap.paired_bootstrap(empty, perfect, n_samples=99)["difference"] == -1.0


def test_paired_tests_separate_a_clearly_better_system_but_not_two_similar_ones():
    gold, good = _random_counts(n_docs=60, seed=2, skill=0.95)
    _, bad = _random_counts(n_docs=60, seed=2, skill=0.5)
    good2 = _predict(gold, seed=3, skill=0.95)  # as good, other errors
    cg, cb, cg2 = bootstrap.count_spans(gold, good), bootstrap.count_spans(gold, bad), bootstrap.count_spans(gold, good2)
    assert good2 != good and cg2.tp.sum() != cg.tp.sum()  # similar, not identical
    for test in (bootstrap.paired_bootstrap, bootstrap.approximate_randomization):
        assert test(cg, cb, n_samples=2000, seed=1)["p_value"] < 0.01
        similar = test(cg, cg2, n_samples=2000, seed=1)
        assert 0 < abs(similar["difference"]) < 0.05 and similar["p_value"] > 0.2, similar


def test_paired_tests_over_several_runs_use_the_mean_f1_and_check_the_documents():
    gold, p1 = _random_counts(seed=5, skill=0.9)
    _, p2 = _random_counts(seed=5, skill=0.6)
    a = [bootstrap.count_spans(gold, p1), bootstrap.count_spans(gold, p1)]
    b = [bootstrap.count_spans(gold, p2), bootstrap.count_spans(gold, p1)]
    f = lambda c: bootstrap.point_scores(c)["micro"]["f1"]  # noqa: E731
    result = bootstrap.paired_bootstrap(a, b, n_samples=200)
    assert result["difference"] == pytest.approx((f(a[0]) + f(a[1])) / 2 - (f(b[0]) + f(b[1])) / 2)
    assert bootstrap.approximate_randomization(a, b, n_samples=200)["difference"] == pytest.approx(result["difference"])
    with pytest.raises(ValueError, match="pairs runs"):
        bootstrap.approximate_randomization(a, b[:1], n_samples=10)
    other = bootstrap.count_spans(gold[:-1], p1[:-1])
    with pytest.raises(ValueError, match="same documents"):
        bootstrap.paired_bootstrap(a[0], other, n_samples=10)


def test_a_type_column_can_be_tested_on_its_own():
    counts = bootstrap.count_spans(GOLD, PRED)
    tp, fp, fn = counts.column("PER")
    assert (tp.tolist(), fp.tolist(), fn.tolist()) == ([1, 0], [0, 0], [0, 0])
    assert bootstrap.paired_bootstrap(counts, counts, kind="LOC", n_samples=50)["p_value"] == 1.0


def test_character_level_counts_use_the_original_offsets():
    text = "زار محمد بغداد. ثم عاد إلى وبيروت"
    gold = [Document("d", text, [at_in(text, "محمد", "PER"), at_in(text, "بغداد", "LOC"), at_in(text, "بيروت", "LOC")])]
    pred = [Document("d", text, [at_in(text, "محمد", "PER"), at_in(text, "بغداد", "ORG"), at_in(text, "وبيروت", "LOC")])]
    counts = bootstrap.count_documents(gold, pred, "ner")
    assert counts.types == ["LOC", "ORG", "PER"]
    assert (counts.tp.tolist(), counts.fp.tolist(), counts.fn.tolist()) == ([[0, 0, 1]], [[1, 1, 0]], [[2, 0, 0]])
    assert bootstrap.sentence_offsets(text) == [0, text.index("ثم")]
    by_sentence = bootstrap.count_documents(gold, pred, "ner", unit="sentence")
    assert by_sentence.unit_ids == ["d#0", "d#1"] and by_sentence.fn.sum(1).tolist() == [1, 1]
    with pytest.raises(ValueError, match="no prediction"):
        bootstrap.count_documents(gold, [], "ner")


def at_in(text: str, fragment: str, label: str) -> Span:
    start = text.index(fragment) if fragment != "بيروت" else text.index("وبيروت") + 1
    return Span(start, start + len(fragment), label)


# --------------------------------------------------------------------------- SemEval schemes


def test_semeval_schemes_on_a_hand_made_sequence():
    gold = [["B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG"]]
    pred = [["B-PER", "O", "B-DATE", "B-ORG", "O", "O"]]
    s = semeval.semeval_scores(gold, pred)["overall"]
    counts = {k: (v["correct"], v["incorrect"], v["partial"], v["missed"], v["spurious"]) for k, v in s.items()}
    assert counts == {"strict": (0, 2, 0, 1, 1), "exact": (1, 1, 0, 1, 1), "partial": (1, 0, 1, 1, 1), "type": (1, 1, 0, 1, 1)}
    assert (s["strict"]["precision"], s["strict"]["recall"], s["strict"]["f1"]) == (0, 0, 0)
    assert (s["exact"]["precision"], s["exact"]["recall"]) == pytest.approx((1 / 3, 1 / 3))
    assert (s["partial"]["precision"], s["partial"]["recall"], s["partial"]["f1"]) == pytest.approx((0.5, 0.5, 0.5))
    assert s["type"]["actual"] == 3 and s["type"]["possible"] == 3


def test_semeval_strict_equals_seqeval_default_micro_f1():
    gold, pred = _random_counts(n_docs=20, seed=7, skill=0.6)
    scores = semeval.semeval_scores(gold, pred, types=["PER", "LOC"])
    assert scores["overall"]["strict"]["f1"] == pytest.approx(span_scores(gold, pred)["default"]["micro"]["f1"])
    assert set(scores["per_type"]) == {"PER", "LOC"} and set(scores["per_type"]["PER"]) == {"strict", "exact", "partial", "type"}


# --------------------------------------------------------------------------- error categories

TEXT = "قال محمد إن وبغداد عاصمة العراق وإن الأمم المتحدة ومجلس الأمن اجتمعا أمس"


def at(fragment: str, label: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(fragment, start + 1)
    return Span(start, start + len(fragment), label)


def test_error_categories_on_hand_made_spans():
    gold = [at("محمد", "PER"), at("بغداد", "LOC"), at("العراق", "LOC"), at("الأمم المتحدة", "ORG"),
            at("مجلس الأمن", "ORG"), at("أمس", "DATE")]
    predicted = [at("محمد", "PER"), at("وبغداد", "LOC"), at("العراق", "ORG"), at("الأمم", "ORG"),
                 at("الأمن", "LOC"), at("قال", "ORG")]
    found = errors.categorise(gold, predicted, TEXT, "doc")
    by_category = {e.category: (e.gold_text, e.predicted_text) for e in found}
    assert by_category == {
        "correct": ("محمد", "محمد"),
        "proclitic_boundary": ("بغداد", "وبغداد"),
        "wrong_type": ("العراق", "العراق"),
        "wrong_boundary": ("الأمم المتحدة", "الأمم"),
        "wrong_type_and_boundary": ("مجلس الأمن", "الأمن"),
        "missed": ("أمس", ""),
        "spurious": ("", "قال"),
    }
    assert errors.summary(found) == {c: 1 for c in errors.CATEGORIES}
    labels, matrix = errors.confusion(found)
    assert labels == ["DATE", "LOC", "ORG", "PER", "none"]
    assert matrix[labels.index("LOC")][labels.index("ORG")] == 1 and matrix[labels.index("DATE")][labels.index("none")] == 1
    assert matrix[labels.index("none")][labels.index("ORG")] == 1 and sum(map(sum, matrix)) == 7
    assert errors.summary_by_type(found)["ORG"]["wrong_boundary"] == 1
    assert [e.category for e in found][:2] == ["spurious", "correct"]  # in text order
    proclitic = next(e for e in found if e.category == "proclitic_boundary")
    assert "وبغداد" in proclitic.context and proclitic.to_dict()["gold"] == {"start": gold[1].start, "end": gold[1].end, "label": "LOC"}


def test_proclitic_rule():
    assert errors.differs_by_proclitic(at("بغداد", "LOC"), at("وبغداد", "LOC"), TEXT)
    assert errors.differs_by_proclitic(at("مجلس الأمن", "ORG"), at("ومجلس الأمن", "ORG"), TEXT)
    assert not errors.differs_by_proclitic(at("المتحدة", "ORG"), at("الأمم المتحدة", "ORG"), TEXT)  # not a proclitic
    assert not errors.differs_by_proclitic(at("الأمم", "ORG"), at("الأمم المتحدة", "ORG"), TEXT)  # other end
    split = "و بغداد"  # a proclitic split off as its own word
    assert errors.differs_by_proclitic(Span(2, 7, "LOC"), Span(0, 7, "LOC"), split)


def test_error_categories_over_documents_match_by_id():
    gold = [Document("a", TEXT, [at("محمد", "PER")]), Document("b", TEXT, [])]
    pred = [Document("b", TEXT, [at("أمس", "DATE")]), Document("a", TEXT, [at("محمد", "PER")])]
    assert errors.summary(errors.categorise_documents(gold, pred)) == {**{c: 0 for c in errors.CATEGORIES}, "correct": 1, "spurious": 1}
    with pytest.raises(ValueError, match="no prediction"):
        errors.categorise_documents(gold + [Document("c", TEXT)], pred)


# --------------------------------------------------------------------------- synthetic runs


def _metrics(f1: float, per_type: dict[str, float]) -> dict:
    block = {"micro": {"precision": f1, "recall": f1, "f1": f1}, "macro": {"precision": f1, "recall": f1, "f1": f1 / 2},
             "per_type": {k: {"precision": v, "recall": v, "f1": v, "support": 10} for k, v in per_type.items()}}
    return {"ner": {"default": block, "strict": block}}


def make_run(folder, seed: int, overrides: list[str], f1: float, records: list[dict] | None = None, texts=None):
    folder.mkdir(parents=True)
    (folder / ".hydra").mkdir()
    (folder / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides + [f"seed={seed}"]))
    (folder / "config.yaml").write_text(f"seed: {seed}\n")
    (folder / "metrics.json").write_text(json.dumps({"dev": _metrics(f1, {"PER": f1, "LOC": f1 / 2}), "test": _metrics(f1 - 0.1, {"PER": f1})}))
    if records is not None:
        (folder / "predictions").mkdir()
        (folder / "predictions" / "test.tags.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        (folder / "predictions" / "test.jsonl").write_text("".join(json.dumps({"id": r["id"], "text": texts[r["id"]], "entities": [], "triggers": []}, ensure_ascii=False) + "\n" for r in records))
        (folder / "label_schemes.json").write_text(json.dumps({"ner": {"task": "ner", "types": ["LOC", "PER"]}}))
        (folder / "checkpoints" / "checkpoint-4").mkdir(parents=True)
        history = [{"step": 2, "loss": 1.5}, {"step": 2, "eval_loss": 1.2, "eval_f1": 0.3, "eval_ner_f1": 0.3},
                   {"step": 4, "loss": 0.9}, {"step": 4, "eval_loss": 1.0, "eval_f1": 0.5, "eval_ner_f1": 0.5}]
        (folder / "checkpoints" / "checkpoint-4" / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    return folder


def tag_records(gold, pred, words_per_doc=None):
    records, texts = [], {}
    for i, (g, p) in enumerate(zip(gold, pred)):
        words = [(2 * j, 2 * j + 1) for j in range(len(g))]
        texts[f"d{i}"] = " ".join("ب" for _ in g)
        records.append({"id": f"d{i}", "words": words, "gold": {"ner": list(g)}, "predicted": {"ner": list(p)}})
    return records, texts


@pytest.fixture
def sweep(tmp_path):
    """Two settings x seeds: task=ner (dev micro F1 0.5, 0.6, 0.7) and task=joint (0.4, 0.4)."""
    root = tmp_path / "sweep"
    gold, good = _random_counts(n_docs=30, seed=11, skill=0.9)
    _, bad = _random_counts(n_docs=30, seed=11, skill=0.5)
    rec_good, texts = tag_records(gold, good)
    rec_bad, _ = tag_records(gold, bad)
    for i, (seed, f1) in enumerate([(1, 0.5), (2, 0.6), (3, 0.7)]):
        make_run(root / "ner" / str(i), seed, ["task=ner", "trainer.disable_tqdm=true"], f1, rec_good, texts)
    for i, seed in enumerate([1, 2]):
        make_run(root / "joint" / str(i), seed, ["task=joint"], 0.4, rec_bad, texts)
    (root / "ner" / "0" / "evaluations" / "x").mkdir(parents=True)  # inside a run: not a run of the sweep
    (root / "ner" / "0" / "evaluations" / "x" / "metrics.json").write_text("{}")
    (root / "ner" / "0" / "evaluations" / "x" / "config.yaml").write_text("seed: 9\n")
    return root


def test_find_runs_and_settings(sweep):
    runs = find_runs(sweep)
    assert [r.path.relative_to(sweep).as_posix() for r in runs] == ["joint/0", "joint/1", "ner/0", "ner/1", "ner/2"]
    assert [r.seed for r in runs] == [1, 2, 1, 2, 3]
    groups = group_by_setting(runs)
    assert {k: len(v) for k, v in groups.items()} == {"task=joint": 2, "task=ner": 3}
    assert runs_from(str(sweep / "ner" / "1"))[0].seed == 2 and len(runs_from([sweep / "ner", sweep / "joint" / "0"])) == 4
    assert load_run(sweep / "ner" / "0").setting(ignored=()) == "seed=1 task=ner trainer.disable_tqdm=true"
    assert log_history(sweep / "ner" / "0")[-1]["eval_f1"] == 0.5


def test_a_setting_is_named_by_data_task_model_and_the_other_overrides(tmp_path):
    run = make_run(tmp_path / "r", 1, ["task=ner", "window.max_length=64", "hydra.verbose=true"], 0.5)
    (run / "config.yaml").write_text("seed: 1\ndata: {name: sample}\ntask: {name: ner}\nmodel: {name: tiny}\n")
    assert load_run(run).setting() == "sample-ner-tiny window.max_length=64"


def test_aggregate_mean_std_and_per_seed_values_are_exact(sweep, tmp_path):
    rows = aggregate_rows(find_runs(sweep), splits=("dev", "test"))
    row = {(r["setting"], r["split"], r["type"]): r for r in rows}
    ner = row[("task=ner", "dev", "micro")]
    assert ner["n"] == 3 and ner["mean"] == pytest.approx(0.6) and ner["std"] == pytest.approx(0.1)
    assert ner["values"] == pytest.approx({"1": 0.5, "2": 0.6, "3": 0.7})
    assert row[("task=ner", "test", "micro")]["mean"] == pytest.approx(0.5)
    assert row[("task=ner", "dev", "LOC")]["mean"] == pytest.approx(0.3) and row[("task=ner", "dev", "LOC")]["support"] == 10
    assert row[("task=ner", "dev", "macro")]["std"] == pytest.approx(0.05)
    joint = row[("task=joint", "dev", "micro")]
    assert joint["n"] == 2 and joint["mean"] == pytest.approx(0.4) and joint["std"] == 0.0
    assert ("task=joint", "test", "LOC") not in row  # no test LOC row in these metrics
    table = markdown_table(rows, types=False)
    assert "| task=ner | dev | ner | default | **micro** | 3 | 0.6000 ± 0.1000 | 0.6000 | 0.6000 |  | 0.5000 | 0.6000 | 0.7000 |" in table
    assert "| task=joint | dev | ner | default | **micro** | 2 | 0.4000 ± 0.0000 |" in table
    lines = csv_text(rows).splitlines()
    assert lines[0].startswith("setting,split,task,mode,type,n,f1_mean,f1_std") and lines[0].endswith("f1_seed_1,f1_seed_2,f1_seed_3")
    rows2, text = write_aggregate(find_runs(sweep), tmp_path / "out", intervals={"n_samples": 200})
    assert (tmp_path / "out" / "aggregate.csv").read_text().count("\n") == len(rows2) + 1
    assert "## Per type" in text and (tmp_path / "out" / "aggregate.md").read_text() == text
    # the interval of the mean comes from the predictions (test only here): it holds the mean of the runs' F1
    ci = {(r["setting"], r["split"], r["type"]): r for r in rows2 if "ci_low" in r}
    assert set(k[1] for k in ci) == {"test"} and "95% CI of the mean" in text
    micro = ci[("task=ner", "test", "micro")]
    records = [json.loads(line) for line in (sweep / "ner" / "0" / "predictions" / "test.tags.jsonl").read_text().splitlines()]
    f1 = span_scores([r["gold"]["ner"] for r in records], [r["predicted"]["ner"] for r in records])["default"]["micro"]["f1"]
    assert micro["ci_low"] < f1 < micro["ci_high"] and micro["ci_units"] == 30


def test_compare_two_settings_from_their_run_folders(sweep):
    result = compare(find_runs(sweep / "ner"), find_runs(sweep / "joint")[:1] * 3, split="test", n_samples=500)
    ner = result["ner"]
    assert ner["a"]["seeds"] == [1, 2, 3] and ner["units"] == 30
    assert ner["micro"]["paired_bootstrap"]["difference"] > 0.2
    assert ner["micro"]["paired_bootstrap"]["p_value"] < 0.01 and ner["micro"]["approximate_randomization"]["p_value"] < 0.01
    assert len(ner["per_seed"]) == 3
    same = compare(find_runs(sweep / "ner"), find_runs(sweep / "ner"), split="test", n_samples=200, per_type=True)["ner"]
    assert same["micro"]["paired_bootstrap"]["p_value"] == 1.0 and same["PER"]["approximate_randomization"]["p_value"] == 1.0


def test_compare_at_character_level_against_the_original_gold(tmp_path):
    from arabic_ie.data.formats import read_brat, write_jsonl

    sample = REPO_ROOT / "data" / "sample"
    gold, _ = read_brat(sample / "test")
    data = {"data": {"name": "sample", "format": "brat", "train": str(sample / "train"), "dev": str(sample / "dev"),
                     "test": str(sample / "test"), "split_proclitics": True, "columns": None, "types": {"ner": None, "triggers": None}}}
    runs = []
    for name, drop in (("perfect", 0), ("worse", 3)):
        folder = tmp_path / name
        (folder / "predictions").mkdir(parents=True)
        (folder / "config.yaml").write_text(json.dumps({**data, "seed": 1}))
        (folder / "metrics.json").write_text(json.dumps({"test": {"ner": {}}}))
        write_jsonl([Document(d.id, d.text, d.entities[drop:], d.triggers) for d in gold], folder / "predictions" / "test.jsonl")
        runs.append(load_run(folder))
    result = compare(runs[:1], runs[1:], split="test", level="char", n_samples=500, per_seed=False)["ner"]
    assert result["a"]["micro_f1"] == [1.0] and result["b"]["micro_f1"][0] < 1.0 and result["mode"] == "character-exact"
    assert result["micro"]["paired_bootstrap"]["p_value"] < 0.05 and result["units"] == len(gold)
    sentences = compare(runs[:1], runs[:1], split="test", level="char", unit="sentence", n_samples=100, per_seed=False)["ner"]
    assert sentences["units"] > 3 * len(gold) and sentences["micro"]["approximate_randomization"]["p_value"] == 1.0


def test_word_level_compare_refuses_runs_with_different_word_level_gold(sweep, tmp_path):
    other = tmp_path / "other"
    records, texts = tag_records([["B-PER", "O"]] * 30, [["B-PER", "O"]] * 30)
    make_run(other, 1, ["task=ner"], 0.5, records, texts)
    with pytest.raises(ValueError, match="level=char"):
        compare(find_runs(sweep / "ner")[:1], [load_run(other)], split="test", n_samples=10)


def test_report_writes_intervals_semeval_errors_and_pngs(sweep):
    from arabic_ie.analysis.report import write_report

    run = sweep / "ner" / "0"
    analysis = write_report(run, n_samples=200)
    report = run / "report"
    for name in ["report.md", "report.json", "confusion_test_ner.png", "f1_test_ner.png", "curves.png"]:
        assert (report / name).is_file() and (report / name).stat().st_size > 0, name
    for name in ["confusion_test_ner.png", "f1_test_ner.png", "curves.png"]:
        assert (report / name).read_bytes()[:8] == PNG and (report / name).stat().st_size > 5000
    ner = analysis["test"]["ner"]
    records = [json.loads(line) for line in (run / "predictions" / "test.tags.jsonl").read_text().splitlines()]
    expected = span_scores([r["gold"]["ner"] for r in records], [r["predicted"]["ner"] for r in records])["default"]
    assert ner["bootstrap"]["micro"]["f1"]["value"] == pytest.approx(expected["micro"]["f1"])
    assert ner["semeval"]["overall"]["strict"]["f1"] == pytest.approx(expected["micro"]["f1"])
    assert sum(ner["errors"].values()) == sum(map(sum, ner["confusion"]["matrix"]))
    assert "bootstrap intervals" in (report / "report.md").read_text()
    assert "novelty" not in ner  # the synthetic run's config names no training data, and the report says so
    assert "seen and unseen in training: not computed (" in (report / "report.md").read_text()
    sentences = write_report(run, output_dir=run / "report-s", n_samples=50, unit="sentence", plots=False)
    assert sentences["test"]["ner"]["bootstrap"]["units"] == 30  # one sentence per synthetic document


def test_scripts_aggregate_and_compare_runs(sweep, tmp_path):
    env = {**os.environ, "PROJECT_ROOT": str(REPO_ROOT)}
    result = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "aggregate.py"), f"sweep_dir={sweep}", "splits=[dev]"],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "0.6000 ± 0.1000" in result.stdout and (sweep / "aggregate.md").is_file() and (sweep / "aggregate.csv").is_file()
    assert (sweep / "aggregate_dev_ner.png").read_bytes()[:8] == PNG
    out = tmp_path / "cmp"
    result = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "compare_runs.py"), f"run_a={sweep / 'ner' / '0'}",
                             f"run_b={sweep / 'joint' / '0'}", "split=test", "n_samples=300", f"output_dir={out}"],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "paired bootstrap" in result.stdout and "approximate randomization" in result.stdout
    saved = json.loads((out / "comparison.json").read_text())
    assert saved["ner"]["micro"]["paired_bootstrap"]["p_value"] < 0.05


# --------------------------------------------------------------------------- plots and notebook


def test_plots_are_png_files(tmp_path):
    from arabic_ie.analysis import plots

    counts = bootstrap.count_spans(*_random_counts())
    paths = [
        plots.plot_confusion(["LOC", "PER", "none"], [[3, 1, 2], [0, 5, 1], [1, 0, 0]], tmp_path / "c.png"),
        plots.plot_per_type_f1(bootstrap.bootstrap_ci(counts, 100), tmp_path / "f.png"),
        plots.plot_curves([], tmp_path / "empty.png"),
        plots.plot_setting_bars([{"setting": "a", "mean": 0.5, "std": 0.1}, {"setting": "b", "mean": 0.4, "std": float("nan")}], tmp_path / "s.png"),
    ]
    for path in paths:
        assert path.read_bytes()[:8] == PNG and path.stat().st_size > 3000


def test_error_analysis_notebook_runs_against_a_run(tmp_path):
    """Executes the notebook's code cells (no Jupyter needed) on a run whose predictions are the
    sample test set's gold spans, a few of them altered."""
    from arabic_ie.data.formats import read_brat, write_jsonl

    notebook = json.loads((REPO_ROOT / "notebooks" / "error_analysis.ipynb").read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4 and notebook["cells"]
    run = tmp_path / "run"
    (run / "predictions").mkdir(parents=True)
    sample = REPO_ROOT / "data" / "sample"
    (run / "config.yaml").write_text(json.dumps({"data": {"name": "sample", "format": "brat", "train": str(sample / "train"),
                                                          "dev": str(sample / "dev"), "test": str(sample / "test"), "split_proclitics": True,
                                                          "columns": None, "types": {"ner": None, "triggers": None}}}))
    gold, _ = read_brat(sample / "test")
    predicted = []
    for d in gold:
        entities = list(d.entities)
        if entities:
            first = entities.pop(0)  # predicted with another type: a wrong_type error
            entities.append(Span(first.start, first.end, "PER" if first.label != "PER" else "LOC"))
        predicted.append(Document(d.id, d.text, sorted(entities), list(d.triggers)))
    write_jsonl(predicted, run / "predictions" / "test.jsonl")
    namespace = {}
    previous = os.environ.get("RUN_DIR")
    os.environ["RUN_DIR"] = str(run)
    try:
        import matplotlib

        matplotlib.use("Agg")
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                exec(compile("".join(cell["source"]), "error_analysis.ipynb", "exec"), namespace)
    finally:
        if previous is None:
            os.environ.pop("RUN_DIR")
        else:
            os.environ["RUN_DIR"] = previous
    found = namespace["found"]
    assert errors.summary(found)["wrong_type"] == sum(1 for d in gold if d.entities)
    # every other gold entity is predicted exactly (one altered per document; the triggers are gold)
    assert errors.summary(found)["missed"] == 0
    assert errors.summary(found)["correct"] == sum(len(d.entities) - 1 for d in gold if d.entities) == 133


@pytest.mark.slow
def test_a_real_sweep_end_to_end(tmp_path):
    """A 2-seed Hydra sweep of tiny runs, then aggregate, report and compare on it."""
    small = ["task=ner", "model=tiny", "model.architecture.hidden_size=32", "model.architecture.num_hidden_layers=1",
             "model.architecture.num_attention_heads=2", "model.architecture.intermediate_size=64", "trainer.max_steps=4",
             "trainer.eval_strategy=steps", "trainer.save_strategy=steps", "trainer.eval_steps=2", "trainer.save_steps=2",
             "trainer.disable_tqdm=true", "window.max_length=64", "window.stride=16"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PROJECT_ROOT": str(REPO_ROOT)}
    sweep_dir = tmp_path / "sweep"
    result = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "train.py"), "-m", "seed=1,2", *small, "report=true",
                             f"hydra.sweep.dir={sweep_dir}"], capture_output=True, text=True, timeout=900, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    for job in ("0", "1"):  # each run of the sweep has its own TensorBoard folder and report
        assert list((sweep_dir / job / "tensorboard").rglob("events.out.tfevents*")), job
        assert (sweep_dir / job / "report" / "report.md").is_file() and (sweep_dir / job / "checkpoints" / "trainer_state.json").is_file()
    runs = find_runs(sweep_dir)
    assert [r.seed for r in runs] == [1, 2] and len({r.setting() for r in runs}) == 1
    assert runs[0].setting().startswith("sample-ner-tiny model.architecture.hidden_size=32 ")
    rows, _ = write_aggregate(runs, sweep_dir)
    micro = next(r for r in rows if (r["split"], r["type"]) == ("test", "micro"))
    f1 = [json.loads((sweep_dir / j / "metrics.json").read_text())["test"]["ner"]["default"]["micro"]["f1"] for j in "01"]
    assert micro["n"] == 2 and micro["mean"] == pytest.approx(sum(f1) / 2)
    same = compare(runs[:1], runs[:1], split="test", n_samples=200)["ner"]["micro"]
    assert same["paired_bootstrap"]["p_value"] == 1.0 and same["approximate_randomization"]["p_value"] == 1.0


def _event(trigger_start, arguments):
    return {"type": "ATTACK", "trigger": {"start": trigger_start, "end": trigger_start + 3, "label": "ATTACK"},
            "arguments": [{"role": role, "start": start, "end": start + 2, "label": "LOC"} for role, start in arguments]}


def test_argument_rows_intervals_and_compare_from_events_predictions(tmp_path):
    from arabic_ie.evaluate.arguments import argument_scores
    from arabic_ie.data.documents import Argument, Event, Span

    # 20 documents, 2 gold arguments each; run "good" gets both (one with the wrong role in every
    # 4th document), run "bad" only the first
    records_good, records_bad = [], []
    for d in range(20):
        gold = [_event(0, [("Target", 10), ("Place", 20)])]
        good = [_event(0, [("Target", 10), ("Place" if d % 4 else "Target", 20)])]
        bad = [_event(0, [("Target", 10)])]
        records_good.append({"id": f"d{d}", "gold": gold, "e2e": good})
        records_bad.append({"id": f"d{d}", "gold": gold, "e2e": bad})
    name = "arguments (end to end)"

    def scores(records):
        as_events = lambda items: [Event(Span(e["trigger"]["start"], e["trigger"]["end"], "ATTACK"),  # noqa: E731
                                         tuple(Argument(a["role"], Span(a["start"], a["end"], "LOC")) for a in e["arguments"])) for e in items]
        return argument_scores([as_events(r["gold"]) for r in records], [as_events(r["e2e"]) for r in records], ("Agent", "Target", "Place", "Time"))

    for sub, records, overrides in (("good", records_good, ["task=joint"]), ("bad", records_bad, ["task=joint", "model=tiny"])):
        for seed in (1, 2):
            run = make_run(tmp_path / sub / str(seed), seed, overrides, 0.5)
            metrics = json.loads((run / "metrics.json").read_text())
            metrics["test"][name] = scores(records)
            (run / "metrics.json").write_text(json.dumps(metrics))
            (run / "predictions").mkdir()
            (run / "predictions" / "test.events.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    good = scores(records_good)
    # 40 gold; good: 40 identified, 35 classified (5 wrong roles); bad: 20 of each
    assert good["identification"]["micro"]["f1"] == 1.0 and good["classification"]["micro"]["tp"] == 35
    rows = add_intervals(aggregate_rows(find_runs(tmp_path), splits=("test",)), find_runs(tmp_path), n_samples=300)
    row = {(r["setting"], r["task"], r["mode"], r["type"]): r for r in rows}
    c = row[("task=joint", name, "classification", "micro")]
    assert c["mean"] == pytest.approx(35 / 40) and c["n"] == 2
    assert c["ci_low"] <= 35 / 40 <= c["ci_high"] and c["ci_units"] == 20 and c["ci_high"] < 1.0
    assert row[("task=joint", name, "identification", "micro")]["mean"] == 1.0
    assert row[("task=joint", name, "classification", "Place")]["support"] == 20
    assert row[("model=tiny task=joint", name, "classification", "micro")]["mean"] == pytest.approx(2 * 0.5 / 1.5)
    result = compare(find_runs(tmp_path / "good"), find_runs(tmp_path / "bad"), split="test", tasks=[name], n_samples=300)[name]
    assert result["a"]["micro_f1"] == [pytest.approx(35 / 40)] * 2 and result["units"] == 20
    assert result["micro"]["paired_bootstrap"]["difference"] == pytest.approx(35 / 40 - 2 / 3)
    assert result["micro"]["paired_bootstrap"]["p_value"] < 0.05


def test_novelty_recall_of_seen_and_unseen_gold_spans():
    text = "Ali went to Paris and Rome"
    gold = [Span(0, 3, "PER"), Span(12, 17, "LOC"), Span(22, 26, "LOC")]
    predicted = [Span(0, 3, "PER"), Span(12, 17, "ORG"), Span(22, 26, "LOC"), Span(4, 8, "LOC")]
    train = [Document("t1", "Paris is far", [Span(0, 5, "ORG")]), Document("t2", "Ali left", [Span(0, 3, "PER")])]
    seen = novelty.span_texts(train, "ner")
    assert seen == {"Paris", "Ali"}
    result = novelty.novelty_recall([(gold, predicted, text)], seen, types=["LOC", "ORG", "PER"])
    # Paris is seen (as ORG in train: any type counts) but predicted with the wrong type: not found
    assert result["seen"] == {"support": 2, "found": 1, "recall": 0.5}
    assert result["unseen"] == {"support": 1, "found": 1, "recall": 1.0}
    assert result["per_type"]["LOC"] == {"seen": {"support": 1, "found": 0, "recall": 0.0},
                                         "unseen": {"support": 1, "found": 1, "recall": 1.0}}
    assert result["per_type"]["ORG"]["seen"] == {"support": 0, "found": 0, "recall": None}
    assert list(result["per_type"]) == ["LOC", "ORG", "PER"]
    table = novelty.markdown(result)
    assert "| ORG | 0 | – | 0 | – |" in table and "| **all** | 2 | 0.5000 | 1 | 1.0000 |" in table


def test_report_gives_recall_on_spans_seen_in_the_gold_training_split(tmp_path):
    from arabic_ie.analysis.report import write_report

    train, silver = tmp_path / "train.txt", tmp_path / "silver.txt"
    train.write_text("محمد B-PER\nزار O\nدمشق B-LOC\n\n", encoding="utf-8")
    silver.write_text("حلب B-LOC\n\n", encoding="utf-8")  # silver names do not count as seen
    run = make_run(tmp_path / "run", 1, [], 0.5, *tag_records([["B-PER", "O", "B-LOC"]], [["B-PER", "O", "O"]]))
    texts = "محمد في حلب"
    record = json.loads((run / "predictions" / "test.tags.jsonl").read_text())
    record["words"] = [[0, 4], [5, 7], [8, 11]]
    (run / "predictions" / "test.tags.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n")
    (run / "predictions" / "test.jsonl").write_text(json.dumps({"id": "d0", "text": texts}, ensure_ascii=False) + "\n")
    (run / "config.yaml").write_text(f"seed: 1\ndata:\n  name: x\n  format: conll\n  train: {train}\n  silver: {silver}\n"
                                     "  split_proclitics: false\n  columns: [ner]\n")
    analysis = write_report(run, n_samples=20, plots=False)
    ner = analysis["test"]["ner"]["novelty"]
    assert ner["seen"] == {"support": 1, "found": 1, "recall": 1.0}  # محمد
    assert ner["unseen"] == {"support": 1, "found": 0, "recall": 0.0}  # حلب: only in the silver file
    assert "| **all** | 1 | 1.0000 | 1 | 0.0000 |" in (run / "report" / "report.md").read_text()
    (run / "predictions" / "test.jsonl").unlink()  # no texts: seen or unseen cannot be told
    analysis = write_report(run, n_samples=20, plots=False)
    assert "novelty" not in analysis["test"]["ner"]
    assert "not computed (predictions/test.jsonl lacks the text of 1 document(s), e.g. 'd0')" in (run / "report" / "report.md").read_text()
    train.unlink()
    analysis = write_report(run, n_samples=20, plots=False)
    assert "novelty" not in analysis["test"]["ner"]
    assert f"not computed (the training split could not be read: {train}" in (run / "report" / "report.md").read_text()
