"""Argument identification and classification P/R/F1 (the usual event-extraction sense).

A predicted argument is identified when its trigger (offsets and event type) and its filler span
(offsets) match a gold argument; it is classified when its role matches too. Scores are micro
over all arguments, macro over the roles present, and per role. Schema as the span tasks':
{MODE: {"micro": {precision, recall, f1}, "macro": {...}, "per_type": {ROLE: {..., support}}}}
with MODE in ARG_MODES.
"""

from __future__ import annotations

ARG_MODES = ("classification", "identification")
# metrics.json task keys: the argument head on gold entities and triggers, and end to end
ARG_TASKS = {"gold": "arguments (gold input)", "e2e": "arguments (end to end)"}


def argument_tuples(events, mode: str = "classification") -> set[tuple]:
    """(role, trigger start, trigger end, event type, filler start, filler end) per argument;
    role is "ARG" in identification mode."""
    return {(a.role if mode == "classification" else "ARG", e.trigger.start, e.trigger.end, e.type, a.span.start, a.span.end)
            for e in events for a in e.arguments}


def _prf(tp: int, n_pred: int, n_gold: int) -> dict:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def argument_scores(gold: list[list], predicted: list[list], roles=()) -> dict:
    """Scores of predicted events against gold events, one list of Events per document."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold documents but {len(predicted)} predicted ones")
    result = {}
    for mode in ARG_MODES:
        g = {(d, *t) for d, events in enumerate(gold) for t in argument_tuples(events, mode)}
        p = {(d, *t) for d, events in enumerate(predicted) for t in argument_tuples(events, mode)}
        kinds = sorted(set(roles) | {t[1] for t in g | p}) if mode == "classification" else ["ARG"]
        per_type = {}
        for kind in kinds:
            gk, pk = {t for t in g if t[1] == kind}, {t for t in p if t[1] == kind}
            per_type[kind] = {**_prf(len(gk & pk), len(pk), len(gk)), "support": len(gk)}
        present = [per_type[k] for k in kinds if per_type[k]["support"] or any(t[1] == k for t in p)]
        macro = {name: sum(s[name] for s in present) / len(present) if present else 0.0 for name in ("precision", "recall", "f1")}
        result[mode] = {"micro": {**_prf(len(g & p), len(p), len(g)), "tp": len(g & p), "predicted": len(p), "gold": len(g)},
                        "macro": macro, "per_type": per_type if mode == "classification" else {}}
    return result


def count_table(gold: list[list], predicted: list[list], mode: str) -> list[tuple[set, set]]:
    """Per document (gold, predicted) argument tuples, for the bootstrap (analysis.bootstrap.tabulate)."""
    return [(argument_tuples(g, mode), argument_tuples(p, mode)) for g, p in zip(gold, predicted)]
