"""Find training runs in a folder (a Hydra sweep or any tree of run directories) and read what they
wrote: config, command-line overrides, metrics.json, predictions and the Trainer's log history.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from arabic_ie.data.labels import tags_to_spans

METRICS_FILE = "metrics.json"
PREDICTIONS_DIR = "predictions"
# Overrides that do not change what is measured: they never split runs into different settings.
DEFAULT_IGNORED = ("seed", "trainer.disable_tqdm", "trainer.logging_steps", "trainer.report_to", "resume")


@dataclass
class Run:
    """One run directory: its overrides (from .hydra/overrides.yaml), resolved config and metrics."""

    path: Path
    overrides: list[str] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)

    @property
    def seed(self):
        if "seed" in self.config:
            return self.config["seed"]
        for override in self.overrides:
            key, _, value = override.partition("=")
            if key.lstrip("+~") == "seed":
                return yaml.safe_load(value)
        return None

    @property
    def tasks(self) -> list[str]:
        return sorted({task for split in self.metrics.values() for task in split})

    @property
    def name(self) -> str | None:
        """DATA-TASK-MODEL from the resolved config (None when the config lacks them)."""
        try:
            return f"{self.config['data']['name']}-{self.config['task']['name']}-{self.config['model']['name']}"
        except (KeyError, TypeError):
            return None

    def setting(self, ignored=DEFAULT_IGNORED) -> str:
        """DATA-TASK-MODEL and the overrides other than the ignored ones (the seed first of all),
        sorted: runs with the same setting are replicates. '(defaults)' when there is nothing."""
        name = self.name
        kept = []
        for override in self.overrides:
            key = override.partition("=")[0].lstrip("+~")
            if key in ignored or key.startswith("hydra.") or key.startswith("hydra/"):
                continue
            if name is not None and key in ("data", "task", "model"):
                continue  # already in the name
            kept.append(override)
        return " ".join(([name] if name else []) + sorted(kept)) or "(defaults)"

    def tags(self, split: str) -> list[dict]:
        return read_tags(self.path, split)


def _natural_key(path: Path):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path))]


def is_run_dir(path: Path) -> bool:
    path = Path(path)
    return (path / METRICS_FILE).is_file() and ((path / ".hydra" / "overrides.yaml").is_file() or (path / "config.yaml").is_file())


def load_run(path: str | Path) -> Run:
    path = Path(path)
    if not (path / METRICS_FILE).is_file():
        raise FileNotFoundError(f"{path}: not a run directory (no {METRICS_FILE})")
    overrides_file = path / ".hydra" / "overrides.yaml"
    overrides = [str(o) for o in (yaml.safe_load(overrides_file.read_text(encoding="utf-8")) or [])] if overrides_file.is_file() else []
    config_file = path / "config.yaml"
    config = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {} if config_file.is_file() else {}
    metrics = json.loads((path / METRICS_FILE).read_text(encoding="utf-8"))
    return Run(path, overrides, config, metrics)


def find_runs(folder: str | Path) -> list[Run]:
    """Every run directory under `folder` (itself included), in natural order (0, 1, …, 10).

    A run directory holds metrics.json and .hydra/overrides.yaml or config.yaml; folders inside a
    run (e.g. its evaluations/) are not searched."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    found, stack = [], [folder]
    while stack:
        current = stack.pop()
        if is_run_dir(current):
            found.append(current)
            continue
        stack.extend(p for p in current.iterdir() if p.is_dir() and not p.name.startswith("."))
    return [load_run(p) for p in sorted(found, key=_natural_key)]


def runs_from(paths) -> list[Run]:
    """Runs from a path or list of paths, each a run directory or a folder of runs."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    runs = []
    for path in paths:
        runs.extend([load_run(path)] if is_run_dir(Path(path)) else find_runs(path))
    if not runs:
        raise FileNotFoundError(f"no run directory (with {METRICS_FILE}) in {list(map(str, paths))}")
    return runs


def group_by_setting(runs: list[Run], ignored=DEFAULT_IGNORED) -> dict[str, list[Run]]:
    groups: dict[str, list[Run]] = {}
    for run in runs:
        groups.setdefault(run.setting(ignored), []).append(run)
    return groups


def read_tags(run_dir: str | Path, split: str) -> list[dict]:
    """predictions/SPLIT.tags.jsonl: per document {id, words, gold: {task: tags}, predicted: {task: tags}}."""
    path = Path(run_dir) / PREDICTIONS_DIR / f"{split}.tags.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no word-tag predictions for split {split!r} (written by training and evaluation)")
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def read_texts(run_dir: str | Path, split: str) -> dict[str, str]:
    """Document id -> text, from predictions/SPLIT.jsonl (empty when that file is absent)."""
    path = Path(run_dir) / PREDICTIONS_DIR / f"{split}.jsonl"
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8") as lines:
        return {record["id"]: record["text"] for record in map(json.loads, filter(str.strip, lines))}


def record_spans(record: dict, task: str, which: str):
    """Character spans decoded (conlleval style) from a tags record's gold or predicted tags."""
    spans, _ = tags_to_spans(record[which][task], [tuple(w) for w in record["words"]])
    return spans


def available_splits(run_dir: str | Path) -> list[str]:
    folder = Path(run_dir) / PREDICTIONS_DIR
    return sorted(p.name[: -len(".tags.jsonl")] for p in folder.glob("*.tags.jsonl")) if folder.is_dir() else []


def log_history(run_dir: str | Path) -> list[dict]:
    """The Trainer's log history: checkpoints/trainer_state.json, else the latest checkpoint's."""
    folder = Path(run_dir) / "checkpoints"
    candidates = [folder / "trainer_state.json"] if (folder / "trainer_state.json").is_file() else []
    if not candidates:
        steps = sorted(folder.glob("checkpoint-*/trainer_state.json"), key=lambda p: int(p.parent.name.split("-")[-1]) if p.parent.name.split("-")[-1].isdigit() else -1)
        candidates = steps[-1:]
    if not candidates:
        return []
    return json.loads(candidates[0].read_text(encoding="utf-8")).get("log_history", [])


def predicted_documents(run_dir: str | Path, split: str):
    """The run's predicted spans for a split (predictions/SPLIT.jsonl) as Documents."""
    from arabic_ie.data.formats import read_jsonl

    path = Path(run_dir) / PREDICTIONS_DIR / f"{split}.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no span predictions for split {split!r}")
    return read_jsonl(path)[0]


def gold_documents(run: Run, split: str):
    """The gold Documents of a split, read again from the data config in the run's config.yaml
    (original character offsets, before any word segmentation)."""
    from omegaconf import OmegaConf

    from arabic_ie.data.corpus import load_corpus

    if "data" not in run.config:
        raise ValueError(f"{run.path}: config.yaml has no data config")
    data = OmegaConf.create(run.config["data"])
    if not data.get(split):
        raise ValueError(f"{run.path}: the run's data config has no {split} split")
    return load_corpus(data, splits=[split]).splits[split]
