"""Partial-overlap and type-only scores in the style of SemEval-2013 task 9.1 (Segura-Bedmar et al.
2013), computed with the `nervaluate` library on word-tag sequences.

Four schemes, each with correct (COR), incorrect (INC), partial (PAR), missed (MIS) and spurious
(SPU) counts, ACT = COR+INC+PAR+SPU predictions and POS = COR+INC+PAR+MIS gold spans:

- strict:  exact boundaries and type (P = COR/ACT; equals seqeval's default-mode micro F1);
- exact:   exact boundaries, any type;
- partial: overlapping boundaries, any type, a partial match counts half (P = (COR + 0.5 PAR)/ACT);
- type:    the right type on overlapping boundaries (nervaluate's `ent_type`).

Spans are decoded from the tags conlleval style (as seqeval's default mode does) and given to
nervaluate as word indices with an inclusive end, the convention of its overlap test.
"""

from __future__ import annotations

from seqeval.metrics.sequence_labeling import get_entities

SCHEMES = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}
FIELDS = ("correct", "incorrect", "partial", "missed", "spurious", "actual", "possible", "precision", "recall", "f1")


def _entities(tags: list[str]) -> list[dict]:
    return [{"label": kind, "start": start, "end": end} for kind, start, end in get_entities(list(tags))]


def _row(result) -> dict:
    return {name: (float(getattr(result, name)) if name in ("precision", "recall", "f1") else int(getattr(result, name))) for name in FIELDS}


def semeval_scores(gold: list[list[str]], predicted: list[list[str]], types=()) -> dict:
    """{"overall": {SCHEME: {correct, incorrect, partial, missed, spurious, actual, possible,
    precision, recall, f1}}, "per_type": {TYPE: {SCHEME: {...}}}} for SCHEME in strict, exact,
    partial, type. Types absent from gold and predictions get no per-type row."""
    from nervaluate import Evaluator

    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold and {len(predicted)} predicted tag sequences")
    true = [_entities(g) for g in gold]
    pred = [_entities(p) for p in predicted]
    tags = sorted(set(types) | {e["label"] for doc in true + pred for e in doc})
    empty = {"overall": {s: _row(_Empty()) for s in SCHEMES}, "per_type": {}}
    if not true:
        return empty
    results = Evaluator(true, pred, tags=tags, loader="dict").evaluate()
    overall = {ours: _row(results["overall"][theirs]) for ours, theirs in SCHEMES.items()}
    per_type = {kind: {ours: _row(results["entities"][kind][theirs]) for ours, theirs in SCHEMES.items()}
                for kind in sorted(results["entities"])}
    return {"overall": overall, "per_type": per_type}


class _Empty:
    correct = incorrect = partial = missed = spurious = actual = possible = 0
    precision = recall = f1 = 0.0


def markdown(scores: dict, title: str = "") -> str:
    lines = [f"| {title or 'scheme'} | COR | INC | PAR | MIS | SPU | P | R | F1 |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for scheme, r in scores["overall"].items():
        lines.append(f"| {scheme} | {r['correct']} | {r['incorrect']} | {r['partial']} | {r['missed']} | {r['spurious']} | "
                     f"{r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} |")
    return "\n".join(lines) + "\n"
