"""Mean, standard deviation and per-seed span F1 over the runs of a sweep, per setting, split, task
and type, as rows, Markdown and CSV.

Runs are grouped by their command-line overrides other than the seed (runs.Run.setting); the
standard deviation is the sample standard deviation (ddof=1) over the runs of a setting, empty
for a single run.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from arabic_ie.analysis.arguments import argument_counts, is_argument_task, read_events
from arabic_ie.analysis.runs import DEFAULT_IGNORED, Run, group_by_setting
from arabic_ie.evaluate.arguments import ARG_MODES

AVERAGES = ("micro", "macro")


def _seed_labels(runs: list[Run]) -> list[str]:
    labels, seen = [], {}
    for run in runs:
        label = str(run.seed) if run.seed is not None else run.path.name
        seen[label] = seen.get(label, 0) + 1
        labels.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return labels


def aggregate_rows(runs: list[Run], splits=("dev", "test"), modes=("default",), ignored=DEFAULT_IGNORED) -> list[dict]:
    """One row per setting, split, task, mode and type (micro, macro, then the per-type rows):
    {setting, split, task, mode, type, n, mean, std, min, max, precision, recall, support,
    values: {seed: f1}, runs: [paths]}."""
    rows = []
    for setting, group in group_by_setting(runs, ignored).items():
        labels = _seed_labels(group)
        for split in splits:
            tasks = sorted({t for r in group for t in r.metrics.get(split, {})})
            for task in tasks:
                # argument tasks are scored in their own modes (classification, identification)
                for mode in (ARG_MODES if is_argument_task(task) else modes):
                    scored = [(label, r.metrics[split][task][mode]) for label, r in zip(labels, group)
                              if task in r.metrics.get(split, {}) and mode in r.metrics[split][task]]
                    if not scored:
                        continue
                    kinds = list(AVERAGES) + sorted({k for _, m in scored for k in m["per_type"]})
                    for kind in kinds:
                        cells = [(label, m[kind] if kind in AVERAGES else m["per_type"].get(kind)) for label, m in scored]
                        cells = [(label, c) for label, c in cells if c is not None]
                        f1 = np.array([c["f1"] for _, c in cells], dtype=float)
                        rows.append({
                            "setting": setting, "split": split, "task": task, "mode": mode, "type": kind, "n": len(cells),
                            "mean": float(f1.mean()), "std": float(f1.std(ddof=1)) if len(f1) > 1 else float("nan"),
                            "min": float(f1.min()), "max": float(f1.max()),
                            "precision": float(np.mean([c["precision"] for _, c in cells])),
                            "recall": float(np.mean([c["recall"] for _, c in cells])),
                            "support": cells[0][1].get("support") if kind not in AVERAGES else None,
                            "values": {label: float(c["f1"]) for label, c in cells},
                            "runs": [str(r.path) for r in group],
                        })
    return rows


def add_intervals(rows: list[dict], runs: list[Run], ignored=DEFAULT_IGNORED, unit: str = "document", n_samples: int = 1000,
                  seed: int = 0, confidence: float = 0.95) -> list[dict]:
    """Add ci_low/ci_high to the rows: a percentile bootstrap interval of the mean F1 over the runs
    of the setting, resampling the units (documents or sentences) of the split, all runs on the
    same samples (bootstrap.bootstrap_ci). Settings whose runs lack predictions/SPLIT.tags.jsonl,
    or whose runs were scored on different documents, are left without an interval."""
    from arabic_ie.analysis import bootstrap
    from arabic_ie.analysis.runs import read_tags, read_texts

    groups = group_by_setting(runs, ignored)
    cache: dict = {}

    def records(run: Run, split: str):
        key = (str(run.path), split)
        if key not in cache:
            try:
                cache[key] = (read_tags(run.path, split), read_texts(run.path, split) if unit == "sentence" else None)
            except FileNotFoundError:
                cache[key] = None
        return cache[key]

    keys = sorted({(r["setting"], r["split"], r["task"], r["mode"]) for r in rows})
    for setting, split, task, mode in keys:
        if is_argument_task(task):
            try:
                counts = [argument_counts(read_events(run.path, split), task, mode) for run in groups.get(setting, [])]
                ci = bootstrap.bootstrap_ci(counts, n_samples, seed, confidence) if counts else None
            except (FileNotFoundError, ValueError, KeyError):
                ci = None
            _set_intervals(rows, (setting, split, task, mode), ci, "document")
            continue
        loaded = [records(run, split) for run in groups.get(setting, [])]
        if not loaded or any(x is None or not x[0] or task not in x[0][0]["gold"] for x in loaded):
            continue
        types = bootstrap.record_types([recs for recs, _ in loaded], task)
        try:
            counts = [bootstrap.count_records(recs, task, types, mode, unit, texts) for recs, texts in loaded]
            ci = bootstrap.bootstrap_ci(counts, n_samples, seed, confidence)
        except (ValueError, KeyError):
            continue
        _set_intervals(rows, (setting, split, task, mode), ci, unit)
    return rows


def _set_intervals(rows: list[dict], key: tuple, ci: dict | None, unit: str) -> None:
    if ci is None:
        return
    for row in rows:
        if (row["setting"], row["split"], row["task"], row["mode"]) != key:
            continue
        cell = ci["micro"]["f1"] if row["type"] == "micro" else ci["macro"]["f1"] if row["type"] == "macro" else ci["per_type"].get(row["type"])
        if cell is not None:
            row.update(ci_low=cell["low"], ci_high=cell["high"], ci_unit=unit, ci_units=ci["units"])


def _fmt(x: float) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4f}"


def _seed_columns(rows: list[dict]) -> list[str]:
    seen = []
    for row in rows:
        for label in row["values"]:
            if label not in seen:
                seen.append(label)
    try:
        return sorted(seen, key=lambda s: (float(s.split("#")[0]), s))
    except ValueError:
        return seen


def markdown_table(rows: list[dict], types: bool = True) -> str:
    """Markdown: F1 mean ± std, mean P and R, and F1 per seed. types=False keeps micro/macro rows."""
    rows = [r for r in rows if types or r["type"] in AVERAGES]
    seeds = _seed_columns(rows)
    with_ci = any("ci_low" in r for r in rows)
    header = (["setting", "split", "task", "mode", "type", "n", "F1 mean ± std"] + (["95% CI of the mean"] if with_ci else [])
              + ["P mean", "R mean", "support"] + [f"seed {s}" for s in seeds])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * 5 + "---:|" * (len(header) - 5)]
    for r in rows:
        kind = f"**{r['type']}**" if r["type"] in AVERAGES else r["type"]
        std = "" if math.isnan(r["std"]) else f" ± {r['std']:.4f}"
        cells = [r["setting"], r["split"], r["task"], r["mode"], kind, str(r["n"]), f"{r['mean']:.4f}{std}"]
        if with_ci:
            cells.append(f"[{r['ci_low']:.4f}, {r['ci_high']:.4f}]" if "ci_low" in r else "")
        cells += [_fmt(r["precision"]), _fmt(r["recall"]), "" if r["support"] is None else str(r["support"])]
        cells += [_fmt(r["values"].get(s)) for s in seeds]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def csv_text(rows: list[dict]) -> str:
    seeds = _seed_columns(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["setting", "split", "task", "mode", "type", "n", "f1_mean", "f1_std", "f1_min", "f1_max", "ci_low", "ci_high",
                     "ci_unit", "precision_mean", "recall_mean", "support"] + [f"f1_seed_{s}" for s in seeds])
    for r in rows:
        writer.writerow([r["setting"], r["split"], r["task"], r["mode"], r["type"], r["n"], repr(r["mean"]),
                         "" if math.isnan(r["std"]) else repr(r["std"]), repr(r["min"]), repr(r["max"]),
                         repr(r["ci_low"]) if "ci_low" in r else "", repr(r["ci_high"]) if "ci_high" in r else "", r.get("ci_unit", ""),
                         repr(r["precision"]), repr(r["recall"]), "" if r["support"] is None else r["support"]]
                        + [repr(r["values"][s]) if s in r["values"] else "" for s in seeds])
    return out.getvalue()


def runs_table(runs: list[Run], ignored=DEFAULT_IGNORED) -> str:
    lines = ["| setting | seed | run directory |", "|---|---:|---|"]
    for run in runs:
        lines.append(f"| {run.setting(ignored)} | {run.seed} | {run.path} |")
    return "\n".join(lines) + "\n"


def write_aggregate(runs: list[Run], output_dir: str | Path, splits=("dev", "test"), modes=("default",),
                    ignored=DEFAULT_IGNORED, name: str = "aggregate", intervals: dict | None = None) -> tuple[list[dict], str]:
    """Write OUTPUT_DIR/NAME.md (micro/macro table, per-type table, runs) and NAME.csv (all rows).
    `intervals` (keyword arguments of add_intervals, e.g. {"unit": "sentence"}) adds bootstrap
    intervals of the mean. Returns (rows, markdown)."""
    rows = aggregate_rows(runs, splits, modes, ignored)
    if not rows:
        raise ValueError(f"the runs have no scores for splits {list(splits)} and modes {list(modes)}")
    note = ""
    if intervals is not None:
        add_intervals(rows, runs, ignored, **intervals)
        with_ci = [r for r in rows if "ci_low" in r]
        if with_ci:
            note = (f"The interval is a {intervals.get('confidence', 0.95):.0%} percentile bootstrap interval of the mean F1 over the "
                    f"runs, resampling {with_ci[0]['ci_unit']}s ({intervals.get('n_samples', 1000)} samples, seed {intervals.get('seed', 0)}).")
    text = (f"# Aggregate over {len(runs)} runs\n\nSpan F1 (seqeval; mode `default` = conlleval, `strict` = IOB2), "
            "mean ± sample standard deviation over the runs of each setting, and per seed. " + note +
            "\n\n## Micro and macro F1\n\n" + markdown_table(rows, types=False) +
            "\n## Per type\n\n" + markdown_table(rows) + "\n## Runs\n\n" + runs_table(runs, ignored))
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / f"{name}.md").write_text(text, encoding="utf-8")
    (output_dir / f"{name}.csv").write_text(csv_text(rows), encoding="utf-8")
    return rows, text
