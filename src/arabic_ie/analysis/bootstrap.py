"""Confidence intervals and paired significance tests for span F1, resampling documents (or sentences).

Spans are counted once per unit (a document, or a sentence of it) and per type as true positives,
false positives and false negatives, with seqeval's own span extraction, so that the sum over all
units reproduces seqeval's scores exactly. A bootstrap sample is then a weighted sum of those rows
(numpy), not a new seqeval call:

- `bootstrap_ci`: percentile bootstrap over units (Efron and Tibshirani 1993) for micro, macro and
  per-type F1 (and micro precision and recall), with a fixed seed.
- `paired_bootstrap`: resample units once for both systems; two-sided p-value of the F1
  difference, p = (1 + #{|d_b - d| >= |d|}) / (B + 1) (the shifted null distribution; Koehn 2004,
  Berg-Kirkpatrick et al. 2012), and the percentile interval of the difference.
- `approximate_randomization`: swap the two systems' outputs on each unit with probability 1/2
  (Noreen 1989; Riezler and Maxwell 2005); p = (1 + #{|d_r| >= |d|}) / (R + 1).

Both tests compare "systems" that may be several runs each (seeds): the statistic is then the
difference of the mean F1 over the runs, all runs being scored on the same resampled units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import IOB2, Entities

MODES = ("default", "strict")
UNITS = ("document", "sentence")
SENTENCE_END = frozenset({".", "!", "?", "؟", "…", "۔"})


def extract_spans(tags: list[str], mode: str = "default") -> set[tuple[str, int, int]]:
    """The spans seqeval scores in `mode`, as (type, first word, last word + 1)."""
    if mode == "strict":
        return {(e.tag, e.start, e.end) for e in Entities([list(tags)], IOB2).entities[0]}
    if mode == "default":
        return {(kind, start, end + 1) for kind, start, end in get_entities(list(tags))}
    raise ValueError(f"mode must be one of {MODES}, not {mode!r}")


def sentence_starts(words, text: str) -> list[int]:
    """Indices of the words that start a sentence: the first word, a word after sentence-final
    punctuation (. ! ? ؟ …) and a word after a line break."""
    starts = [0] if words else []
    for i in range(1, len(words)):
        previous = text[words[i - 1][0] : words[i - 1][1]]
        if previous in SENTENCE_END or "\n" in text[words[i - 1][1] : words[i][0]]:
            starts.append(i)
    return starts


@dataclass
class Counts:
    """Per unit (row) and type (column): true positives, false positives, false negatives."""

    types: list[str]
    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    unit_ids: list[str]

    @property
    def units(self) -> int:
        return self.tp.shape[0]

    def column(self, kind: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(tp, fp, fn) per unit, summed over types (kind None: micro) or of one type."""
        if kind is None:
            return self.tp.sum(1), self.fp.sum(1), self.fn.sum(1)
        j = self.types.index(kind)
        return self.tp[:, j], self.fp[:, j], self.fn[:, j]


