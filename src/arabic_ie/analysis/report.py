"""The report of one run: bootstrap intervals, SemEval-2013 style scores, error categories, recall
on spans seen and unseen in training, and PNG plots, written into RUN_DIR/report/ (report.md,
report.json, *.png)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from arabic_ie.analysis import bootstrap, errors, novelty, semeval
from arabic_ie.analysis.runs import available_splits, log_history, read_tags, read_texts, record_spans

log = logging.getLogger(__name__)


def _scheme_types(run_dir: Path) -> dict[str, list[str]]:
    path = run_dir / "label_schemes.json"
    if not path.is_file():
        return {}
    return {task: list(s["types"]) for task, s in json.loads(path.read_text(encoding="utf-8")).items()}


def training_span_texts(run_dir: Path) -> tuple[dict[str, set[str]], str | None]:
    """Span texts per task of the run's gold training split (config.yaml's `data`, without
    `data.silver`: analysis.novelty), or ({}, why not) when that split cannot be read."""
    from omegaconf import OmegaConf

    from arabic_ie.data.corpus import load_corpus
    from arabic_ie.data.documents import TASKS

    path = run_dir / "config.yaml"
    if not path.is_file():
        return {}, f"{path}: no run config, so no training split to compare with"
    data = OmegaConf.load(path).get("data")
    if not data:
        return {}, f"{path}: the run config has no data section"
    data.silver = None
    try:
        train = load_corpus(data, splits=["train"]).splits.get("train")
    except (OSError, ValueError) as error:  # FormatError is a ValueError
        return {}, f"the training split could not be read: {error}"
    if not train:
        return {}, f"{path}: the run's data config has no training split"
    return {task: novelty.span_texts(train, task) for task in TASKS}, None


def analyse_split(run_dir: Path, split: str, n_samples: int = 1000, seed: int = 0, confidence: float = 0.95,
                  unit: str = "document", mode: str = "default", seen: dict[str, set[str]] | None = None) -> dict:
    """The analysis of one split; with `seen` (span texts per task of the training split), also
    each task's recall on seen and unseen gold spans."""
    records = read_tags(run_dir, split)
    texts = read_texts(run_dir, split)
    types = _scheme_types(run_dir)
    result = {}
    for task in (records[0]["gold"] if records else {}):
        counts = bootstrap.count_records(records, task, types.get(task, ()), mode, unit, texts)
        # (id, gold, predicted) spans decoded once from the word tags (gold as the model saw it)
        spans = [(r["id"], record_spans(r, task, "gold"), record_spans(r, task, "predicted")) for r in records]
        found = [error for doc_id, gold, predicted in spans for error in errors.categorise(gold, predicted, texts.get(doc_id, ""), doc_id)]
        result[task] = {
            "bootstrap": bootstrap.bootstrap_ci(counts, n_samples, seed, confidence),
            "semeval": semeval.semeval_scores([r["gold"][task] for r in records], [r["predicted"][task] for r in records], types.get(task, ())),
            "errors": errors.summary(found),
            "errors_by_type": errors.summary_by_type(found),
            "confusion": dict(zip(("labels", "matrix"), errors.confusion(found, types.get(task, ())))),
        }
        if seen and task in seen:
            missing = [doc_id for doc_id, _, _ in spans if doc_id not in texts]
            if missing:  # a span's text is what decides seen or unseen
                result[task]["novelty_not_computed"] = (f"predictions/{split}.jsonl lacks the text of {len(missing)} "
                                                        f"document(s), e.g. {missing[0]!r}")
            else:
                documents = [(gold, predicted, texts[doc_id]) for doc_id, gold, predicted in spans]
                result[task]["novelty"] = novelty.novelty_recall(documents, seen[task], types.get(task, ()))
    return result


def _interval(r: dict) -> str:
    return f"{r['value']:.4f} [{r['low']:.4f}, {r['high']:.4f}]"


