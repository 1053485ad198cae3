"""PNG plots of a run, drawn with matplotlib's object API (`Figure`, no pyplot): no display is
needed and the caller's pyplot backend (e.g. a notebook's) is left alone.

- `plot_confusion`: gold type x predicted type over paired spans, "none" for missed/spurious;
- `plot_per_type_f1`: per-type F1 bars with bootstrap intervals (and micro/macro);
- `plot_curves`: training loss and dev loss / span F1 from the Trainer's log history.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def _figure(width: float, height: float, ncols: int = 1):
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots(1, ncols)


def plot_confusion(labels: list[str], matrix, path: str | Path, title: str = "") -> Path:
    matrix = np.asarray(matrix)
    size = max(4.0, 0.6 * len(labels) + 2)
    fig, ax = _figure(size + 1, size)
    image = ax.imshow(np.log1p(matrix), cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted type (none: missed gold span)")
    ax.set_ylabel("gold type (none: spurious prediction)")
    high = np.log1p(matrix).max() if matrix.size else 0
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            if matrix[i, j]:
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if np.log1p(matrix[i, j]) > 0.6 * high else "black")
    ax.set_title(title or "span type confusion")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="log(1 + count)")
    return _save(fig, path)


def plot_per_type_f1(intervals: dict, path: str | Path, title: str = "") -> Path:
    """`intervals`: bootstrap_ci's result (per_type, micro and macro F1 with low/high)."""
    names = list(intervals["per_type"]) + ["micro", "macro"]
    rows = [intervals["per_type"][n] for n in intervals["per_type"]] + [intervals["micro"]["f1"], intervals["macro"]["f1"]]
    values = np.array([r["value"] for r in rows])
    errors = np.array([[r["value"] - r["low"] for r in rows], [r["high"] - r["value"] for r in rows]]).clip(min=0)
    fig, ax = _figure(max(5.0, 0.55 * len(names) + 2), 4)
    colors = ["tab:blue"] * (len(names) - 2) + ["tab:orange", "tab:green"]
    ax.bar(range(len(names)), values, yerr=errors, capsize=3, color=colors)
    labels = [f"{n}\n(n={intervals['per_type'][n]['support']})" if n in intervals["per_type"] else n for n in names]
    ax.set_xticks(range(len(names)), labels, rotation=45 if len(names) > 8 else 0, ha="right" if len(names) > 8 else "center", fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("span F1")
    confidence = intervals.get("confidence", 0.95)
    ax.set_title(title or f"F1 per type, {confidence:.0%} bootstrap intervals ({intervals.get('n_samples')} samples)")
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def plot_curves(log_history: list[dict], path: str | Path, title: str = "") -> Path:
    """Training loss and dev loss (left), dev span F1 per task and mean (right) against the step."""
    train = [(e["step"], e["loss"]) for e in log_history if "loss" in e and "step" in e]
    evals = [e for e in log_history if "eval_loss" in e and "step" in e]
    fig, (left, right) = _figure(10, 3.8, 2)
    if train:
        left.plot(*zip(*train), label="training loss")
    if evals:
        left.plot([e["step"] for e in evals], [e["eval_loss"] for e in evals], marker="o", label="dev loss")
        keys = sorted({k for e in evals for k in e if k.startswith("eval_") and k.endswith("f1")})
        if len(keys) == 2 and "eval_f1" in keys:
            keys.remove("eval_f1")  # one task: its F1 is the mean
        for key in keys:
            points = [(e["step"], e[key]) for e in evals if key in e]
            right.plot(*zip(*points), marker="o", label=key[len("eval_"):].replace("_", " ") if key != "eval_f1" else "mean F1")
        right.set_ylim(0, 1)
    left.set_xlabel("step")
    left.set_ylabel("loss")
    right.set_xlabel("step")
    right.set_ylabel("dev span F1 (micro)")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
    if not train and not evals:
        left.text(0.5, 0.5, "no log history", ha="center", transform=left.transAxes)
    fig.suptitle(title or "training curves")
    return _save(fig, path)


def plot_setting_bars(table: list[dict], path: str | Path, title: str = "") -> Path:
    """Mean F1 ± std per setting (aggregate rows with keys setting, mean, std and optionally
    values: {seed: F1}, drawn as dots), horizontal bars."""
    fig, ax = _figure(7, 0.5 * len(table) + 1.5)
    y = np.arange(len(table))
    ax.barh(y, [r["mean"] for r in table], xerr=[0 if np.isnan(r["std"]) else r["std"] for r in table], capsize=3, alpha=0.8)
    for i, r in enumerate(table):  # one dot per seed
        values = list(r.get("values", {}).values())
        ax.scatter(values, [i] * len(values), color="black", s=12, zorder=3)
    ax.set_yticks(y, [r["setting"] for r in table], fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("span F1 (bar: mean ± std over seeds; dots: seeds)")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)