def count_spans(gold: list[list[str]], predicted: list[list[str]], types=(), mode: str = "default",
                units: list[list[int]] | None = None, ids: list[str] | None = None) -> Counts:
    """Counts per unit and type from word tags. `units[d]` lists the word indices where document
    d's units start (None: one unit per document); a span belongs to the unit where it starts."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold and {len(predicted)} predicted tag sequences")
    per_doc = []
    for d, (g, p) in enumerate(zip(gold, predicted)):
        if len(g) != len(p):
            raise ValueError(f"document {d}: {len(g)} gold and {len(p)} predicted tags")
        per_doc.append((extract_spans(g, mode), extract_spans(p, mode)))
    return tabulate(per_doc, types, units, ids)


def tabulate(per_doc: list[tuple[set, set]], types=(), units: list[list[int]] | None = None, ids: list[str] | None = None) -> Counts:
    """Counts from (gold, predicted) sets of (type, start, end) per document; a span belongs to the
    unit of the document (`units[d]`: unit start positions, same scale as the spans) where it starts."""
    kinds = sorted(set(types) | {s[0] for gs, ps in per_doc for s in gs | ps})
    column = {k: j for j, k in enumerate(kinds)}
    rows, unit_ids = [], []
    for d, (gs, ps) in enumerate(per_doc):
        starts = sorted(set(units[d]) | {0}) if units is not None else [0]
        base = len(rows)
        doc_id = ids[d] if ids is not None else str(d)
        for u in range(len(starts)):
            rows.append(np.zeros((3, len(kinds)), dtype=np.int64))
            unit_ids.append(doc_id if len(starts) == 1 else f"{doc_id}#{u}")
        for span in gs | ps:
            row = rows[base + int(np.searchsorted(starts, span[1], side="right")) - 1]
            j = column[span[0]]
            if span in gs and span in ps:
                row[0, j] += 1
            elif span in ps:
                row[1, j] += 1
            else:
                row[2, j] += 1
    stacked = np.stack(rows) if rows else np.zeros((0, 3, len(kinds)), dtype=np.int64)
    return Counts(kinds, stacked[:, 0], stacked[:, 1], stacked[:, 2], unit_ids)


def sentence_offsets(text: str) -> list[int]:
    """Character offsets where sentences start: 0, after sentence-final punctuation (. ! ? ؟ … ۔)
    followed by whitespace, and after line breaks."""
    return [0] + [m.end() for m in re.finditer(r"[.!?؟…۔]+\s+|\n\s*", text) if m.end() < len(text)]


def count_documents(gold_docs, predicted_docs, task: str, types=(), unit: str = "document") -> Counts:
    """Counts of exact character-offset matches (type, start, end) between gold and predicted
    Documents (matched by id, in gold order): the reference is the original annotation, whatever
    words a model saw, so runs with different segmentations are compared on the same gold."""
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, not {unit!r}")
    predicted = {d.id: d for d in predicted_docs}
    missing = [d.id for d in gold_docs if d.id not in predicted]
    if missing:
        raise ValueError(f"{len(missing)} gold documents have no prediction, e.g. {missing[:3]}")
    per_doc = [({(s.label, s.start, s.end) for s in d.spans(task)}, {(s.label, s.start, s.end) for s in predicted[d.id].spans(task)})
               for d in gold_docs]
    units = [sentence_offsets(d.text) for d in gold_docs] if unit == "sentence" else None
    return tabulate(per_doc, types, units, [str(d.id) for d in gold_docs])


def record_types(record_lists, task: str) -> list[str]:
    """The entity types in the gold and predicted word tags of `task` over several runs' records
    (predictions/SPLIT.tags.jsonl): the shared `types` their counts need."""
    return sorted({tag[2:] for records in record_lists for r in records for tags in (r["gold"][task], r["predicted"][task])
                   for tag in tags if tag != "O"})


def count_records(records: list[dict], task: str, types=(), mode: str = "default", unit: str = "document",
                  texts: dict[str, str] | None = None) -> Counts:
    """Counts from predictions/SPLIT.tags.jsonl records (see runs.read_tags). unit='sentence' needs
    the documents' texts (runs.read_texts) to find sentence ends."""
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, not {unit!r}")
    units = None
    if unit == "sentence":
        if not texts:
            raise ValueError("unit=sentence needs the documents' texts (predictions/SPLIT.jsonl)")
        units = [sentence_starts(r["words"], texts[r["id"]]) for r in records]
    return count_spans([r["gold"][task] for r in records], [r["predicted"][task] for r in records], types, mode,
                       units, [str(r["id"]) for r in records])


def _safe_div(num, den):
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


def f1_score(tp, fp, fn):
    """2TP / (2TP + FP + FN), i.e. 2PR/(P+R), 0 where there is no span at all (element-wise)."""
    tp = np.asarray(tp, dtype=float)
    return _safe_div(2 * tp, 2 * tp + fp + fn)


def precision_score(tp, fp, fn):
    return _safe_div(tp, np.asarray(tp) + fp)


def recall_score(tp, fp, fn):
    return _safe_div(tp, np.asarray(tp) + fn)


def macro_f1(tp, fp, fn):
    """seqeval's macro F1: the mean over the types present in gold or predictions (last axis)."""
    present = (np.asarray(tp) + fp + fn) > 0
    f1 = f1_score(tp, fp, fn)
    n = present.sum(-1)
    return _safe_div((f1 * present).sum(-1), n)


