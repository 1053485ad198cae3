"""Argument scores in the analysis tools: per-document counts from a run's
predictions/SPLIT.events.jsonl (gold-input and end-to-end settings), for bootstrap intervals
(aggregate) and paired tests (compare), resampling documents as for spans."""

from __future__ import annotations

import json
from pathlib import Path

from arabic_ie.analysis import bootstrap
from arabic_ie.data.documents import ROLES
from arabic_ie.evaluate.arguments import ARG_MODES, ARG_TASKS

SETTINGS = {ARG_TASKS["gold"]: "gold_input", ARG_TASKS["e2e"]: "e2e"}  # their keys in SPLIT.events.jsonl


def is_argument_task(task: str) -> bool:
    return task in SETTINGS


def read_events(run_dir: str | Path, split: str) -> list[dict]:
    """predictions/SPLIT.events.jsonl: per document {id, gold, gold-input and e2e events}."""
    path = Path(run_dir) / "predictions" / f"{split}.events.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no event predictions (a run without the events head?)")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _tuples(events: list[dict], mode: str) -> set[tuple]:
    return {(a["role"] if mode == "classification" else "ARG", e["trigger"]["start"], e["trigger"]["end"], e["type"], a["start"], a["end"])
            for e in events for a in e["arguments"]}


def argument_counts(records: list[dict], task: str, mode: str = "classification") -> bootstrap.Counts:
    """Counts per document and role (or "ARG" for identification) of one setting of a run."""
    if mode not in ARG_MODES:
        raise ValueError(f"argument mode must be one of {ARG_MODES}, not {mode!r}")
    setting = SETTINGS[task]
    per_doc = [(_tuples(r["gold"], mode), _tuples(r.get(setting, []), mode)) for r in records]
    types = list(ROLES) if mode == "classification" else ["ARG"]
    return bootstrap.tabulate(per_doc, types, ids=[str(r["id"]) for r in records])
