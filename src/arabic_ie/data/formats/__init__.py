"""Readers and writers for annotated documents: BRAT standoff, CoNLL columns and JSONL.

Every reader returns `(documents, report)`. The report counts what was repaired or skipped, so
that nothing is changed silently; callers print `report.summary()`.
"""

from __future__ import annotations

from pathlib import Path

from arabic_ie.data.formats.base import FormatError, ReadReport
from arabic_ie.data.formats.brat import read_annotation_conf, read_brat, write_brat
from arabic_ie.data.formats.conll import read_conll
from arabic_ie.data.formats.jsonl import read_jsonl, write_jsonl

READERS = {"brat": read_brat, "conll": read_conll, "jsonl": read_jsonl}

__all__ = [
    "FormatError",
    "ReadReport",
    "READERS",
    "read_documents",
    "read_brat",
    "read_annotation_conf",
    "read_conll",
    "read_jsonl",
    "write_brat",
    "write_jsonl",
]


def read_documents(path: str | Path, format: str, **options):
    """Read documents from `path` with the reader for `format` (brat, conll or jsonl)."""
    try:
        reader = READERS[format]
    except KeyError:
        raise ValueError(f"unknown data format {format!r}; expected one of {sorted(READERS)}") from None
    return reader(Path(path), **options)
