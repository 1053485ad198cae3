"""Unlabelled text corpora (pretraining, word vectors, silver labels), read as a stream of documents.

A corpus is one file or a folder (searched recursively, files in sorted order) of:

- `.jsonl` / `.jsonl.gz`: one JSON object a line; the document is its `text_field` (`text` unless
  configured). Blank lines are ignored. A line that is not JSON, not an object, lacks the field or
  whose field is not a string raises `CorpusError` naming the file and line.
- `.txt` / `.txt.gz`: documents separated by blank lines (`txt_unit: paragraph`, the convention
  of BERT's pretraining data, and the one that streams: memory holds one paragraph), or each file
  one document (`txt_unit: file`).

Documents whose text is empty or whitespace are skipped and counted. Nothing is held in memory
beyond the current document.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
TXT_SUFFIXES = (".txt", ".txt.gz")
TXT_UNITS = ("paragraph", "file")


class CorpusError(ValueError):
    """Unreadable corpus input; the message names the file and line."""


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(TXT_SUFFIXES):
        return "txt"
    return None


def corpus_files(path: str | Path) -> list[Path]:
    """The corpus files of a file or folder path, in a stable (sorted) order."""
    path = Path(path)
    if path.is_file():
        if _kind(path) is None:
            raise CorpusError(f"{path}: not a corpus file (expected {', '.join(JSONL_SUFFIXES + TXT_SUFFIXES)})")
        return [path]
    if not path.is_dir():
        raise CorpusError(f"{path}: no such file or folder")
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".") and _kind(p))
    if not files:
        raise CorpusError(f"{path}: no {', '.join(JSONL_SUFFIXES + TXT_SUFFIXES)} files in this folder")
    return files


def corpus_signature(files: list[Path]) -> list[dict]:
    """What identifies the corpus for caches: each file's absolute path, size and mtime."""
    out = []
    for f in files:
        stat = f.stat()
        out.append({"path": str(f.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})
    return out


def _open_binary(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, decoded line) of a possibly gzipped UTF-8 file; errors name the line."""
    try:
        with _open_binary(path) as handle:
            for number, raw in enumerate(handle, 1):
                try:
                    yield number, raw.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise CorpusError(f"{path}:{number}: not UTF-8 ({error.reason} at byte {error.start})") from None
    except (OSError, EOFError) as error:  # gzip.BadGzipFile is an OSError
        raise CorpusError(f"{path}: cannot read ({error})") from None


@dataclass
class CorpusReport:
    """What the reader saw: documents per file, empty texts skipped (with the first locations)."""

    files: int = 0
    documents: int = 0
    skipped_empty: int = 0
    skipped_examples: list[str] = field(default_factory=list)

    def skip(self, where: str) -> None:
        self.skipped_empty += 1
        if len(self.skipped_examples) < 5:
            self.skipped_examples.append(where)

    def to_dict(self) -> dict:
        return asdict(self)


def iter_documents(files: list[Path], text_field: str = "text", txt_unit: str = "paragraph",
                   report: CorpusReport | None = None) -> Iterator[str]:
    """Stream the non-empty documents of `files` (see the module docstring)."""
    if txt_unit not in TXT_UNITS:
        raise ValueError(f"txt_unit must be one of {TXT_UNITS}, not {txt_unit!r}")
    report = report if report is not None else CorpusReport()
    for path in files:
        report.files += 1
        if _kind(path) == "jsonl":
            reader = ((f"{path}:{number}", text) for number, _, text in jsonl_texts(path, text_field, "corpus.text_field"))
        else:
            reader = _txt_documents(path, txt_unit)
        for where, text in reader:
            if not text.strip():
                report.skip(where)
                continue
            report.documents += 1
            yield text


def jsonl_texts(path: Path, text_field: str = "text", setting: str | None = None) -> Iterator[tuple[int, dict, str]]:
    """(line number, object, its text) of each non-blank line of a JSONL file (.gz too); a missing
    text (null) is ""; anything else that is not a string object field raises `CorpusError`, whose
    message names the config key that chooses the field (`setting`) when there is one."""
    for number, line in _lines(Path(path)):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise CorpusError(f"{path}:{number}: invalid JSON ({error.msg} at column {error.colno})") from None
        if not isinstance(record, dict):
            raise CorpusError(f"{path}:{number}: expected a JSON object, got {type(record).__name__}")
        if text_field not in record:
            hint = f"; set {setting}" if setting else ""
            raise CorpusError(f"{path}:{number}: no {text_field!r} field (fields: {', '.join(sorted(record)) or 'none'}){hint}")
        text = record[text_field]
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise CorpusError(f"{path}:{number}: field {text_field!r} is a {type(text).__name__}, not a string")
        yield number, record, text


def _txt_documents(path: Path, txt_unit: str) -> Iterator[tuple[str, str]]:
    lines: list[str] = []
    first = 1
    number = 0
    for number, line in _lines(path):
        if txt_unit == "paragraph" and not line.strip():
            if lines:
                yield f"{path}:{first}", "".join(lines).rstrip("\r\n")
                lines = []
            first = number + 1
            continue
        lines.append(line)
    if lines or number == 0:  # an empty file is one empty (skipped) document
        yield f"{path}:{first}", "".join(lines).rstrip("\r\n")
