"""BRAT standoff: NAME.txt (never modified) + NAME.ann, with an annotation.conf that says which
types are entities (task `ner`) and which are events (task `triggers`) and which roles each event
type has (E lines, task `events`); AnnotatorNotes on entities carry DATE values, and an
article_dates.tsv beside the files (or in a parent folder) gives each article's date."""

from __future__ import annotations

from pathlib import Path

import re

from arabic_ie.data.documents import AnnotationError, Argument, Document, Event, Span
from arabic_ie.data.formats.base import FormatError, ReadReport, read_text
from arabic_ie.data.formats.brat_conf import (ARTICLE_DATES, ISO_DATE, find_annotation_conf, find_beside,  # noqa: F401
                                              read_annotation_conf, read_article_dates, read_event_roles,
                                              write_annotation_conf, write_article_dates)


def read_brat(path: Path, conf: str | Path | None = None) -> tuple[list[Document], ReadReport]:
    """Read every NAME.txt/NAME.ann pair in the folder `path` (sorted by name)."""
    path = Path(path)
    if not path.is_dir():
        raise FormatError(path, "BRAT input must be a folder of .txt and .ann files")
    conf_path = Path(conf) if conf else find_annotation_conf(path)
    if conf_path is None:
        raise FormatError(path, "no annotation.conf in this folder or its parents; it tells entity types from event types")
    entity_types, event_types = read_annotation_conf(conf_path)
    roles = read_event_roles(conf_path)
    dates_path = find_beside(path, ARTICLE_DATES)
    dates = read_article_dates(dates_path) if dates_path else {}
    report = ReadReport()
    texts = sorted(path.glob("*.txt"))
    if not texts:
        raise FormatError(path, "no .txt files")
    documents = [_read_pair(txt, set(entity_types), set(event_types), roles, report) for txt in texts]
    for document in documents:
        if document.id in dates:
            document.metadata["date"] = dates[document.id]
    return documents, report


def _read_pair(txt: Path, entity_types: set, event_types: set, roles: dict, report: ReadReport) -> Document:
    ann = txt.with_suffix(".ann")
    if not ann.is_file():
        raise FormatError(ann, f"missing annotation file for {txt.name}")
    text = read_text(txt)
    entities, triggers, text_bound = [], [], {}
    events: list[tuple[int, str, str, list[tuple[str, str]]]] = []
    notes: list[tuple[int, str, str]] = []
    for number, line in enumerate(read_text(ann, allow_empty=True).split("\n"), 1):
        if not line.strip():
            continue
        kind = line[0]
        if kind == "T":
            span, annotation_id = _parse_text_bound(ann, number, line, text)
            if span.label in entity_types:
                entities.append(span)
            elif span.label in event_types:
                triggers.append(span)
            else:
                raise FormatError(ann, f"unknown type {span.label!r}; annotation.conf lists entities "
                                  f"{sorted(entity_types)} and events {sorted(event_types)}", number)
            text_bound[annotation_id] = span
        elif kind == "E":
            fields = line.split("\t")
            parts = fields[1].split() if len(fields) >= 2 else []
            if len(fields) != 2 or not parts or any(p.count(":") != 1 for p in parts):
                raise FormatError(ann, f"malformed event line {line!r} (expected 'E1<TAB>TYPE:T1 Role:T2 ...')", number)
            event_type, trigger_id = parts[0].split(":")
            events.append((number, event_type, trigger_id, [tuple(p.split(":")) for p in parts[1:]]))
        elif kind == "#":
            fields = line.split("\t")
            if len(fields) != 3 or len(fields[1].split()) != 2:
                raise FormatError(ann, f"malformed note line {line!r} (expected '#1<TAB>AnnotatorNotes T8<TAB>VALUE')", number)
            note_type, target = fields[1].split()
            if note_type != "AnnotatorNotes":
                report.skip(f"BRAT note of type {note_type}", f"{ann.name}:{number}")
            else:
                notes.append((number, target, fields[2].strip()))
        elif kind in "RAMN*":
            # relations, attributes and normalisations carry nothing this toolkit models
            report.skip(f"BRAT {kind} line", f"{ann.name}:{number}")
        else:
            raise FormatError(ann, f"unrecognised annotation line {line!r}", number)
    document = Document(id=txt.stem, text=text, entities=entities, triggers=triggers)
    try:
        document.validate(where=str(ann))
    except AnnotationError as err:
        raise FormatError(ann, str(err).split(": ", 1)[1]) from None
    for number, event_type, trigger_id, pairs in events:
        span = text_bound.get(trigger_id)
        if span is None:
            raise FormatError(ann, f"event refers to unknown trigger {trigger_id!r}", number)
        if span.label != event_type:
            raise FormatError(ann, f"event type {event_type!r} differs from its trigger's type {span.label!r}", number)
        arguments = []
        for role, filler_id in pairs:
            if filler_id not in text_bound:
                raise FormatError(ann, f"{role} refers to unknown annotation {filler_id!r}", number)
            # BRAT numbers a repeated role: Agent, Agent2, Agent3
            arguments.append(Argument(re.sub(r"(?<=[A-Za-z])\d+$", "", role), text_bound[filler_id]))
        if not arguments:
            continue  # a bare `E1<TAB>ATTACK:T9` says no more than the trigger's T line
        document.events.append(Event(span, tuple(arguments)))
        error = document.event_error(roles)
        if error:
            raise FormatError(ann, error, number)
    for number, target, value in notes:
        span = text_bound.get(target)
        if span is None:
            raise FormatError(ann, f"note refers to unknown annotation {target!r}", number)
        if span.label != "DATE" or not ISO_DATE.match(value):
            report.skip("BRAT note that is not an ISO value of a DATE span", f"{ann.name}:{number}")
            continue
        document.values[span] = value
    return document


