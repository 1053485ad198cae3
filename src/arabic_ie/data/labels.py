"""IOB2 label schemes and the conversion between character spans and per-word tags."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from arabic_ie.data.documents import Span

OUTSIDE = "O"


@dataclass(frozen=True)
class LabelScheme:
    """The IOB2 tag set of one task: O, then B-/I- for each type in the given order."""

    task: str
    types: tuple[str, ...]

    @property
    def labels(self) -> list[str]:
        return [OUTSIDE] + [f"{prefix}-{t}" for t in self.types for prefix in ("B", "I")]

    @property
    def label2id(self) -> dict[str, int]:
        return {label: i for i, label in enumerate(self.labels)}

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.labels))

    def __len__(self) -> int:
        return len(self.labels)

    def to_dict(self) -> dict:
        return {"task": self.task, "types": list(self.types), "labels": self.labels}

    @classmethod
    def from_dict(cls, data: dict) -> "LabelScheme":
        return cls(task=data["task"], types=tuple(data["types"]))

    @classmethod
    def from_documents(cls, task: str, documents, types=None) -> "LabelScheme":
        """Types given in the config, else every type seen in the documents (sorted)."""
        seen = sorted({s.label for d in documents for s in d.spans(task)})
        if types:
            unknown = sorted(set(seen) - set(types))
            if unknown:
                raise ValueError(f"{task}: data has types {unknown} that the configured types {list(types)} lack")
            return cls(task, tuple(types))
        return cls(task, tuple(seen))


def spans_to_tags(spans, words) -> tuple[list[str], list[Span]]:
    """Tag each word B-/I-/O from character spans.

    A span whose boundaries fall inside a word cannot be represented exactly: it is widened to the
    words it touches and returned in the second list, so that callers count and report it.
    """
    tags = [OUTSIDE] * len(words)
    starts = [w[0] for w in words]
    misaligned = []

    for span in sorted(spans):
        first = bisect.bisect_right(starts, span.start) - 1
        if first < 0 or words[first][1] <= span.start:
            first += 1  # the span starts in whitespace before a word
        last = first
        while last + 1 < len(words) and words[last + 1][0] < span.end:
            last += 1
        if first >= len(words) or words[first][0] >= span.end:
            misaligned.append(span)  # covers no word at all (only whitespace or punctuation)
            continue
        if any(tags[i] != OUTSIDE for i in range(first, last + 1)):
            misaligned.append(span)  # two spans share a word: the later one is dropped
            continue
        if words[first][0] != span.start or words[last][1] != span.end:
            misaligned.append(span)
        tags[first] = f"B-{span.label}"
        for i in range(first + 1, last + 1):
            tags[i] = f"I-{span.label}"
    return tags, misaligned


def tags_to_spans(tags, words) -> tuple[list[Span], list[int]]:
    """Decode IOB2 tags into character spans, conlleval style.

    An I- tag that does not continue a span of its type starts a new span; the indices of such
    repaired tags are returned so that readers can report them.
    """
    spans, repaired = [], []
    start = label = None
    end = 0
    for index, (tag, (w_start, w_end)) in enumerate(zip(tags, words)):
        prefix, _, kind = tag.partition("-")
        if prefix not in ("B", "I", OUTSIDE) or (prefix != OUTSIDE and not kind):
            raise ValueError(f"malformed IOB2 tag {tag!r}")
        if prefix == "I" and label == kind:
            end = w_end
            continue
        if label is not None:
            spans.append(Span(start, end, label))
            label = None
        if prefix == OUTSIDE:
            continue
        if prefix == "I":
            repaired.append(index)
        start, end, label = w_start, w_end, kind
    if label is not None:
        spans.append(Span(start, end, label))
    return spans, repaired
