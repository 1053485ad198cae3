"""Paired significance tests between two systems' predictions on the same split: each system is
one run or several (seeds); see bootstrap.paired_bootstrap and bootstrap.approximate_randomization."""

from __future__ import annotations

from arabic_ie.analysis import bootstrap
from arabic_ie.analysis.arguments import argument_counts, is_argument_task, read_events
from arabic_ie.analysis.runs import Run, gold_documents, predicted_documents, read_tags, read_texts
from arabic_ie.data.documents import TASKS

LEVELS = ("word", "char")

TESTS = ("paired_bootstrap", "approximate_randomization")


def _sorted_by_seed(runs: list[Run]) -> list[Run]:
    return sorted(runs, key=lambda r: (r.seed is None, r.seed if isinstance(r.seed, (int, float)) else 0, str(r.path)))


def _word_counts(runs_a, runs_b, split, tasks, mode, unit):
    """Per task: counts of each run from its word tags (gold as each run's words carry it)."""
    records_a = [read_tags(r.path, split) for r in runs_a]
    records_b = [read_tags(r.path, split) for r in runs_b]
    texts = read_texts(runs_a[0].path, split) if unit == "sentence" else None
    common = set(records_a[0][0]["gold"]) if records_a[0] else set()
    for records in records_a + records_b:
        common &= set(records[0]["gold"]) if records else set()
    out = {}
    for task in [t for t in (tasks or sorted(common)) if t in common]:
        reference = [r["gold"][task] for r in records_a[0]]
        if any([r["gold"][task] for r in records] != reference for records in records_a + records_b):
            raise ValueError(f"{task}: the runs' word-level gold tags differ (another word segmentation, e.g. data.split_proclitics?): "
                             "compare them with level=char (exact character offsets against the original gold)")
        types = bootstrap.record_types(records_a + records_b, task)
        out[task] = ([bootstrap.count_records(records, task, types, mode, unit, texts) for records in records_a],
                     [bootstrap.count_records(records, task, types, mode, unit, texts) for records in records_b])
    return out


def _char_counts(runs_a, runs_b, split, tasks, unit):
    """Per task: counts of exact character-offset matches against the original gold of run A's data."""
    gold = gold_documents(runs_a[0], split)
    predicted_a = [predicted_documents(r.path, split) for r in runs_a]
    predicted_b = [predicted_documents(r.path, split) for r in runs_b]
    common = set(runs_a[0].metrics.get(split, {})) & set(TASKS)  # span tasks (not arguments, not dates)
    for r in runs_a + runs_b:
        common &= set(r.metrics.get(split, {}))
    out = {}
    for task in [t for t in (tasks or sorted(common)) if t in common]:
        types = sorted({s.label for docs in [gold, *predicted_a, *predicted_b] for d in docs for s in d.spans(task)})
        out[task] = ([bootstrap.count_documents(gold, p, task, types, unit) for p in predicted_a],
                     [bootstrap.count_documents(gold, p, task, types, unit) for p in predicted_b])
    return out


