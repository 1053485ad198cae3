"""Crash-safe output: JSONL or BRAT writers that know which ids are already done (resume), and the rejects file.

A JSONL output is appended to and flushed (and fsynced) after every chunk; on a rerun its complete
lines give the ids already done, and a last line cut short by a kill is truncated away (its
document is tagged again). A BRAT output writes NAME.txt, then NAME.ann through a temporary file
renamed into place: a document is done when its .ann exists.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from arabic_ie.data.documents import Document
from arabic_ie.data.formats.brat import write_annotation_conf


def output_record(record, result: dict, keep_text: bool = False) -> dict:
    """One output line: id (and date etc. when the input had them), [text,] then whatever the Tagger returned."""
    out = {"id": record.id, **record.extra}
    if keep_text:
        out["text"] = record.text
    out.update(result)
    return out


class JsonlSink:
    """Appends one JSON object a line; `done` holds the ids of the complete lines already there."""

    def __init__(self, path: str | Path, keep_text: bool = False, fsync: bool = True):
        self.path = Path(path)
        self.keep_text = keep_text
        self.fsync = fsync
        self.done: set[str] = set()
        self.truncated = 0  # bytes of a cut-off last line removed on resume
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            self._scan()
        self.handle = open(self.path, "ab")

    def _scan(self) -> None:
        good = 0
        with open(self.path, "rb") as handle:
            for number, raw in enumerate(handle, 1):
                if not raw.endswith(b"\n"):
                    break
                try:
                    obj = json.loads(raw)
                    self.done.add(str(obj["id"]))
                except (ValueError, KeyError, TypeError) as err:
                    raise ValueError(f"{self.path}:{number}: not an output line of this tool ({err}); "
                                     "choose another output or remove it") from None
                good += len(raw)
        size = self.path.stat().st_size
        if size > good:
            self.truncated = size - good
            with open(self.path, "r+b") as handle:
                handle.truncate(good)

    def write(self, pairs) -> None:
        """Write (record, result) pairs, then flush and fsync: once this returns they survive a kill."""
        data = b"".join((json.dumps(output_record(r, res, self.keep_text), ensure_ascii=False) + "\n").encode("utf-8")
                        for r, res in pairs)
        self.handle.write(data)
        self.handle.flush()
        if self.fsync:
            os.fsync(self.handle.fileno())
        self.done.update(r.id for r, _ in pairs)

    def write_lines(self, lines: list[str], ids: list[str]) -> None:
        """Write already serialised output lines (from Ray workers), then flush and fsync."""
        self.handle.write("".join(line + "\n" for line in lines).encode("utf-8"))
        self.handle.flush()
        if self.fsync:
            os.fsync(self.handle.fileno())
        self.done.update(ids)

    def close(self) -> None:
        self.handle.close()


def _line_documents(record, result: dict) -> Document:
    from arabic_ie.infer.files import as_document

    return as_document(Document(record.id, record.text), result)


def ann_lines(document: Document) -> list[str]:
    """BRAT lines of a document: T lines for entities and triggers, an E line per trigger with its
    arguments, AnnotatorNotes with DATE values (data.formats.brat.ann_lines)."""
    from arabic_ie.data.formats.brat import ann_lines as brat_ann_lines

    return brat_ann_lines(document)


class BratSink:
    """NAME.txt (byte-identical) + NAME.ann per document and an annotation.conf with the package's types."""

    def __init__(self, folder: str | Path, entity_types=(), event_types=(), fsync: bool = True, roles: dict | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.fsync = fsync
        write_annotation_conf(self.folder, entity_types, event_types, roles)  # roles: the E lines' arguments
        self.done = {p.relative_to(self.folder).with_suffix("").as_posix() for p in self.folder.rglob("*.ann")}
        self.truncated = 0

    def write(self, pairs) -> None:
        for record, result in pairs:
            if record.id in ("", ".", "..") or record.id.startswith("/") or ".." in record.id.split("/"):
                raise ValueError(f"document id {record.id!r} cannot be a BRAT file name")
            document = _line_documents(record, result)
            txt = self.folder / f"{record.id}.txt"
            txt.parent.mkdir(parents=True, exist_ok=True)
            txt.write_bytes(record.text.encode("utf-8"))
            lines = ann_lines(document)
            temporary = txt.with_suffix(".ann.partial")
            with open(temporary, "wb") as handle:
                handle.write(("\n".join(lines) + ("\n" if lines else "")).encode("utf-8"))
                handle.flush()
                if self.fsync:
                    os.fsync(handle.fileno())
            os.replace(temporary, txt.with_suffix(".ann"))
            self.done.add(record.id)

    def close(self) -> None:
        pass


class RejectsFile:
    """One JSON object a line per rejected record ({source, line, id, reason}), flushed as written;
    rewritten on each run, since a rerun meets the same bad records again."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.path, "w", encoding="utf-8")
        self.count = 0
        self.first: list[str] = []

    def write(self, reject) -> None:
        self.write_dict(reject.to_dict())

    def write_dict(self, reject: dict) -> None:
        self.handle.write(json.dumps(reject, ensure_ascii=False) + "\n")
        self.handle.flush()
        self.count += 1
        if len(self.first) < 3:
            where = f"{reject['source']}:{reject['line']}" if reject["line"] is not None else reject["source"]
            self.first.append(f"{where}: {reject['reason']}")

    def close(self) -> None:
        self.handle.close()


def default_rejects_path(output: Path) -> Path:
    """OUT.rejects.jsonl beside the output (for a BRAT folder OUT: OUT.rejects.jsonl beside the folder)."""
    output = Path(output)
    return output.with_name(output.name + ".rejects.jsonl")
