"""Error categories of predicted spans against gold spans (character offsets), for error analysis.

Gold and predicted spans of one document are paired one to one:
1. same boundaries and type              -> correct
2. same boundaries, another type         -> wrong_type
3. overlapping, largest overlap first:
   - same type, the boundaries differ only by a leading proclitic (و ف ب ل ك, one or two of them,
     on either side: وبغداد against بغداد)      -> proclitic_boundary
   - same type, other boundaries         -> wrong_boundary
   - another type and other boundaries   -> wrong_type_and_boundary
4. gold spans left over -> missed; predicted spans left over -> spurious.
The pairs also give the type confusion matrix (with "none" for missed and spurious spans).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

from arabic_ie.data.documents import Span

PROCLITICS = frozenset("وفبلك")
CATEGORIES = ("correct", "missed", "spurious", "wrong_type", "wrong_boundary", "wrong_type_and_boundary", "proclitic_boundary")
ERRORS = CATEGORIES[1:]
NONE = "none"


@dataclass(frozen=True)
class SpanError:
    """One gold/predicted pairing (either side may be None) and its category."""

    document: str
    category: str
    gold: Span | None
    predicted: Span | None
    gold_text: str = ""
    predicted_text: str = ""
    context: str = ""

    @property
    def gold_type(self) -> str:
        return self.gold.label if self.gold else NONE

    @property
    def predicted_type(self) -> str:
        return self.predicted.label if self.predicted else NONE

    def to_dict(self) -> dict:
        row = asdict(self)
        for side in ("gold", "predicted"):
            span = getattr(self, side)
            row[side] = None if span is None else {"start": span.start, "end": span.end, "label": span.label}
        return row


def differs_by_proclitic(a: Span, b: Span, text: str, max_clitics: int = 2) -> bool:
    """True when the spans end at the same offset and the longer one starts with up to
    `max_clitics` proclitic letters (و ف ب ل ك) more than the shorter one, optionally followed by
    whitespace (a proclitic split off as a word of its own)."""
    if a.end != b.end or a.start == b.start or not text:
        return False
    first, second = sorted((a.start, b.start))
    prefix = text[first:second]
    letters = prefix.rstrip()
    return 0 < len(letters) <= max_clitics and all(c in PROCLITICS for c in letters)


def _overlap(a: Span, b: Span) -> int:
    return max(0, min(a.end, b.end) - max(a.start, b.start))


def categorise(gold: list[Span], predicted: list[Span], text: str = "", document: str = "", context: int = 30) -> list[SpanError]:
    """The categories of one document's spans (every gold and every predicted span appears once)."""
    gold, predicted = sorted(set(gold)), sorted(set(predicted))
    free_gold, free_pred = set(range(len(gold))), set(range(len(predicted)))
    pairs: list[tuple[str, int | None, int | None]] = []

    def take(category, g, p):
        pairs.append((category, g, p))
        free_gold.discard(g)
        free_pred.discard(p)

    for same_type in (True, False):  # exact boundaries: correct first, then wrong type
        for g in sorted(free_gold):
            for p in sorted(free_pred):
                if (gold[g].start, gold[g].end) == (predicted[p].start, predicted[p].end) and (gold[g].label == predicted[p].label) == same_type:
                    take("correct" if same_type else "wrong_type", g, p)
                    break
    candidates = sorted(((_overlap(gold[g], predicted[p]), gold[g].label == predicted[p].label, g, p)
                         for g in free_gold for p in free_pred if _overlap(gold[g], predicted[p]) > 0),
                        key=lambda c: (-c[0], not c[1], c[2], c[3]))
    for _, same_type, g, p in candidates:
        if g not in free_gold or p not in free_pred:
            continue
        if not same_type:
            category = "wrong_type_and_boundary"
        elif differs_by_proclitic(gold[g], predicted[p], text):
            category = "proclitic_boundary"
        else:
            category = "wrong_boundary"
        take(category, g, p)
    pairs += [("missed", g, None) for g in sorted(free_gold)] + [("spurious", None, p) for p in sorted(free_pred)]

    def around(g: Span | None, p: Span | None) -> str:
        spans = [s for s in (g, p) if s is not None]
        start, end = min(s.start for s in spans), max(s.end for s in spans)
        return text[max(0, start - context) : end + context].replace("\n", " ") if text else ""

    out = []
    for category, g, p in pairs:
        gs = gold[g] if g is not None else None
        ps = predicted[p] if p is not None else None
        out.append(SpanError(document, category, gs, ps, gs.text_in(text) if gs and text else "",
                             ps.text_in(text) if ps and text else "", around(gs, ps)))
    return sorted(out, key=lambda e: (min(s.start for s in (e.gold, e.predicted) if s), CATEGORIES.index(e.category)))


def categorise_documents(gold_docs, predicted_docs, task: str = "ner", context: int = 30) -> list[SpanError]:
    """Categories over documents (arabic_ie Documents, matched by id; texts from the gold side)."""
    predicted_by_id = {d.id: d for d in predicted_docs}
    missing = [d.id for d in gold_docs if d.id not in predicted_by_id]
    if missing:
        raise ValueError(f"{len(missing)} gold documents have no prediction, e.g. {missing[:3]}")
    errors = []
    for doc in gold_docs:
        errors += categorise(doc.spans(task), predicted_by_id[doc.id].spans(task), doc.text, doc.id, context)
    return errors


def summary(errors: list[SpanError]) -> dict[str, int]:
    """Count per category (every category present, zero included)."""
    counts = Counter(e.category for e in errors)
    return {c: counts.get(c, 0) for c in CATEGORIES}


def summary_by_type(errors: list[SpanError]) -> dict[str, dict[str, int]]:
    """Per gold type (or predicted type for spurious spans): count per category."""
    table: dict[str, Counter] = {}
    for e in errors:
        kind = e.gold_type if e.gold is not None else e.predicted_type
        table.setdefault(kind, Counter())[e.category] += 1
    return {k: {c: table[k].get(c, 0) for c in CATEGORIES} for k in sorted(table)}


def confusion(errors: list[SpanError], types=()) -> tuple[list[str], list[list[int]]]:
    """Gold type (rows) x predicted type (columns) over the paired spans, with a "none" row
    (spurious spans) and column (missed spans). Returns (labels, matrix)."""
    labels = sorted(set(types) | {e.gold_type for e in errors if e.gold} | {e.predicted_type for e in errors if e.predicted}) + [NONE]
    index = {k: i for i, k in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for e in errors:
        matrix[index[e.gold_type]][index[e.predicted_type]] += 1
    return labels, matrix


def markdown(errors: list[SpanError]) -> str:
    counts = summary(errors)
    total = sum(v for k, v in counts.items() if k != "correct") or 1
    lines = ["| category | count | share of errors |", "|---|---:|---:|"]
    for category, n in counts.items():
        share = "" if category == "correct" else f"{n / total:.1%}"
        lines.append(f"| {category} | {n} | {share} |")
    return "\n".join(lines) + "\n"