def compare(runs_a: list[Run], runs_b: list[Run], split: str = "test", tasks=None, mode: str = "default", unit: str = "document",
            n_samples: int = 10000, seed: int = 0, tests=TESTS, per_type: bool = False, per_seed: bool = True, level: str = "word") -> dict:
    """{task: {"a": {...}, "b": {...}, KIND: {TEST: result}, "per_seed": [...]}} for KIND "micro"
    (and each type with per_type). With several runs per system the statistic is the difference
    of mean F1; run i of a is paired with run i of b in seed order.

    level="word": spans decoded from each run's word tags (predictions/SPLIT.tags.jsonl) in seqeval
    `mode`, the F1 of metrics.json; level="char": exact character offsets of the predicted spans
    (predictions/SPLIT.jsonl) against the original gold of the data config, the right choice when
    the two systems segment the text into different words (e.g. data.split_proclitics)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    runs_a, runs_b = _sorted_by_seed(runs_a), _sorted_by_seed(runs_b)
    span_tasks = [t for t in tasks if not is_argument_task(t)] if tasks else None
    counted = {}
    if span_tasks is None or span_tasks:
        counted = (_word_counts(runs_a, runs_b, split, span_tasks, mode, unit) if level == "word"
                   else _char_counts(runs_a, runs_b, split, span_tasks, unit))
    # argument tasks (arguments (gold input) / (end to end)): argument classification, documents resampled
    for task in [t for t in (tasks or sorted(set(runs_a[0].metrics.get(split, {})) & set(runs_b[0].metrics.get(split, {}))))
                 if is_argument_task(t)]:
        counted[task] = ([argument_counts(read_events(r.path, split), task) for r in runs_a],
                         [argument_counts(read_events(r.path, split), task) for r in runs_b])
    if not counted:
        raise ValueError(f"the runs share no task on split {split!r}")
    out = {}
    for task, (ca, cb) in counted.items():
        types = ca[0].types
        point = lambda cs: [bootstrap.point_scores(c)["micro"]["f1"] for c in cs]  # noqa: E731
        result = {
            "a": {"runs": [str(r.path) for r in runs_a], "seeds": [r.seed for r in runs_a], "micro_f1": point(ca)},
            "b": {"runs": [str(r.path) for r in runs_b], "seeds": [r.seed for r in runs_b], "micro_f1": point(cb)},
            "units": ca[0].units, "unit": unit, "mode": mode if level == "word" else "character-exact", "split": split, "level": level,
        }
        for side, cs in (("a", ca), ("b", cb)):
            result[side]["mean_micro_f1"] = sum(result[side]["micro_f1"]) / len(cs)
        for kind in [None] + (types if per_type else []):
            name = kind or "micro"
            result[name] = {}
            if "paired_bootstrap" in tests:
                result[name]["paired_bootstrap"] = bootstrap.paired_bootstrap(ca, cb, kind, n_samples, seed)
            if "approximate_randomization" in tests and len(ca) == len(cb):
                result[name]["approximate_randomization"] = bootstrap.approximate_randomization(ca, cb, kind, n_samples, seed)
        if per_seed and len(ca) == len(cb) and len(ca) > 1:
            result["per_seed"] = [
                {"seed_a": ra.seed, "seed_b": rb.seed,
                 **{test: (bootstrap.paired_bootstrap if test == "paired_bootstrap" else bootstrap.approximate_randomization)(x, y, None, n_samples, seed)
                    for test in tests}}
                for ra, rb, x, y in zip(runs_a, runs_b, ca, cb)]
        out[task] = result
    return out


def markdown(result: dict, name_a: str = "A", name_b: str = "B") -> str:
    lines = []
    for task, r in result.items():
        scoring = "exact character offsets against the original gold" if r.get("level") == "char" else f"seqeval `{r['mode']}` mode"
        lines += [f"## {task} ({r['split']}, {scoring}, {r['units']} {r['unit']}s)", "",
                  f"- A = {name_a}: {len(r['a']['runs'])} run(s), micro F1 " + ", ".join(f"{x:.4f}" for x in r["a"]["micro_f1"]) +
                  f" (mean {r['a']['mean_micro_f1']:.4f})",
                  f"- B = {name_b}: {len(r['b']['runs'])} run(s), micro F1 " + ", ".join(f"{x:.4f}" for x in r["b"]["micro_f1"]) +
                  f" (mean {r['b']['mean_micro_f1']:.4f})", "",
                  "| F1 | test | mean F1(A) − mean F1(B) | 95% interval | p-value | samples |", "|---|---|---:|---|---:|---:|"]
        for kind, tests in r.items():
            if kind in ("a", "b", "units", "unit", "mode", "split", "level", "per_seed"):
                continue
            for test, t in tests.items():
                interval = f"[{t['low']:+.4f}, {t['high']:+.4f}]" if "low" in t else ""
                lines.append(f"| {kind} | {t['test']} | {t['difference']:+.4f} | {interval} | {t['p_value']:.4f} | {t['n_samples']} |")
        for pair in r.get("per_seed", []):
            for test in TESTS:
                if test in pair:
                    t = pair[test]
                    interval = f"[{t['low']:+.4f}, {t['high']:+.4f}]" if "low" in t else ""
                    lines.append(f"| micro, seed {pair['seed_a']} vs {pair['seed_b']} | {t['test']} | {t['difference']:+.4f} | {interval} | {t['p_value']:.4f} | {t['n_samples']} |")
        lines.append("")
    return "\n".join(lines)
