"""Streaming input: .txt files, folders of them, BRAT folders, JSONL and JSONL.gz, one record at a time, bad ones as Rejects.

Nothing is read whole: a JSONL(.gz) file is read line by line and each .txt file on its own, so
memory stays flat on inputs of any size. A record that cannot be tagged (not UTF-8, not JSON, not
an object, no string `text`, a repeated id) is yielded as a `Reject` naming the file, the line
and what is wrong; the caller writes it to the rejects file and goes on.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from arabic_ie.data.dates import article_date_problem

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz", ".json.gz")


@dataclass
class Record:
    """One document to tag: its id, text, extra fields carried to the output (e.g. date), and where it came from."""

    id: str
    text: str
    extra: dict = field(default_factory=dict)
    source: str = ""
    line: int | None = None


@dataclass
class Reject:
    """A record that was not tagged: where it is and why."""

    source: str
    line: int | None
    reason: str
    id: str | None = None

    def to_dict(self) -> dict:
        return {"source": self.source, "line": self.line, "id": self.id, "reason": self.reason}


def is_jsonl(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(suffix) for suffix in JSONL_SUFFIXES)


def _decode(data: bytes, source: str, line: int | None):
    """(text, None) or (None, Reject) for bytes that should be UTF-8 without a byte-order mark."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        where = line if line is not None else data[: err.start].count(b"\n") + 1
        of = " of the line" if line is not None else ""
        return None, Reject(source, where, f"not valid UTF-8 (byte {err.start}{of}: {data[err.start:err.start + 1]!r})")
    if text.startswith("\ufeff"):
        return None, Reject(source, line, "starts with a byte-order mark; offsets would be off by one: save as UTF-8 without BOM")
    return text, None


def read_txt(path: Path, doc_id: str) -> Iterator[Record | Reject]:
    """One .txt file as one document (read byte-exactly, no newline translation); empty files are documents too."""
    text, reject = _decode(path.read_bytes(), str(path), None)
    if reject is not None:
        reject.id = doc_id
        yield reject
    else:
        yield Record(doc_id, text, source=str(path))


def parse_line(raw: bytes, source: str, number: int, stem: str, text_field: str = "text", id_field: str = "id",
               extra_fields=("date",)) -> Record | Reject | None:
    """One JSONL line (bytes, line ending included or not) as a Record, a Reject, or None when blank."""
    if not raw.strip():
        return None
    line, reject = _decode(raw, source, number)
    if reject is not None:
        return reject
    try:
        obj = json.loads(line.rstrip("\r\n"))
    except json.JSONDecodeError as err:
        return Reject(source, number, f"invalid JSON: {err.msg} (column {err.colno})")
    if not isinstance(obj, dict):
        return Reject(source, number, f"a line must be a JSON object, not {type(obj).__name__}")
    doc_id = obj.get(id_field)
    doc_id = f"{stem}-{number}" if doc_id is None else str(doc_id)
    text = obj.get(text_field)
    if not isinstance(text, str):
        reason = f"no {text_field!r} field" if text is None else f"{text_field!r} is a {type(text).__name__}, not a string"
        return Reject(source, number, reason, doc_id)
    date = obj.get("date")
    problem = article_date_problem(date) if date is not None else None
    if problem:
        return Reject(source, number, f"'date' {problem} (the article date resolves relative DATE values)", doc_id)
    return Record(doc_id, text, {key: obj[key] for key in extra_fields if key in obj}, source, number)


def file_stem(path: Path) -> str:
    """The name a JSONL file gives its records without an id: FILESTEM-LINE (data.jsonl.gz -> data)."""
    return Path(path).name.split(".")[0]


def read_jsonl_stream(path: Path, text_field: str = "text", id_field: str = "id") -> Iterator[Record | Reject]:
    """Each line of a JSONL or JSONL.gz file: an object with a string `text` and optional `id`/`date`.
    Blank lines are skipped (they hold no record); a line without an id gets FILESTEM-LINE."""
    source, stem = str(path), file_stem(path)
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            for number, raw in enumerate(handle, 1):
                item = parse_line(raw, source, number, stem, text_field, id_field)
                if item is not None:
                    yield item
    except (OSError, EOFError) as err:  # a truncated .gz, an unreadable file: what was read is kept
        yield Reject(source, None, f"cannot read further: {err}")


def expand_inputs(inputs) -> list[tuple[str, Path]]:
    """(kind, path) for each input: kind is "jsonl" or "txt"; a folder gives its .txt files (sorted;
    a BRAT folder's .ann files are ignored, so its texts are tagged afresh)."""
    out = []
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and (p.suffix == ".txt" or is_jsonl(p)))
            if not files:
                raise FileNotFoundError(f"{path}: no .txt or .jsonl files in this folder")
            out += [("jsonl" if is_jsonl(p) else "txt", p) for p in files]
        elif path.is_file():
            out.append(("jsonl" if is_jsonl(path) else "txt", path))
        else:
            raise FileNotFoundError(f"{path}: input not found (expected .txt files, folders of them, BRAT folders, JSONL or JSONL.gz)")
    return out


def _txt_id(path: Path, roots: dict[Path, Path]) -> str:
    root = roots.get(path)
    relative = path.relative_to(root) if root is not None else Path(path.name)
    return relative.with_suffix("").as_posix()


def iter_records(inputs, text_field: str = "text", id_field: str = "id") -> Iterator[Record | Reject]:
    """Every record of every input, in order; a repeated id is a Reject naming the first place it was seen."""
    roots = {}
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            for file in path.rglob("*.txt"):
                roots[file] = path
    seen: dict[str, str] = {}
    for kind, path in expand_inputs(inputs):
        items = read_jsonl_stream(path, text_field, id_field) if kind == "jsonl" else read_txt(path, _txt_id(path, roots))
        for item in items:
            if isinstance(item, Record):
                where = f"{item.source}:{item.line}" if item.line is not None else item.source
                if item.id in seen:
                    yield Reject(item.source, item.line, f"document id {item.id!r} repeats {seen[item.id]}", item.id)
                    continue
                seen[item.id] = where
            yield item
