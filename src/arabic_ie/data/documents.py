"""The one internal currency: documents with character-offset spans.

Every reader produces `Document`s and every later stage (words, features, metrics, export) reads
them. Offsets are into the ORIGINAL text, start inclusive, end exclusive, as in BRAT standoff.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The two tasks, in the fixed order used everywhere (heads, metrics, configs).
TASKS = ("ner", "triggers")


class AnnotationError(ValueError):
    """An annotation that breaks the span rules; the message names the document (and line)."""


@dataclass(frozen=True, order=True)
class Span:
    start: int
    end: int
    label: str

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]


@dataclass
class Document:
    """An article (or a sentence, for CoNLL data) with its spans per task.

    `words` is optional: readers of pre-tokenised formats (CoNLL) set it to the token offsets so
    that the pipeline uses the given tokens instead of segmenting the text itself.
    """

    id: str
    text: str
    entities: list[Span] = field(default_factory=list)
    triggers: list[Span] = field(default_factory=list)
    words: list[tuple[int, int]] | None = None

    def spans(self, task: str) -> list[Span]:
        if task == "ner":
            return self.entities
        if task == "triggers":
            return self.triggers
        raise KeyError(f"unknown task {task!r}; expected one of {TASKS}")

    def validate(self, where: str | None = None) -> None:
        """Raise AnnotationError for offsets outside the text, empty spans or overlaps in a task."""
        where = where or f"document {self.id!r}"
        for task in TASKS:
            spans = sorted(self.spans(task))
            for span in spans:
                if not (0 <= span.start < span.end <= len(self.text)):
                    raise AnnotationError(
                        f"{where}: {task} span {span.label} [{span.start}, {span.end}) is outside "
                        f"the text (length {len(self.text)}) or empty"
                    )
            for left, right in zip(spans, spans[1:]):
                if right.start < left.end:
                    raise AnnotationError(
                        f"{where}: overlapping {task} spans {left.label} [{left.start}, {left.end}) "
                        f"{left.text_in(self.text)!r} and {right.label} [{right.start}, {right.end}) "
                        f"{right.text_in(self.text)!r}; the scheme keeps only the longest"
                    )

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "text": self.text,
            "entities": [span_to_dict(s) for s in sorted(self.entities)],
            "triggers": [span_to_dict(s) for s in sorted(self.triggers)],
        }


def span_to_dict(span: Span) -> dict:
    return {"start": span.start, "end": span.end, "label": span.label}