def markdown(run_dir: Path, analysis: dict, mode: str, unit: str, no_novelty: str | None = None) -> str:
    lines = [f"# Report: {run_dir}", ""]
    if no_novelty:
        lines += [f"Recall on spans seen and unseen in training: not computed ({no_novelty}).", ""]
    for split, tasks in analysis.items():
        for task, a in tasks.items():
            ci = a["bootstrap"]
            lines += [f"## {split} / {task}", "",
                      f"Span scores (seqeval, `{mode}` mode) with {ci['confidence']:.0%} percentile bootstrap intervals "
                      f"({ci['n_samples']} samples over {ci['units']} {unit}s, seed {ci['seed']}).", "",
                      "| | F1 [interval] | support |", "|---|---|---:|",
                      f"| **micro** | {_interval(ci['micro']['f1'])} | |",
                      f"| micro precision | {_interval(ci['micro']['precision'])} | |",
                      f"| micro recall | {_interval(ci['micro']['recall'])} | |",
                      f"| **macro** | {_interval(ci['macro']['f1'])} | |"]
            lines += [f"| {k} | {_interval(v)} | {v['support']} |" for k, v in ci["per_type"].items()]
            lines += ["", "SemEval-2013 task 9.1 schemes (nervaluate):", "", semeval.markdown(a["semeval"]).rstrip(), "",
                      "Error categories (spans decoded from the word tags):", "",
                      "| category | count |", "|---|---:|"]
            lines += [f"| {k} | {v} |" for k, v in a["errors"].items()]
            if "novelty" in a:
                lines += ["", "Recall on gold spans whose text is (seen) or is not (unseen) a span text of the training split:", "",
                          novelty.markdown(a["novelty"]).rstrip()]
            elif "novelty_not_computed" in a:
                lines += ["", f"Recall on spans seen and unseen in training: not computed ({a['novelty_not_computed']})."]
            lines += ["", f"![confusion](confusion_{split}_{task}.png) ![per-type F1](f1_{split}_{task}.png)", ""]
    lines += ["## Training curves", "", "![curves](curves.png)", ""]
    return "\n".join(lines)


def write_report(run_dir: str | Path, output_dir: str | Path | None = None, splits=None, n_samples: int = 1000, seed: int = 0,
                 confidence: float = 0.95, unit: str = "document", mode: str = "default", plots: bool = True) -> dict:
    """Analyse the run's predictions (predictions/SPLIT.tags.jsonl) and write OUTPUT_DIR (default
    RUN_DIR/report): report.json, report.md (with recall on seen and unseen spans when the run's
    training split can be read; otherwise a warning says why not) and, with `plots`, confusion_SPLIT_TASK.png,
    f1_SPLIT_TASK.png and curves.png. Returns the analysis {split: {task: {...}}}."""
    run_dir = Path(run_dir)
    output_dir = Path(output_dir) if output_dir is not None else run_dir / "report"
    splits = list(splits) if splits else available_splits(run_dir)
    if not splits:
        raise FileNotFoundError(f"{run_dir}: no predictions/*.tags.jsonl to analyse")
    seen, why_not = training_span_texts(run_dir)
    if why_not:
        log.warning("%s: no recall on seen and unseen spans: %s", run_dir, why_not)
    analysis = {split: analyse_split(run_dir, split, n_samples, seed, confidence, unit, mode, seen) for split in splits}
    output_dir.mkdir(parents=True, exist_ok=True)
    if plots:
        from arabic_ie.analysis import plots as plotting

        for split, tasks in analysis.items():
            for task, a in tasks.items():
                plotting.plot_confusion(a["confusion"]["labels"], a["confusion"]["matrix"], output_dir / f"confusion_{split}_{task}.png",
                                        f"{split} / {task}: gold vs predicted type")
                plotting.plot_per_type_f1(a["bootstrap"], output_dir / f"f1_{split}_{task}.png",
                                          f"{split} / {task}: F1 per type, {confidence:.0%} bootstrap intervals")
        plotting.plot_curves(log_history(run_dir), output_dir / "curves.png", f"{run_dir.parent.name}/{run_dir.name}: training curves")
    (output_dir / "report.json").write_text(json.dumps(analysis, indent=2, ensure_ascii=False), encoding="utf-8")
    (output_dir / "report.md").write_text(markdown(run_dir, analysis, mode, unit, why_not), encoding="utf-8")
    return analysis