def point_scores(counts: Counts) -> dict:
    tp, fp, fn = counts.tp.sum(0), counts.fp.sum(0), counts.fn.sum(0)
    T, F, N = tp.sum(), fp.sum(), fn.sum()
    return {
        "micro": {"precision": float(precision_score(T, F, N)), "recall": float(recall_score(T, F, N)), "f1": float(f1_score(T, F, N))},
        "macro": {"f1": float(macro_f1(tp, fp, fn))},
        "per_type": {k: {"f1": float(f1_score(tp[j], fp[j], fn[j])), "support": int(tp[j] + fn[j])} for j, k in enumerate(counts.types)},
    }


def resample_weights(n_units: int, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """(n_samples, n_units) counts: how often each unit is drawn in each bootstrap sample."""
    draws = rng.integers(0, n_units, size=(n_samples, n_units))
    offsets = (draws + np.arange(n_samples)[:, None] * n_units).ravel()
    return np.bincount(offsets, minlength=n_samples * n_units).reshape(n_samples, n_units)


def _interval(samples: np.ndarray, point: float, confidence: float) -> dict:
    alpha = (1 - confidence) / 2
    low, high = np.quantile(samples, [alpha, 1 - alpha])
    return {"value": float(point), "low": float(low), "high": float(high), "std": float(np.std(samples, ddof=1)) if len(samples) > 1 else 0.0}


def bootstrap_ci(counts, n_samples: int = 1000, seed: int = 0, confidence: float = 0.95, chunk: int = 500) -> dict:
    """Percentile bootstrap intervals over units for micro P/R/F1, macro F1 and per-type F1.

    `counts`: one Counts, or a list of them (the runs of one setting, e.g. seeds, scored on the same
    units with the same types): the statistic is then the mean over the runs, every run being
    scored on the same resampled units. Deterministic for a given seed. Returns {"micro":
    {precision|recall|f1: {value, low, high, std}}, "macro": {"f1": ...}, "per_type": {TYPE:
    {value, low, high, std, support}}, n_samples, seed, confidence, units, runs}."""
    runs = [counts] if isinstance(counts, Counts) else list(counts)
    if not runs or runs[0].units == 0:
        raise ValueError("no units to resample")
    _check_same_units(runs, [])
    types = runs[0].types
    if any(c.types != types for c in runs):
        raise ValueError("the runs were counted with different types (pass the same `types` to count_spans)")
    rng = np.random.default_rng(seed)
    stacked = np.stack([np.stack([c.tp, c.fp, c.fn]) for c in runs])  # (K, 3, U, T)
    sums = []
    for begin in range(0, n_samples, chunk):
        w = resample_weights(runs[0].units, min(chunk, n_samples - begin), rng).astype(float)
        sums.append(np.einsum("bu,kcut->ckbt", w, stacked))  # (3, K, B, T)
    tp, fp, fn = np.concatenate(sums, axis=2)
    T, F, N = tp.sum(-1), fp.sum(-1), fn.sum(-1)  # (K, B)
    points = [point_scores(c) for c in runs]
    mean = lambda get: float(np.mean([get(p) for p in points]))  # noqa: E731
    result = {
        "micro": {name: _interval(score(T, F, N).mean(0), mean(lambda p, n=name: p["micro"][n]), confidence)
                  for name, score in (("precision", precision_score), ("recall", recall_score), ("f1", f1_score))},
        "macro": {"f1": _interval(macro_f1(tp, fp, fn).mean(0), mean(lambda p: p["macro"]["f1"]), confidence)},
        "per_type": {},
        "n_samples": n_samples, "seed": seed, "confidence": confidence, "units": runs[0].units, "runs": len(runs),
    }
    for j, kind in enumerate(types):
        row = _interval(f1_score(tp[..., j], fp[..., j], fn[..., j]).mean(0), mean(lambda p: p["per_type"][kind]["f1"]), confidence)
        result["per_type"][kind] = {**row, "support": points[0]["per_type"][kind]["support"]}
    return result


def _stack_system(system: list[Counts], kind: str | None) -> np.ndarray:
    """(3, U, K): tp/fp/fn per unit for each of the K runs of a system, for one type or micro."""
    if isinstance(system, Counts):
        system = [system]
    return np.stack([np.stack(c.column(kind)) for c in system], axis=-1).astype(float)


def _check_same_units(a: list[Counts], b: list[Counts]) -> None:
    reference = a[0].unit_ids
    for c in list(a) + list(b):
        if c.unit_ids != reference:
            raise ValueError("the runs were not scored on the same documents (ids or order differ)")


def _mean_f1(sums: np.ndarray) -> np.ndarray:
    """sums (3, ..., K) -> mean over the K runs of F1 (...)."""
    return f1_score(sums[0], sums[1], sums[2]).mean(-1)


def paired_bootstrap(a, b, kind: str | None = None, n_samples: int = 10000, seed: int = 0, confidence: float = 0.95,
                     chunk: int = 1000) -> dict:
    """Paired bootstrap test of mean F1(a) - mean F1(b) (micro, or of type `kind`).

    `a`, `b`: a Counts or a list of them (runs of one system) on the same units."""
    a, b = ([a] if isinstance(a, Counts) else list(a)), ([b] if isinstance(b, Counts) else list(b))
    _check_same_units(a, b)
    xa, xb = _stack_system(a, kind), _stack_system(b, kind)
    observed = float(_mean_f1(xa.sum(1)) - _mean_f1(xb.sum(1)))
    rng = np.random.default_rng(seed)
    deltas = []
    for begin in range(0, n_samples, chunk):
        w = resample_weights(xa.shape[1], min(chunk, n_samples - begin), rng).astype(float)
        deltas.append(_mean_f1(np.einsum("bu,cuk->cbk", w, xa)) - _mean_f1(np.einsum("bu,cuk->cbk", w, xb)))
    deltas = np.concatenate(deltas)
    extreme = int(np.sum(np.abs(deltas - observed) >= abs(observed) - 1e-12))
    alpha = (1 - confidence) / 2
    low, high = np.quantile(deltas, [alpha, 1 - alpha])
    return {"test": "paired bootstrap", "difference": observed, "low": float(low), "high": float(high),
            "p_value": (extreme + 1) / (n_samples + 1), "a_better_fraction": float(np.mean(deltas > 0)),
            "n_samples": n_samples, "seed": seed, "confidence": confidence, "units": xa.shape[1]}


def approximate_randomization(a, b, kind: str | None = None, n_samples: int = 10000, seed: int = 0, chunk: int = 1000) -> dict:
    """Approximate randomization test of mean F1(a) - mean F1(b): each unit's outputs are swapped
    between the systems with probability 1/2 (with several runs per system, run i of a is paired
    with run i of b, so both need the same number of runs)."""
    a, b = ([a] if isinstance(a, Counts) else list(a)), ([b] if isinstance(b, Counts) else list(b))
    _check_same_units(a, b)
    if len(a) != len(b):
        raise ValueError(f"approximate randomization pairs runs: {len(a)} runs against {len(b)}")
    xa, xb = _stack_system(a, kind), _stack_system(b, kind)
    sa, sb = xa.sum(1), xb.sum(1)
    observed = float(_mean_f1(sa) - _mean_f1(sb))
    diff = xb - xa  # what moves from b to a when a unit is swapped
    rng = np.random.default_rng(seed)
    stats = []
    for begin in range(0, n_samples, chunk):
        swap = rng.integers(0, 2, size=(min(chunk, n_samples - begin), xa.shape[1])).astype(float)
        moved = np.einsum("ru,cuk->crk", swap, diff)
        stats.append(_mean_f1(sa[:, None, :] + moved) - _mean_f1(sb[:, None, :] - moved))
    stats = np.concatenate(stats)
    extreme = int(np.sum(np.abs(stats) >= abs(observed) - 1e-12))
    return {"test": "approximate randomization", "difference": observed, "p_value": (extreme + 1) / (n_samples + 1),
            "n_samples": n_samples, "seed": seed, "units": xa.shape[1]}
