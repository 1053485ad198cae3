"""BRAT standoff: NAME.txt (never modified) + NAME.ann, with an annotation.conf that says which
types are entities (task `ner`) and which are events (task `triggers`)."""

from __future__ import annotations

from pathlib import Path

from arabic_ie.data.documents import AnnotationError, Document, Span
from arabic_ie.data.formats.base import FormatError, ReadReport, read_text


def find_annotation_conf(folder: Path) -> Path | None:
    """BRAT looks for annotation.conf in the folder of the documents, then in its parents."""
    for candidate in [folder, *folder.parents]:
        conf = candidate / "annotation.conf"
        if conf.is_file():
            return conf
    return None


def read_annotation_conf(path: Path) -> tuple[list[str], list[str]]:
    """Return (entity types, event types) from a BRAT annotation.conf."""
    sections: dict[str, list[str]] = {}
    current = None
    for number, raw in enumerate(read_text(path).splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip().lower()
            sections.setdefault(current, [])
            continue
        if current is None:
            raise FormatError(path, f"type {line!r} before any [section] header", number)
        name = line.split()[0]
        if name.startswith("!"):  # BRAT's abstract (non-annotatable) types
            continue
        sections[current].append(name)
    entities, events = sections.get("entities", []), sections.get("events", [])
    if not entities and not events:
        raise FormatError(path, "no types under [entities] or [events]")
    clash = set(entities) & set(events)
    if clash:
        raise FormatError(path, f"types listed both as entities and events: {sorted(clash)}")
    return entities, events


def read_brat(path: Path, conf: str | Path | None = None) -> tuple[list[Document], ReadReport]:
    """Read every NAME.txt/NAME.ann pair in the folder `path` (sorted by name)."""
    path = Path(path)
    if not path.is_dir():
        raise FormatError(path, "BRAT input must be a folder of .txt and .ann files")
    conf_path = Path(conf) if conf else find_annotation_conf(path)
    if conf_path is None:
        raise FormatError(path, "no annotation.conf in this folder or its parents; it tells entity types from event types")
    entity_types, event_types = read_annotation_conf(conf_path)
    report = ReadReport()
    texts = sorted(path.glob("*.txt"))
    if not texts:
        raise FormatError(path, "no .txt files")
    documents = [_read_pair(txt, set(entity_types), set(event_types), report) for txt in texts]
    return documents, report


def _read_pair(txt: Path, entity_types: set, event_types: set, report: ReadReport) -> Document:
    ann = txt.with_suffix(".ann")
    if not ann.is_file():
        raise FormatError(ann, f"missing annotation file for {txt.name}")
    text = read_text(txt)
    entities, triggers, text_bound = [], [], {}
    events: list[tuple[int, str, str]] = []
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
            if len(fields) < 2 or ":" not in fields[1]:
                raise FormatError(ann, f"malformed event line {line!r}", number)
            event_type, trigger_id = fields[1].split()[0].split(":", 1)
            events.append((number, event_type, trigger_id))
        elif kind in "RAMN*#":
            # relations, attributes, normalisations and notes carry nothing this toolkit models
            report.skip(f"BRAT {kind} line", f"{ann.name}:{number}")
        else:
            raise FormatError(ann, f"unrecognised annotation line {line!r}", number)
    for number, event_type, trigger_id in events:
        span = text_bound.get(trigger_id)
        if span is None:
            raise FormatError(ann, f"event refers to unknown trigger {trigger_id!r}", number)
        if span.label != event_type:
            raise FormatError(ann, f"event type {event_type!r} differs from its trigger's type {span.label!r}", number)
    document = Document(id=txt.stem, text=text, entities=entities, triggers=triggers)
    try:
        document.validate(where=str(ann))
    except AnnotationError as err:
        raise FormatError(ann, str(err).split(": ", 1)[1]) from None
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


def write_annotation_conf(folder: Path, entity_types, event_types) -> None:
    lines = ["[entities]", *sorted(entity_types), "", "[relations]", "", "[events]", *sorted(event_types), "", "[attributes]", ""]
    (Path(folder) / "annotation.conf").write_text("\n".join(lines), encoding="utf-8")


def write_brat(documents, folder: str | Path, entity_types=None, event_types=None) -> None:
    """Write NAME.txt/NAME.ann per document and an annotation.conf; trigger spans get E lines."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    entity_types = set(entity_types or ()) | {s.label for d in documents for s in d.entities}
    event_types = set(event_types or ()) | {s.label for d in documents for s in d.triggers}
    write_annotation_conf(folder, entity_types, event_types)
    for document in documents:
        if "/" in document.id or document.id in ("", ".", ".."):
            raise ValueError(f"document id {document.id!r} cannot be a BRAT file name")
        (folder / f"{document.id}.txt").write_bytes(document.text.encode("utf-8"))
        lines, number = [], 0
        for span in sorted(document.entities):
            number += 1
            lines.append(f"T{number}\t{span.label} {span.start} {span.end}\t{span.text_in(document.text)}")
        events = []
        for span in sorted(document.triggers):
            number += 1
            lines.append(f"T{number}\t{span.label} {span.start} {span.end}\t{span.text_in(document.text)}")
            events.append(f"E{len(events) + 1}\t{span.label}:T{number}")
        (folder / f"{document.id}.ann").write_text("\n".join(lines + events) + ("\n" if lines else ""), encoding="utf-8")
