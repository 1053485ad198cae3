"""Span precision, recall and F1 on exact matches, in pure Python: what a user of the package sees.

- character level: a predicted span counts when its (start, end, label) equals a gold span's, in
  character offsets of the raw text (the strictest measure);
- word level: a span counts when it covers the same words (first word, last word, label) as a gold
  span, under the package's word segmentation; a span boundary inside a word is widened to it.

Schema of one task's scores: {"micro": {precision, recall, f1, tp, predicted, gold}, "macro":
{precision, recall, f1}, "per_type": {TYPE: {precision, recall, f1, support, tp, predicted}}}.
The macro average is over the types present in gold or predictions (as seqeval's), and every type
of `types` is reported even when absent. A score with nothing to divide is 0.
"""

from __future__ import annotations

import bisect
from collections import Counter


def _prf(tp: int, predicted: int, gold: int) -> tuple[float, float, float]:
    precision = tp / predicted if predicted else 0.0
    recall = tp / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def exact_scores(gold: list, predicted: list, types=()) -> dict:
    """Scores of one task from per-document collections of hashable (…, label) tuples whose last
    item is the label: (start, end, label) for characters, (first, last, label) for words."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold documents but {len(predicted)} predicted")
    tp, n_gold, n_pred = Counter(), Counter(), Counter()
    for gold_doc, pred_doc in zip(gold, predicted):
        gold_set, pred_set = set(map(tuple, gold_doc)), set(map(tuple, pred_doc))
        for span in gold_set:
            n_gold[span[-1]] += 1
        for span in pred_set:
            n_pred[span[-1]] += 1
            if span in gold_set:
                tp[span[-1]] += 1
    per_type = {}
    present = set(n_gold) | set(n_pred)
    for label in sorted(present | set(types)):
        p, r, f = _prf(tp[label], n_pred[label], n_gold[label])
        per_type[label] = {"precision": p, "recall": r, "f1": f, "support": n_gold[label], "tp": tp[label],
                           "predicted": n_pred[label]}
    p, r, f = _prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    micro = {"precision": p, "recall": r, "f1": f, "tp": sum(tp.values()), "predicted": sum(n_pred.values()),
             "gold": sum(n_gold.values())}
    if present:
        macro = {key: sum(per_type[t][key] for t in present) / len(present) for key in ("precision", "recall", "f1")}
    else:
        macro = {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    return {"micro": micro, "macro": macro, "per_type": per_type}


def char_spans(spans) -> list[tuple[int, int, str]]:
    """(start, end, label) of Span objects or span dicts."""
    out = []
    for span in spans:
        if isinstance(span, dict):
            out.append((int(span["start"]), int(span["end"]), str(span["label"])))
        elif isinstance(span, tuple) and not hasattr(span, "start"):
            out.append((int(span[0]), int(span[1]), str(span[2])))
        else:
            out.append((span.start, span.end, span.label))
    return out


def word_spans(spans, words: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """(first word, last word, label) of each span: the words it overlaps. A span over no word
    (only whitespace) is dropped."""
    starts = [w[0] for w in words]
    out = []
    for start, end, label in char_spans(spans):
        first = bisect.bisect_right(starts, start) - 1
        if first < 0 or words[first][1] <= start:
            first += 1
        last = bisect.bisect_left(starts, end) - 1
        if first < len(words) and first <= last:
            out.append((first, last, label))
    return out
