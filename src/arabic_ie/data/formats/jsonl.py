"""JSONL: one document a line, {"id", "text", "date", "entities": [{"start","end","label","value"}],
"triggers": [...], "events": [{"type", "trigger": {...}, "arguments": [{"role","start","end","label"}]}]}.

`date` (the article's date, YYYY-MM-DD), an entity's `value` (ISO date of a DATE span) and
`events` are optional."""

from __future__ import annotations

import json
from pathlib import Path

from arabic_ie.data.dates import article_date_problem
from arabic_ie.data.documents import AnnotationError, Argument, Document, Event, Span
from arabic_ie.data.formats.brat_conf import ISO_DATE
from arabic_ie.data.formats.base import FormatError, ReadReport, read_text


def read_jsonl(path: Path, entity_types=None, trigger_types=None, roles=None) -> tuple[list[Document], ReadReport]:
    """Read a JSONL file. If type lists are given, any other label is an error; `roles`
    ({event type: {role: filler types}}) restricts the events' roles as annotation.conf does."""
    path = Path(path)
    allowed = {"entities": set(entity_types) if entity_types else None,
               "triggers": set(trigger_types) if trigger_types else None}
    documents, seen_ids = [], {}
    for number, line in enumerate(read_text(path).split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise FormatError(path, f"invalid JSON: {err.msg} (column {err.colno})", number) from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise FormatError(path, "each line must be an object with a string field 'text'", number)
        doc_id = str(record.get("id", f"{path.stem}-{number}"))
        if doc_id in seen_ids:
            raise FormatError(path, f"document id {doc_id!r} repeats line {seen_ids[doc_id]}", number)
        seen_ids[doc_id] = number
        spans = {key: _spans(path, number, record, key, allowed[key]) for key in ("entities", "triggers")}
        document = Document(id=doc_id, text=record["text"], entities=spans["entities"], triggers=spans["triggers"])
        try:
            document.validate(where=f"document {doc_id!r}")
        except AnnotationError as err:
            raise FormatError(path, str(err), number) from None
        date = record.get("date")
        if date is not None:
            problem = article_date_problem(date)
            if problem:
                raise FormatError(path, f"'date' {problem}", number)
            document.metadata["date"] = date
        for item, span in zip(record.get("entities", []), spans["entities"]):
            if item.get("value") is not None:
                if span.label != "DATE" or not isinstance(item["value"], str) or not ISO_DATE.match(item["value"]):
                    raise FormatError(path, f"'value' must be an ISO date (YYYY, YYYY-MM or YYYY-MM-DD) of a DATE span: {item!r}", number)
                document.values[span] = item["value"]
        document.events = _events(path, number, record)
        error = document.event_error(roles)
        if error:
            raise FormatError(path, f"document {doc_id!r}: {error}", number)
        documents.append(document)
    return documents, ReadReport()


def _spans(path, number, record, key, allowed) -> list[Span]:
    items = record.get(key, [])
    if not isinstance(items, list):
        raise FormatError(path, f"{key!r} must be a list", number)
    spans = []
    for item in items:
        try:
            span = Span(int(item["start"]), int(item["end"]), str(item["label"]))
        except (KeyError, TypeError, ValueError):
            raise FormatError(path, f"each of {key!r} needs integer 'start', 'end' and a 'label': {item!r}", number) from None
        if allowed is not None and span.label not in allowed:
            raise FormatError(path, f"unknown {'entity' if key == 'entities' else 'trigger'} type {span.label!r}; expected one of {sorted(allowed)}", number)
        if "text" in item and 0 <= span.start <= span.end <= len(record["text"]) and record["text"][span.start:span.end] != item["text"]:
            raise FormatError(path, f"span text {item['text']!r} does not match the text at [{span.start}, {span.end}): {record['text'][span.start:span.end]!r}", number)
        spans.append(span)
    return spans


def _events(path, number, record) -> list[Event]:
    items = record.get("events", [])
    if not isinstance(items, list):
        raise FormatError(path, "'events' must be a list", number)
    events = []
    for item in items:
        try:
            trigger = item["trigger"]
            span = Span(int(trigger["start"]), int(trigger["end"]), str(trigger["label"]))
            arguments = tuple(Argument(str(a["role"]), Span(int(a["start"]), int(a["end"]), str(a["label"])))
                              for a in item.get("arguments", []))
        except (KeyError, TypeError, ValueError):
            raise FormatError(path, "each event needs a 'trigger' {start, end, label} and 'arguments' "
                              f"[{{role, start, end, label}}]: {item!r}", number) from None
        if item.get("type", span.label) != span.label:
            raise FormatError(path, f"event type {item['type']!r} differs from its trigger's label {span.label!r}", number)
        events.append(Event(span, arguments))
    return events


def write_jsonl(documents, path: str | Path) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for document in documents:
            out.write(json.dumps(document.to_dict(), ensure_ascii=False) + "\n")
