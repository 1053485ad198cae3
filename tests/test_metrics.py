"""Tests of arabic_ie.evaluate.metrics: span-level scores (seqeval) and the tables written after training.

Every expected number is computed by hand from the spans of the example, as noted next to it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

try:  # the package may not be installed into the venv (src layout)
    import arabic_ie  # noqa: F401
except ImportError:  # pragma: no cover - depends on how the venv was set up
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from arabic_ie.evaluate.metrics import MODES, markdown_table, span_scores, summary_table


def prf(precision, recall, f1):
    return {"precision": pytest.approx(precision), "recall": pytest.approx(recall), "f1": pytest.approx(f1)}


def row(precision, recall, f1, support):
    return {**prf(precision, recall, f1), "support": support}


def test_modes():
    assert MODES == ("strict", "default")


def test_one_wrong_type_halves_micro_scores():
    # gold: PER(0-1), LOC(3); predicted: PER(0-1), ORG(3) -> TP 1, FP 1, FN 1
    scores = span_scores([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "B-ORG"]])
    assert set(scores) == {"strict", "default"}
    for mode in MODES:
        assert set(scores[mode]) == {"micro", "macro", "per_type"}
        assert scores[mode]["micro"] == prf(0.5, 0.5, 0.5)
        assert scores[mode]["per_type"] == {
            "LOC": row(0.0, 0.0, 0.0, 1),
            "ORG": row(0.0, 0.0, 0.0, 0),  # predicted only: no support, precision 0
            "PER": row(1.0, 1.0, 1.0, 1),
        }
        assert list(scores[mode]["per_type"]) == ["LOC", "ORG", "PER"]  # sorted
        # seqeval's macro average runs over LOC, ORG and PER (present in gold or prediction)
        assert scores[mode]["macro"] == prf(1 / 3, 1 / 3, 1 / 3)


def test_boundary_error_is_both_a_false_positive_and_a_false_negative():
    gold = [["B-PER", "I-PER", "O", "B-LOC", "O", "B-LOC", "O"]]
    predicted = [["B-PER", "O", "O", "B-LOC", "O", "B-LOC", "B-ORG"]]
    # gold spans: PER(0-1) LOC(3) LOC(5); predicted: PER(0) LOC(3) LOC(5) ORG(6)
    # TP 2 (the LOCs); FP 2 (PER(0), ORG(6)); FN 1 (PER(0-1)) -> P 2/4, R 2/3, F1 4/7
    scores = span_scores(gold, predicted)
    for mode in MODES:
        assert scores[mode]["micro"] == prf(0.5, 2 / 3, 4 / 7)
        assert scores[mode]["per_type"]["PER"] == row(0.0, 0.0, 0.0, 1)
        assert scores[mode]["per_type"]["LOC"] == row(1.0, 1.0, 1.0, 2)
        assert scores[mode]["per_type"]["ORG"] == row(0.0, 0.0, 0.0, 0)
        assert scores[mode]["macro"] == prf(1 / 3, 1 / 3, 1 / 3)


def test_counts_add_up_over_sentences():
    gold = [["B-PER", "O"], ["B-LOC", "O"], ["O", "B-LOC", "I-LOC"]]
    predicted = [["B-PER", "O"], ["O", "B-LOC"], ["O", "B-LOC", "I-LOC"]]
    # TP: PER, LOC(1-2) in sentence 3; FP: LOC(1) in sentence 2; FN: LOC(0) in sentence 2
    scores = span_scores(gold, predicted)
    assert scores["default"]["micro"] == prf(2 / 3, 2 / 3, 2 / 3)
    assert scores["default"]["per_type"] == {"LOC": row(0.5, 0.5, 0.5, 2), "PER": row(1.0, 1.0, 1.0, 1)}
    assert scores["default"]["macro"] == prf(0.75, 0.75, 0.75)


def test_strict_mode_ignores_spans_starting_with_i():
    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    predicted = [["I-PER", "I-PER", "O", "B-LOC"]]
    scores = span_scores(gold, predicted)
    # default (conlleval): I-PER I-PER is the span PER(0-1), which matches the gold one
    assert scores["default"]["micro"] == prf(1.0, 1.0, 1.0)
    assert scores["default"]["per_type"]["PER"] == row(1.0, 1.0, 1.0, 1)
    # strict IOB2: the predicted PER is no span at all -> TP 1 (LOC), FN 1 (PER)
    assert scores["strict"]["micro"] == prf(1.0, 0.5, 2 / 3)
    assert scores["strict"]["per_type"]["PER"] == row(0.0, 0.0, 0.0, 1)
    assert scores["strict"]["per_type"]["LOC"] == row(1.0, 1.0, 1.0, 1)
    assert scores["strict"]["macro"] == prf(0.5, 0.5, 0.5)


def test_strict_mode_does_not_count_gold_spans_starting_with_i():
    gold = [["I-PER", "I-PER", "O", "B-LOC"]]
    scores = span_scores(gold, gold, types=("LOC", "PER"))
    assert scores["default"]["per_type"]["PER"] == row(1.0, 1.0, 1.0, 1)
    assert scores["strict"]["per_type"]["PER"] == row(0.0, 0.0, 0.0, 0)
    assert scores["strict"]["micro"] == prf(1.0, 1.0, 1.0)  # only LOC is a span


def test_strict_and_default_differ_on_an_i_tag_of_another_type():
    tags = [["B-PER", "I-LOC", "O"]]
    scores = span_scores(tags, tags)
    assert scores["default"]["per_type"] == {"LOC": row(1.0, 1.0, 1.0, 1), "PER": row(1.0, 1.0, 1.0, 1)}
    assert scores["strict"]["per_type"] == {"PER": row(1.0, 1.0, 1.0, 1)}


def test_scheme_types_are_reported_with_zero_support():
    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    predicted = [["B-PER", "I-PER", "O", "B-ORG"]]
    scores = span_scores(gold, predicted, types=("PER", "LOC", "ORG", "MISC", "DATE"))
    for mode in MODES:
        per_type = scores[mode]["per_type"]
        assert list(per_type) == ["DATE", "LOC", "MISC", "ORG", "PER"]
        assert per_type["MISC"] == row(0.0, 0.0, 0.0, 0)
        assert per_type["DATE"] == row(0.0, 0.0, 0.0, 0)
        # types absent from gold and prediction do not enter seqeval's macro average
        assert scores[mode]["macro"] == prf(1 / 3, 1 / 3, 1 / 3)
        assert scores[mode]["micro"] == prf(0.5, 0.5, 0.5)


def test_macro_is_the_mean_over_types_present_in_gold_or_prediction():
    gold = [["B-PER", "O", "B-LOC", "I-LOC", "O", "B-ORG", "O", "B-PER"]]
    predicted = [["B-PER", "O", "B-LOC", "O", "O", "B-ORG", "O", "O"]]
    # PER: P 1/1, R 1/2, F1 2/3; LOC: 0 (boundary); ORG: 1, 1, 1
    scores = span_scores(gold, predicted, types=("PER", "LOC", "ORG", "MISC"))
    default = scores["default"]
    assert default["per_type"]["PER"] == row(1.0, 0.5, 2 / 3, 2)
    assert default["per_type"]["LOC"] == row(0.0, 0.0, 0.0, 1)
    assert default["per_type"]["ORG"] == row(1.0, 1.0, 1.0, 1)
    assert default["macro"] == prf(2 / 3, 1.5 / 3, (2 / 3 + 0 + 1) / 3)
    # micro: TP 2 of 3 predicted and 4 gold
    assert default["micro"] == prf(2 / 3, 0.5, 4 / 7)


def test_scores_are_plain_json_numbers():
    scores = span_scores([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "B-ORG"]], types=("MISC",))
    for mode in MODES:
        for name in ("micro", "macro"):
            assert all(type(v) is float for v in scores[mode][name].values())
        for values in scores[mode]["per_type"].values():
            assert type(values["support"]) is int
            assert all(type(values[k]) is float for k in ("precision", "recall", "f1"))
    assert json.loads(json.dumps(scores, allow_nan=False)) == scores


def test_no_span_anywhere_scores_zero_micro():
    scores = span_scores([["O", "O"], ["O"]], [["O", "O"], ["O"]], types=("PER",))
    for mode in MODES:
        assert scores[mode]["micro"] == prf(0.0, 0.0, 0.0)
        assert scores[mode]["per_type"] == {"PER": row(0.0, 0.0, 0.0, 0)}


def test_no_span_anywhere_scores_zero_macro():
    scores = span_scores([["O", "O"], ["O"]], [["O", "O"], ["O"]], types=("PER",))
    for mode in MODES:
        assert scores[mode]["macro"] == prf(0.0, 0.0, 0.0)
    json.dumps(scores, allow_nan=False)


# --------------------------------------------------------------------------------------------
# tables


@pytest.fixture
def metrics():
    ner = span_scores([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "B-ORG"]])
    triggers = span_scores([["B-ATTACK", "I-ATTACK", "O", "B-SIEGE"]], [["I-ATTACK", "I-ATTACK", "O", "B-SIEGE"]],
                           types=("ATTACK", "DEMAND", "SIEGE"))
    test_ner = span_scores([["B-PER", "O", "B-LOC"]], [["B-PER", "O", "B-LOC"]], types=("LOC", "ORG", "PER"))
    return {"dev": {"ner": ner, "triggers": triggers}, "test": {"ner": test_ner}}


def test_markdown_table_rows(metrics):
    lines = markdown_table(metrics).split("\n")
    assert lines[-1] == ""  # ends with a newline
    lines = lines[:-1]
    assert lines[0] == "| split | task | mode | type | precision | recall | F1 | support |"
    assert lines[1] == "|---|---|---|---|---:|---:|---:|---:|"
    assert lines[2:12] == [
        "| dev | ner | strict | **micro** | 0.5000 | 0.5000 | 0.5000 | |",
        "| dev | ner | strict | **macro** | 0.3333 | 0.3333 | 0.3333 | |",
        "| dev | ner | strict | LOC | 0.0000 | 0.0000 | 0.0000 | 1 |",
        "| dev | ner | strict | ORG | 0.0000 | 0.0000 | 0.0000 | 0 |",
        "| dev | ner | strict | PER | 1.0000 | 1.0000 | 1.0000 | 1 |",
        "| dev | ner | default | **micro** | 0.5000 | 0.5000 | 0.5000 | |",
        "| dev | ner | default | **macro** | 0.3333 | 0.3333 | 0.3333 | |",
        "| dev | ner | default | LOC | 0.0000 | 0.0000 | 0.0000 | 1 |",
        "| dev | ner | default | ORG | 0.0000 | 0.0000 | 0.0000 | 0 |",
        "| dev | ner | default | PER | 1.0000 | 1.0000 | 1.0000 | 1 |",
    ]
    # triggers, strict: ATTACK predicted with I- only -> TP 1 (SIEGE) of 2 gold, 1 predicted
    assert lines[12:22] == [
        "| dev | triggers | strict | **micro** | 1.0000 | 0.5000 | 0.6667 | |",
        "| dev | triggers | strict | **macro** | 0.5000 | 0.5000 | 0.5000 | |",
        "| dev | triggers | strict | ATTACK | 0.0000 | 0.0000 | 0.0000 | 1 |",
        "| dev | triggers | strict | DEMAND | 0.0000 | 0.0000 | 0.0000 | 0 |",
        "| dev | triggers | strict | SIEGE | 1.0000 | 1.0000 | 1.0000 | 1 |",
        "| dev | triggers | default | **micro** | 1.0000 | 1.0000 | 1.0000 | |",
        "| dev | triggers | default | **macro** | 1.0000 | 1.0000 | 1.0000 | |",
        "| dev | triggers | default | ATTACK | 1.0000 | 1.0000 | 1.0000 | 1 |",
        "| dev | triggers | default | DEMAND | 0.0000 | 0.0000 | 0.0000 | 0 |",
        "| dev | triggers | default | SIEGE | 1.0000 | 1.0000 | 1.0000 | 1 |",
    ]
    assert lines[22:] == [
        "| test | ner | strict | **micro** | 1.0000 | 1.0000 | 1.0000 | |",
        "| test | ner | strict | **macro** | 1.0000 | 1.0000 | 1.0000 | |",
        "| test | ner | strict | LOC | 1.0000 | 1.0000 | 1.0000 | 1 |",
        "| test | ner | strict | ORG | 0.0000 | 0.0000 | 0.0000 | 0 |",
        "| test | ner | strict | PER | 1.0000 | 1.0000 | 1.0000 | 1 |",
        "| test | ner | default | **micro** | 1.0000 | 1.0000 | 1.0000 | |",
        "| test | ner | default | **macro** | 1.0000 | 1.0000 | 1.0000 | |",
        "| test | ner | default | LOC | 1.0000 | 1.0000 | 1.0000 | 1 |",
        "| test | ner | default | ORG | 0.0000 | 0.0000 | 0.0000 | 0 |",
        "| test | ner | default | PER | 1.0000 | 1.0000 | 1.0000 | 1 |",
    ]


def test_summary_table_rows(metrics):
    assert summary_table(metrics) == (
        "| split | task | strict P | strict R | strict F1 | default F1 | macro F1 (default) |\n"
        "|---|---|---:|---:|---:|---:|---:|\n"
        "| dev | ner | 0.5000 | 0.5000 | 0.5000 | 0.5000 | 0.3333 |\n"
        "| dev | triggers | 1.0000 | 0.5000 | 0.6667 | 1.0000 | 1.0000 |\n"
        "| test | ner | 1.0000 | 1.0000 | 1.0000 | 1.0000 | 1.0000 |\n"
    )


def test_tables_round_to_four_decimals():
    scores = span_scores([["B-PER", "O", "B-PER", "O", "B-PER", "B-LOC", "O"]],
                         [["B-PER", "O", "B-PER", "O", "O", "O", "B-LOC"]])
    # TP 2, FP 1, FN 2 -> P 2/3, R 2/4, F1 4/7 = 0.571428...
    assert scores["strict"]["micro"] == prf(2 / 3, 0.5, 4 / 7)
    table = summary_table({"dev": {"ner": scores}})
    # macro (default): PER P 1 R 2/3 F1 0.8; LOC 0 -> 0.4
    assert table.splitlines()[2] == "| dev | ner | 0.6667 | 0.5000 | 0.5714 | 0.5714 | 0.4000 |"
