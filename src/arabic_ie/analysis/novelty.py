"""Recall on gold spans seen and unseen in training: where a tagger has to generalise.

A gold span is *seen* when its exact text (the document's characters between its offsets) is the
text of a span of the same task somewhere in the gold training split, whatever its type there,
and *unseen* otherwise; it counts as found when a predicted span has the same offsets and type.
Silver sentences (`data.silver`) are left out of "training" on purpose: every run on one dataset
then splits the gold spans alike, so runs with and without silver compare. Names a split never
shows are where a small encoder falls behind (docs/accuracy.md): a recall gap between the two
columns measures missing knowledge, which no head or schedule supplies.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from arabic_ie.data.documents import Document, Span

SEEN, UNSEEN = "seen", "unseen"


def span_texts(documents: Iterable[Document], task: str) -> set[str]:
    """The texts of a task's spans in `documents` (e.g. every entity string of a training split)."""
    return {span.text_in(document.text) for document in documents for span in document.spans(task)}


def _recall(found: int, support: int) -> dict:
    return {"support": support, "found": found, "recall": found / support if support else None}


def novelty_recall(documents: Iterable[tuple[list[Span], list[Span], str]], seen: set[str], types: Iterable[str] = ()) -> dict:
    """Recall of the seen and the unseen gold spans, overall and per type, over (gold spans,
    predicted spans, text) per document. Types in `types` are listed even without support."""
    support, found = Counter(), Counter()
    for gold, predicted, text in documents:
        predicted = {(s.start, s.end, s.label) for s in predicted}
        for span in gold:
            group = SEEN if span.text_in(text) in seen else UNSEEN
            hit = (span.start, span.end, span.label) in predicted
            for key in ((group, None), (group, span.label)):
                support[key] += 1
                found[key] += hit
    labels = list(dict.fromkeys([*types, *sorted({label for _, label in support if label is not None})]))
    result = {group: _recall(found[(group, None)], support[(group, None)]) for group in (SEEN, UNSEEN)}
    result["per_type"] = {label: {group: _recall(found[(group, label)], support[(group, label)]) for group in (SEEN, UNSEEN)}
                          for label in labels}
    return result


def markdown(result: dict) -> str:
    """A table: per type and overall, the support and recall of seen and unseen gold spans."""
    def cells(row: dict) -> str:
        return " | ".join(f"{row[g]['support']} | {'–' if row[g]['recall'] is None else format(row[g]['recall'], '.4f')}"
                          for g in (SEEN, UNSEEN))
    lines = ["| type | seen | seen recall | unseen | unseen recall |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {label} | {cells(row)} |" for label, row in result["per_type"].items()]
    lines.append(f"| **all** | {cells(result)} |")
    return "\n".join(lines) + "\n"