def _parse_text_bound(ann: Path, number: int, line: str, text: str) -> tuple[Span, str]:
    fields = line.split("\t")
    if len(fields) != 3:
        raise FormatError(ann, f"a T line needs 3 tab-separated fields (ID, TYPE START END, TEXT): {line!r}", number)
    annotation_id, type_and_offsets, surface = fields
    if ";" in type_and_offsets:
        raise FormatError(ann, f"discontinuous spans are not supported: {type_and_offsets!r}", number)
    parts = type_and_offsets.split()
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        raise FormatError(ann, f"expected 'TYPE START END', got {type_and_offsets!r}", number)
    label, start, end = parts[0], int(parts[1]), int(parts[2])
    if not (0 <= start < end <= len(text)):
        raise FormatError(ann, f"offsets [{start}, {end}) outside the text (length {len(text)})", number)
    if text[start:end] != surface:
        raise FormatError(ann, f"span text {surface!r} does not match the .txt at [{start}, {end}): {text[start:end]!r}", number)
    return Span(start, end, label), annotation_id


def write_brat(documents, folder: str | Path, entity_types=None, event_types=None, roles=None) -> None:
    """Write NAME.txt/NAME.ann per document, an annotation.conf (with the roles given and those
    used) and, if documents have dates, article_dates.tsv. Every trigger gets an E line with its
    arguments; DATE values are AnnotatorNotes lines."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    entity_types = set(entity_types or ()) | {s.label for d in documents for s in d.entities}
    event_types = set(event_types or ()) | {s.label for d in documents for s in d.triggers}
    roles = {t: {r: set(f) for r, f in v.items()} for t, v in (roles or {}).items()}
    for document in documents:
        for event in document.events:
            for argument in event.arguments:
                roles.setdefault(event.type, {}).setdefault(argument.role, set()).add(argument.span.label)
    write_annotation_conf(folder, entity_types, event_types, roles)
    write_article_dates(folder, documents)
    for document in documents:
        if "/" in document.id or document.id in ("", ".", ".."):
            raise ValueError(f"document id {document.id!r} cannot be a BRAT file name")
        (folder / f"{document.id}.txt").write_bytes(document.text.encode("utf-8"))
        lines = ann_lines(document)
        (folder / f"{document.id}.ann").write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")


def ann_lines(document) -> list[str]:
    """The .ann lines of a document: T lines (entities, then triggers), an E line per trigger with
    its arguments (a repeated role numbered: Agent, Agent2), AnnotatorNotes with DATE values."""
    lines, ids, notes = [], {}, []
    for span in sorted(document.entities) + sorted(document.triggers):
        ids[span] = f"T{len(ids) + 1}"
        lines.append(f"{ids[span]}\t{span.label} {span.start} {span.end}\t{span.text_in(document.text)}")
        if span in document.values:
            notes.append(f"#{len(notes) + 1}\tAnnotatorNotes {ids[span]}\t{document.values[span]}")
    arguments = {e.trigger: e.arguments for e in document.events}
    events = []
    for span in sorted(document.triggers):
        parts, seen = [f"{span.label}:{ids[span]}"], {}
        for argument in arguments.get(span, ()):
            seen[argument.role] = seen.get(argument.role, 0) + 1
            number = seen[argument.role]
            parts.append(f"{argument.role}{number if number > 1 else ''}:{ids[argument.span]}")
        events.append(f"E{len(events) + 1}\t{' '.join(parts)}")
    return lines + events + notes
