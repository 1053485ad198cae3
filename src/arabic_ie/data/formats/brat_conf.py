"""The files beside BRAT documents: annotation.conf (types, event roles) and article_dates.tsv."""

from __future__ import annotations

import re
from pathlib import Path

from arabic_ie.data.formats.base import FormatError, read_text
from arabic_ie.data.dates import article_date_problem

ARTICLE_DATES = "article_dates.tsv"
ISO_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


def find_beside(folder: Path, name: str) -> Path | None:
    """BRAT looks for annotation.conf in the folder of the documents, then in its parents."""
    for candidate in [folder, *folder.parents]:
        path = candidate / name
        if path.is_file():
            return path
    return None


def find_annotation_conf(folder: Path) -> Path | None:
    return find_beside(folder, "annotation.conf")


def _sections(path: Path) -> dict[str, list[tuple[int, str]]]:
    sections: dict[str, list[tuple[int, str]]] = {}
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
        if line.split()[0].startswith("!"):  # BRAT's abstract (non-annotatable) types
            continue
        sections[current].append((number, line))
    return sections


def read_annotation_conf(path: Path) -> tuple[list[str], list[str]]:
    """Return (entity types, event types) from a BRAT annotation.conf."""
    sections = _sections(path)
    entities = [line.split()[0] for _, line in sections.get("entities", [])]
    events = [line.split()[0] for _, line in sections.get("events", [])]
    if not entities and not events:
        raise FormatError(path, "no types under [entities] or [events]")
    clash = set(entities) & set(events)
    if clash:
        raise FormatError(path, f"types listed both as entities and events: {sorted(clash)}")
    return entities, events


def read_event_roles(path: Path) -> dict[str, dict[str, set[str]]]:
    """{event type: {role: allowed filler types}} from the [events] section
    (`ATTACK<TAB>Agent*:PER|ORG, Place*:LOC`; BRAT's `*`, `?`, `+` cardinality marks are dropped)."""
    roles: dict[str, dict[str, set[str]]] = {}
    for number, line in _sections(path).get("events", []):
        name, _, rest = line.partition("\t") if "\t" in line else line.partition(" ")
        roles[name.strip()] = {}
        for item in filter(None, (part.strip() for part in rest.split(","))):
            role, colon, fillers = item.partition(":")
            role = role.strip().rstrip("*?+{}0123456789-")
            if not colon or not role or not fillers.strip():
                raise FormatError(path, f"role declaration {item!r} of {name.strip()} is not ROLE:TYPE|TYPE", number)
            roles[name.strip()][role] = {t.strip() for t in fillers.split("|")}
    return roles


def write_annotation_conf(folder: Path, entity_types, event_types, roles: dict | None = None) -> None:
    roles = roles or {}
    events = []
    for name in sorted(event_types):
        declared = ", ".join(f"{role}*:{'|'.join(sorted(fillers))}" for role, fillers in sorted(roles.get(name, {}).items()))
        events.append(f"{name}\t{declared}" if declared else name)
    lines = ["[entities]", *sorted(entity_types), "", "[relations]", "", "[events]", *events, "", "[attributes]", ""]
    (Path(folder) / "annotation.conf").write_text("\n".join(lines), encoding="utf-8")


def read_article_dates(path: Path) -> dict[str, str]:
    """`name<TAB>date` per line (an optional `name<TAB>date` header): publication date per document."""
    dates: dict[str, str] = {}
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip() or (number == 1 and line.split("\t")[0] == "name"):
            continue
        fields = line.split("\t")
        if len(fields) != 2 or article_date_problem(fields[1].strip()):
            raise FormatError(path, f"expected 'NAME<TAB>YYYY-MM-DD', got {line!r}", number)
        if fields[0] in dates:
            raise FormatError(path, f"document {fields[0]!r} is listed twice", number)
        dates[fields[0]] = fields[1].strip()
    return dates


def write_article_dates(folder: Path, documents) -> None:
    rows = [(d.id, d.metadata["date"]) for d in documents if d.metadata.get("date")]
    if rows:
        text = "name\tdate\n" + "".join(f"{name}\t{date}\n" for name, date in rows)
        (Path(folder) / ARTICLE_DATES).write_text(text, encoding="utf-8")
