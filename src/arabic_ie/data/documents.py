"""The one internal currency: documents with character-offset spans.

Every reader produces `Document`s and every later stage (words, features, metrics, export) reads
them. Offsets are into the ORIGINAL text, start inclusive, end exclusive, as in BRAT standoff.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The two span tasks, in the fixed order used everywhere (heads, metrics, configs).
TASKS = ("ner", "triggers")
# The task that links triggers to entities (argument head, argument metrics); see ANNOTATION.md.
EVENTS = "events"
ROLES = ("Agent", "Target", "Place", "Time")


class AnnotationError(ValueError):
    """An annotation that breaks the span rules; the message names the document (and line)."""


@dataclass(frozen=True, order=True)
class Span:
    start: int
    end: int
    label: str

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]


@dataclass(frozen=True, order=True)
class Argument:
    """An entity span that fills a role of an event (BRAT `Role:T7`; a repeated role is `Role2`)."""

    role: str
    span: Span


@dataclass(frozen=True, order=True)
class Event:
    """A trigger span (its label is the event type) and the arguments that fill its roles."""

    trigger: Span
    arguments: tuple[Argument, ...] = ()

    @property
    def type(self) -> str:
        return self.trigger.label


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
    events: list[Event] = field(default_factory=list)
    # calendar values of DATE spans (ISO 8601 day, month or year), keyed by the entity span
    values: dict[Span, str] = field(default_factory=dict)
    # e.g. {"date": "2022-03-09"}: the article's publication date, for resolving relative dates
    metadata: dict = field(default_factory=dict)

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

    def event_error(self, roles: dict | None = None) -> str | None:
        """What is wrong with the events and date values (None if nothing): each trigger must be a
        trigger span of this document with at most one event, each filler an entity span of a type
        that `roles` ({event type: {role: filler types}}, from annotation.conf) allows."""
        entities, triggers, seen = set(self.entities), set(self.triggers), set()
        for event in self.events:
            t = event.trigger
            if t not in triggers:
                return f"event trigger {t.label} [{t.start}, {t.end}) is not a trigger span of the document"
            if t in seen:
                return f"trigger {t.label} [{t.start}, {t.end}) has more than one event"
            seen.add(t)
            for argument in event.arguments:
                s = argument.span
                if s not in entities:
                    return f"{argument.role} filler {s.label} [{s.start}, {s.end}) is not an entity span of the document"
                allowed = ROLES if roles is None else roles.get(event.type, {})
                if argument.role not in allowed:
                    return f"role {argument.role!r} is not allowed for {event.type}; allowed: {sorted(allowed)}"
                if roles is not None and s.label not in roles[event.type][argument.role]:
                    return (f"{argument.role} of {event.type} cannot be a {s.label} (allowed: "
                            f"{sorted(roles[event.type][argument.role])})")
        for span, value in self.values.items():
            if span not in entities:
                return f"date value {value!r} is attached to {span.label} [{span.start}, {span.end}), not an entity span"
        return None

    def to_dict(self) -> dict:
        record = {"id": self.id, "text": self.text}
        if self.metadata.get("date"):
            record["date"] = self.metadata["date"]
        record["entities"] = [span_to_dict(s, self.values.get(s)) for s in sorted(self.entities)]
        record["triggers"] = [span_to_dict(s) for s in sorted(self.triggers)]
        if self.events:
            record["events"] = [event_to_dict(e) for e in sorted(self.events)]
        return record


def span_to_dict(span: Span, value: str | None = None) -> dict:
    record = {"start": span.start, "end": span.end, "label": span.label}
    if value is not None:
        record["value"] = value
    return record


def event_to_dict(event: Event) -> dict:
    return {"type": event.type, "trigger": span_to_dict(event.trigger),
            "arguments": [{"role": a.role, **span_to_dict(a.span)} for a in event.arguments]}
