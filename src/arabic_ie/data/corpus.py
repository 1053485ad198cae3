"""Load the splits a data config names, with the types each task declares."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from arabic_ie.data.context import join_sentences
from arabic_ie.data.documents import TASKS, Document
from arabic_ie.data.formats import ReadReport, read_annotation_conf, read_documents
from arabic_ie.data.formats.brat import find_annotation_conf, read_event_roles
from arabic_ie.data.labels import spans_to_tags

log = logging.getLogger(__name__)
SPLITS = ("train", "dev", "test")


@dataclass
class Corpus:
    splits: dict[str, list[Document]]
    types: dict[str, list[str] | None]
    reports: dict[str, ReadReport] = field(default_factory=dict)
    # {event type: {role: filler types}}: annotation.conf's for BRAT, else the roles seen in train
    roles: dict[str, dict[str, set[str]]] = field(default_factory=dict)


def load_split(data_cfg, path) -> tuple[list[Document], ReadReport]:
    """One split; for `format: hf`, `path` is the split's name in the dataset `data.source`."""
    if data_cfg.format == "hf":
        from arabic_ie.data.formats.hf import read_hf

        return read_hf(str(data_cfg.source), str(path), data_cfg.tokens_column, dict(data_cfg.tags_columns),
                       data_cfg.get("config_name"), data_cfg.get("revision"))
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
        loaded[split], reports[split] = load_split(data_cfg, path if data_cfg.format == "hf" else Path(path))
        if not loaded[split]:
            raise ValueError(f"{path}: the {split} split holds no documents")
        if data_cfg.get("join_sentences"):  # document context: consecutive sentences as one document
            loaded[split] = join_sentences(loaded[split], int(data_cfg.join_sentences))
        if split == "train" and data_cfg.get("silver"):
            loaded[split] += _silver(data_cfg, reports[split])
    types = {task: (list(data_cfg.types[task]) if data_cfg.get("types") and data_cfg.types.get(task) else None) for task in TASKS}
    if data_cfg.format == "brat" and "train" in loaded:
        conf = find_annotation_conf(Path(data_cfg.train))
        entity_types, event_types = read_annotation_conf(conf)
        types["ner"] = types["ner"] or entity_types
        types["triggers"] = types["triggers"] or event_types
        roles = read_event_roles(conf)
    else:
        roles = roles_seen(loaded.get("train", []))
    return Corpus(loaded, types, reports, roles)


def _silver(data_cfg, train_report: ReadReport) -> list[Document]:
    """`data.silver`: more training documents in the train split's format (e.g. the CoNLL of
    scripts/silver_labels.py), appended after it; joined into documents on their own, so that no
    document mixes gold and silver sentences. Their repairs and skips join the train report."""
    path = Path(data_cfg.silver)
    documents, report = load_split(data_cfg, path)
    if not documents:
        raise ValueError(f"{path}: data.silver holds no documents")
    train_report.merge(report)
    log.info("train: %d silver documents appended from %s", len(documents), path)
    if data_cfg.get("join_sentences"):
        documents = join_sentences(documents, int(data_cfg.join_sentences))
    return documents


def roles_seen(documents) -> dict[str, dict[str, set[str]]]:
    roles: dict[str, dict[str, set[str]]] = {}
    for document in documents:
        for event in document.events:
            for argument in event.arguments:
                roles.setdefault(event.type, {}).setdefault(argument.role, set()).add(argument.span.label)
    return roles


def corpus_statistics(corpus: Corpus, segmenter=None) -> str:
    """A Markdown table of documents, words and spans per type and split (for data cards).

    With a segmenter, also counts the gold spans whose boundaries fall inside one of its words
    (those cannot be tagged exactly and are widened to word boundaries in training).
    """
    splits = list(corpus.splits)
    rows = {split: Counter() for split in splits}
    for split, documents in corpus.splits.items():
        for document in documents:
            rows[split]["documents"] += 1
            rows[split]["words (whitespace)"] += len(document.text.split())
            for task in TASKS:
                for span in document.spans(task):
                    rows[split][f"{task}: {span.label}"] += 1
                if segmenter is not None:
                    _, misaligned = spans_to_tags(document.spans(task), segmenter.words(document.text, document.words))
                    rows[split][f"{task} spans with a boundary inside a word"] += len(misaligned)
    keys = ["documents", "words (whitespace)"]
    for task in TASKS:
        types = corpus.types.get(task) or sorted({k.split(": ", 1)[1] for r in rows.values() for k in r if k.startswith(f"{task}: ")})
        keys += [f"{task}: {t}" for t in types]
    if segmenter is not None:
        keys += [f"{task} spans with a boundary inside a word" for task in TASKS]
    lines = ["| | " + " | ".join(splits) + " |", "|---|" + "---:|" * len(splits)]
    lines += [f"| {key} | " + " | ".join(str(rows[s][key]) for s in splits) + " |" for key in keys]
    return "\n".join(lines) + "\n"


def warn_unknown_types(corpus: Corpus, schemes: dict, whose: str) -> None:
    """Log the gold types of `corpus` that a trained model's schemes lack: they count as misses."""
    for task, scheme in schemes.items():
        unknown = sorted({s.label for docs in corpus.splits.values() for d in docs for s in d.spans(task)} - set(scheme.types))
        if unknown:
            log.warning("%s: types %s are not in the %s scheme %s; they count as misses", task, unknown, whose, list(scheme.types))
