"""Load the splits a data config names, with the types each task declares."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from arabic_ie.documents import TASKS, Document
from arabic_ie.formats import ReadReport, read_annotation_conf, read_documents
from arabic_ie.formats.brat import find_annotation_conf

SPLITS = ("train", "dev", "test")


@dataclass
class Corpus:
    splits: dict[str, list[Document]]
    types: dict[str, list[str] | None]
    reports: dict[str, ReadReport] = field(default_factory=dict)


def load_split(data_cfg, path) -> tuple[list[Document], ReadReport]:
    options = {}
    if data_cfg.format == "conll":
        options["columns"] = list(data_cfg.columns or ["ner"])
    elif data_cfg.format == "jsonl":
        types = data_cfg.get("types") or {}
        options = {"entity_types": types.get("ner"), "trigger_types": types.get("triggers")}
    return read_documents(path, data_cfg.format, **options)


def load_corpus(data_cfg, splits=SPLITS) -> Corpus:
    """Read the configured splits (a split whose path is null is absent)."""
    loaded, reports = {}, {}
    for split in splits:
        path = data_cfg.get(split)
        if path is None:
            continue
        loaded[split], reports[split] = load_split(data_cfg, Path(path))
        if not loaded[split]:
            raise ValueError(f"{path}: the {split} split holds no documents")
    types = {task: (list(data_cfg.types[task]) if data_cfg.get("types") and data_cfg.types.get(task) else None) for task in TASKS}
    if data_cfg.format == "brat" and "train" in loaded:
        conf = find_annotation_conf(Path(data_cfg.train))
        entity_types, event_types = read_annotation_conf(conf)
        types["ner"] = types["ner"] or entity_types
        types["triggers"] = types["triggers"] or event_types
    return Corpus(loaded, types, reports)
