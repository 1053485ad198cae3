"""Paired significance tests between two systems' predictions on the same split: each system is
one run or several (seeds); see bootstrap.paired_bootstrap and bootstrap.approximate_randomization."""

from __future__ import annotations

from arabic_ie.analysis import bootstrap
from arabic_ie.analysis.runs import Run, read_tags, read_texts

TESTS = ("paired_bootstrap", "approximate_randomization")


def _sorted_by_seed(runs: list[Run]) -> list[Run]:
    return sorted(runs, key=lambda r: (r.seed is None, r.seed if isinstance(r.seed, (int, float)) else 0, str(r.path)))


def compare(runs_a: list[Run], runs_b: list[Run], split: str = "test", tasks=None, mode: str = "default", unit: str = "document",
            n_samples: int = 10000, seed: int = 0, tests=TESTS, per_type: bool = False, per_seed: bool = True) -> dict:
    """{task: {"a": {...}, "b": {...}, KIND: {TEST: result}, "per_seed": [...]}} for KIND "micro"
    (and each type with per_type). With several runs per system the statistic is the difference
    of mean F1; run i of a is paired with run i of b in seed order."""
    runs_a, runs_b = _sorted_by_seed(runs_a), _sorted_by_seed(runs_b)
    records_a = [read_tags(r.path, split) for r in runs_a]
    records_b = [read_tags(r.path, split) for r in runs_b]
    texts = read_texts(runs_a[0].path, split) if unit == "sentence" else None
    common = set(records_a[0][0]["gold"]) if records_a[0] else set()
    for records in records_a + records_b:
        common &= set(records[0]["gold"]) if records else set()
    tasks = [t for t in (tasks or sorted(common)) if t in common]
    if not tasks:
        raise ValueError(f"the runs share no task on split {split!r}")
    out = {}
    for task in tasks:
        types = sorted({k for records in records_a + records_b for r in records for tags in (r["gold"][task], r["predicted"][task])
                        for k in (t[2:] for t in tags if t != "O")})
        ca = [bootstrap.count_records(records, task, types, mode, unit, texts) for records in records_a]
        cb = [bootstrap.count_records(records, task, types, mode, unit, texts) for records in records_b]
        point = lambda cs: [bootstrap.point_scores(c)["micro"]["f1"] for c in cs]  # noqa: E731
        result = {
            "a": {"runs": [str(r.path) for r in runs_a], "seeds": [r.seed for r in runs_a], "micro_f1": point(ca)},
            "b": {"runs": [str(r.path) for r in runs_b], "seeds": [r.seed for r in runs_b], "micro_f1": point(cb)},
            "units": ca[0].units, "unit": unit, "mode": mode, "split": split,
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
        lines += [f"## {task} ({r['split']}, seqeval `{r['mode']}` mode, {r['units']} {r['unit']}s)", "",
                  f"- A = {name_a}: {len(r['a']['runs'])} run(s), micro F1 " + ", ".join(f"{x:.4f}" for x in r["a"]["micro_f1"]) +
                  f" (mean {r['a']['mean_micro_f1']:.4f})",
                  f"- B = {name_b}: {len(r['b']['runs'])} run(s), micro F1 " + ", ".join(f"{x:.4f}" for x in r["b"]["micro_f1"]) +
                  f" (mean {r['b']['mean_micro_f1']:.4f})", "",
                  "| F1 | test | mean F1(A) − mean F1(B) | 95% interval | p-value | samples |", "|---|---|---:|---|---:|---:|"]
        for kind, tests in r.items():
            if kind in ("a", "b", "units", "unit", "mode", "split", "per_seed"):
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
