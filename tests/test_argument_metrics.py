"""Argument identification / classification scores on hand-made cases."""

from __future__ import annotations

import pytest

from arabic_ie.data.documents import Argument, Event, Span
from arabic_ie.evaluate.arguments import argument_scores

SHELL = Span(0, 4, "ATTACK")
ARMY, TOWN, TUESDAY, BOY = Span(5, 16, "ORG"), Span(17, 20, "LOC"), Span(21, 29, "DATE"), Span(30, 34, "PER")
GOLD = [[Event(SHELL, (Argument("Agent", ARMY), Argument("Target", TOWN), Argument("Time", TUESDAY)))]]


def test_perfect_prediction():
    scores = argument_scores(GOLD, GOLD)
    assert scores["classification"]["micro"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "tp": 3, "predicted": 3, "gold": 3}
    assert scores["identification"]["micro"]["f1"] == 1.0


def test_right_filler_wrong_role_counts_for_identification_only():
    # Target and Place swapped on the town: identified (trigger + filler match) but misclassified
    predicted = [[Event(SHELL, (Argument("Agent", ARMY), Argument("Place", TOWN), Argument("Time", TUESDAY)))]]
    scores = argument_scores(GOLD, predicted, roles=("Agent", "Target", "Place", "Time"))
    assert scores["identification"]["micro"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "tp": 3, "predicted": 3, "gold": 3}
    c = scores["classification"]
    assert c["micro"]["tp"] == 2 and c["micro"]["precision"] == pytest.approx(2 / 3) and c["micro"]["recall"] == pytest.approx(2 / 3)
    assert c["per_type"]["Target"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert c["per_type"]["Place"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert c["per_type"]["Agent"]["f1"] == 1.0
    # macro over the roles present in gold or prediction: Agent 1, Target 0, Place 0, Time 1
    assert c["macro"]["f1"] == pytest.approx(0.5)


def test_wrong_trigger_type_or_offsets_is_a_miss_and_a_false_alarm():
    wrong_type = [[Event(Span(0, 4, "KILL"), GOLD[0][0].arguments)]]
    assert argument_scores(GOLD, wrong_type)["identification"]["micro"]["tp"] == 0
    # a filler one character short is not the gold filler; an extra argument costs precision
    predicted = [[Event(SHELL, (Argument("Agent", Span(5, 15, "ORG")), Argument("Target", TOWN), Argument("Time", TUESDAY),
                                Argument("Target", BOY)))]]
    m = argument_scores(GOLD, predicted)["classification"]["micro"]
    assert (m["tp"], m["predicted"], m["gold"]) == (2, 4, 3)
    assert m["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))


def test_documents_are_kept_apart_and_empty_input_scores_zero():
    # the same argument predicted for the other document is wrong
    assert argument_scores(GOLD + [[]], [[], GOLD[0]])["classification"]["micro"]["tp"] == 0
    assert argument_scores([[]], [[]])["classification"]["micro"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "tp": 0, "predicted": 0, "gold": 0}
    with pytest.raises(ValueError, match="1 gold documents but 2 predicted"):
        argument_scores(GOLD, [[], []])
