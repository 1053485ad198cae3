"""Shared pieces of the readers: the error type, the repair report, strict text loading."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


class FormatError(ValueError):
    """Bad input. The message names the file (and line when there is one) and what is wrong."""

    def __init__(self, path: str | Path, message: str, line: int | None = None):
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line


@dataclass
class ReadReport:
    """What a reader repaired or skipped, counted by kind, with the first few places of each."""

    repaired: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)

    def repair(self, kind: str, where: str) -> None:
        self.repaired[kind] += 1
        self._remember(kind, where)

    def skip(self, kind: str, where: str) -> None:
        self.skipped[kind] += 1
        self._remember(kind, where)

    def _remember(self, kind: str, where: str) -> None:
        places = self.examples.setdefault(kind, [])
        if len(places) < 3:
            places.append(where)

    def merge(self, other: "ReadReport") -> "ReadReport":
        self.repaired.update(other.repaired)
        self.skipped.update(other.skipped)
        for kind, places in other.examples.items():
            self.examples.setdefault(kind, [])
            self.examples[kind] = (self.examples[kind] + places)[:3]
        return self

    def summary(self) -> str:
        if not self.repaired and not self.skipped:
            return "nothing repaired or skipped"
        parts = [f"repaired {n} x {k} (e.g. {', '.join(self.examples.get(k, []))})" for k, n in sorted(self.repaired.items())]
        parts += [f"skipped {n} x {k} (e.g. {', '.join(self.examples.get(k, []))})" for k, n in sorted(self.skipped.items())]
        return "; ".join(parts)

    def to_dict(self) -> dict:
        return {"repaired": dict(self.repaired), "skipped": dict(self.skipped)}


def read_text(path: Path, allow_empty: bool = False) -> str:
    """Read a UTF-8 file exactly as stored (no newline translation); refuse non-UTF-8 and empty files."""
    path = Path(path)
    if not path.is_file():
        raise FormatError(path, "file not found")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise FormatError(path, f"not valid UTF-8 (byte {err.start}: {data[err.start:err.start + 1]!r})", line) from None
    if text.startswith("\ufeff"):
        raise FormatError(path, "starts with a byte-order mark; offsets would be off by one: save as UTF-8 without BOM")
    if not allow_empty and not text.strip():
        raise FormatError(path, "file is empty")
    return text
