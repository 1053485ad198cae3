"""Span-level precision, recall and F1 with seqeval, in strict IOB2 and default (conlleval) modes.

Schema of one task's scores: {MODE: {"micro": {precision, recall, f1}, "macro": {...},
"per_type": {TYPE: {precision, recall, f1, support}}}} with MODE in strict/default.
"""

from __future__ import annotations

import warnings

from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

MODES = ("strict", "default")


def span_scores(gold: list[list[str]], predicted: list[list[str]], types=()) -> dict:
    """Scores of one task; `types` (the label scheme's) are reported even when absent from data."""
    result = {}
    for mode in MODES:
        kwargs = {"mode": "strict", "scheme": IOB2} if mode == "strict" else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zero_division=0 is the documented choice below
            report = classification_report(gold, predicted, output_dict=True, zero_division=0, **kwargs)
        per_type = {}
        for name in sorted(set(types) | {k for k in report if k not in ("micro avg", "macro avg", "weighted avg")}):
            row = report.get(name, {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0})
            per_type[name] = {"precision": float(row["precision"]), "recall": float(row["recall"]),
                              "f1": float(row["f1-score"]), "support": int(row["support"])}
        zero = {"precision": 0.0, "recall": 0.0, "f1-score": 0.0}
        # seqeval's macro average: over the types present in the gold or the predicted tags
        micro, macro = report.get("micro avg", zero), report.get("macro avg", zero)
        if not any(k not in ("micro avg", "macro avg", "weighted avg") for k in report):
            micro = macro = zero  # no span in gold or prediction: seqeval's averages would be NaN
        result[mode] = {
            "micro": {"precision": float(micro["precision"]), "recall": float(micro["recall"]), "f1": float(micro["f1-score"])},
            "macro": {"precision": float(macro["precision"]), "recall": float(macro["recall"]), "f1": float(macro["f1-score"])},
            "per_type": per_type,
        }
    return result


def markdown_table(metrics: dict) -> str:
    """One Markdown table: a row per split, task, mode and type (micro and macro first); argument
    tasks have the modes classification/identification and their roles as types; DATE value
    accuracy follows in a table of its own."""
    lines = ["| split | task | mode | type | precision | recall | F1 | support |", "|---|---|---|---|---:|---:|---:|---:|"]
    for split, tasks in metrics.items():
        for task, modes in tasks.items():
            if task == "dates":
                continue
            for mode, scores in modes.items():
                for name in ("micro", "macro"):
                    s = scores[name]
                    lines.append(f"| {split} | {task} | {mode} | **{name}** | {s['precision']:.4f} | {s['recall']:.4f} | {s['f1']:.4f} | |")
                for name, s in scores["per_type"].items():
                    lines.append(f"| {split} | {task} | {mode} | {name} | {s['precision']:.4f} | {s['recall']:.4f} | {s['f1']:.4f} | {s['support']} |")
    dates = [(split, tasks["dates"]) for split, tasks in metrics.items() if "dates" in tasks]
    if dates:
        lines += ["", "| split | DATE value accuracy | correct | annotated values |", "|---|---:|---:|---:|"]
        lines += [f"| {split} | {d['accuracy']:.4f} | {d['correct']} | {d['total']} |" for split, d in dates]
    return "\n".join(lines) + "\n"


def summary_table(metrics: dict) -> str:
    """A short table of micro F1 per split, task and mode, for the console."""
    lines = ["| split | task | strict P | strict R | strict F1 | default F1 | macro F1 (default) |", "|---|---|---:|---:|---:|---:|---:|"]
    arguments = ["", "| split | arguments | Arg-I P | Arg-I R | Arg-I F1 | Arg-C P | Arg-C R | Arg-C F1 |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    dates = []
    for split, tasks in metrics.items():
        for task, modes in tasks.items():
            if task == "dates":
                dates.append(f"{split} DATE value accuracy {modes['accuracy']:.4f} ({modes['correct']}/{modes['total']})")
            elif "classification" in modes:
                i, c = modes["identification"]["micro"], modes["classification"]["micro"]
                arguments.append(f"| {split} | {task} | {i['precision']:.4f} | {i['recall']:.4f} | {i['f1']:.4f} | {c['precision']:.4f} | {c['recall']:.4f} | {c['f1']:.4f} |")
            else:
                st, de = modes["strict"]["micro"], modes["default"]
                lines.append(f"| {split} | {task} | {st['precision']:.4f} | {st['recall']:.4f} | {st['f1']:.4f} | {de['micro']['f1']:.4f} | {de['macro']['f1']:.4f} |")
    if len(arguments) > 3:
        lines += arguments
    if dates:
        lines += [""] + dates
    return "\n".join(lines) + "\n"
