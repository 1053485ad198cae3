"""Tagged files: which input and output formats a path means, reading inputs into Documents, and a
Tagger result as a JSONL record (`{"id", "text", "entities", "triggers"}`, spans with text and
score) or as a Document for the BRAT writer (NAME.txt + NAME.ann + annotation.conf, so predictions
open in BRAT for correction). Tagging whole files is `arabic-ie tag` (arabic_ie.serve).

Texts are read byte-exactly as UTF-8 (no newline translation), so offsets index the files.
"""

from __future__ import annotations

import re
from pathlib import Path

from arabic_ie.data.documents import Argument, Document, Event, Span
from arabic_ie.data.formats import read_brat, read_jsonl
from arabic_ie.data.formats.base import FormatError, read_text

INPUT_FORMATS = ("auto", "txt", "jsonl", "brat")
LINE = re.compile(r"[^\r\n\u2028\u2029\x85]+")
OUTPUT_FORMATS = ("auto", "jsonl", "brat")


def input_format(path: Path, requested: str = "auto") -> str:
    if requested not in INPUT_FORMATS:
        raise ValueError(f"unknown input format {requested!r}; expected one of {INPUT_FORMATS}")
    if requested != "auto":
        return requested
    if path.is_file():
        return "jsonl" if path.suffix.lower() in (".jsonl", ".json", ".ndjson") else "txt"
    if path.is_dir():
        return "brat" if any(path.glob("*.ann")) else "txt"
    raise FormatError(path, "input not found (expected a folder of .txt files, a JSONL file or a BRAT folder)")


def output_format(path: Path, requested: str = "auto") -> str:
    if requested not in OUTPUT_FORMATS:
        raise ValueError(f"unknown output format {requested!r}; expected one of {OUTPUT_FORMATS}")
    if requested != "auto":
        return requested
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "brat"


def read_inputs(path: str | Path, format: str = "auto") -> tuple[list[Document], str]:
    """Documents to tag (gold annotations, if any, are read and ignored) and the format read."""
    path = Path(path)
    format = input_format(path, format)
    if format == "jsonl":
        return read_jsonl(path)[0], format
    if format == "brat":
        return read_brat(path)[0], format
    files = [path] if path.is_file() else sorted(path.glob("*.txt"))
    if not files:
        raise FormatError(path, "no .txt files")
    return [Document(file.stem, read_text(file, allow_empty=True)) for file in files], format


def record(document: Document, result: dict) -> dict:
    """The JSONL object of one tagged document."""
    return {"id": document.id, "text": document.text, **result}


def line_pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) cut at line breaks, each piece without its surrounding whitespace."""
    pieces = []
    for match in LINE.finditer(text, start, end):
        piece = match.group()
        left = len(piece) - len(piece.lstrip())
        right = len(piece.rstrip())
        if right > left:
            pieces.append((match.start() + left, match.start() + right))
    return pieces


def as_document(document: Document, result: dict) -> Document:
    """The spans of `result` as a Document for BRAT: a span that crosses a line break (a model
    can continue a span over a paragraph break) becomes one span per line, since a BRAT text-bound
    annotation holds one line (BRAT itself would need discontinuous fragments)."""
    def spans(key):
        return [Span(a, b, s["label"]) for s in result.get(key, []) for a, b in line_pieces(document.text, s["start"], s["end"])]

    out = Document(document.id, document.text, spans("entities"), spans("triggers"), metadata=dict(document.metadata))
    out.events, _ = brat_events(out, result)
    out.values = {Span(r["start"], r["end"], r["label"]): r["value"] for r in result.get("entities", [])
                  if r.get("value") and Span(r["start"], r["end"], r["label"]) in set(out.entities)}
    return out


def brat_events(document: Document, result: dict) -> tuple[list[Event], int]:
    """The result's events over `document`'s (line-split) spans, and how many arguments could not
    be written because their trigger or filler was cut at a line break."""
    kept = set(document.entities) | set(document.triggers)
    events, lost = [], 0
    for record in result.get("events", []):
        trigger = Span(record["trigger"]["start"], record["trigger"]["end"], record["trigger"]["label"])
        arguments = tuple(Argument(a["role"], Span(a["span"]["start"], a["span"]["end"], a["span"]["label"])) for a in record["arguments"])
        usable = tuple(a for a in arguments if a.span in kept) if trigger in kept else ()
        lost += len(arguments) - len(usable)
        if usable:
            events.append(Event(trigger, usable))
    return events, lost
