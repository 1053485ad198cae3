"""Score an exported package on raw annotated documents, three ways side by side:

- `char`: character-exact span F1 (start, end and label equal to the gold span's) — what users see;
- `word`: word-level span F1 (a span counts when it covers the same words as a gold span);
- `seqeval`: seqeval on word tags (strict IOB2 and default modes), as the training run reports.

The word tags of gold spans whose boundary falls inside a word are widened to whole words, so such
a span can be right in `word` and `seqeval` and still wrong in `char`; that is the documented
difference between the training run's scores and the character-exact ones.
Schema: {SPLIT: {TASK: {"char": SCORES, "word": SCORES, "seqeval": {"strict": ..., "default": ...}}}}
with SCORES as in span_metrics and seqeval's as in metrics; a package with the argument head adds
"arguments (end to end)" (evaluate.arguments, on the package's events) and every split with
annotated DATE values "dates" (accuracy of the values on the package's DATE entities that match a
gold span exactly).
"""

from __future__ import annotations

import json
from pathlib import Path

from arabic_ie.data.context import split_sentences
from arabic_ie.data.corpus import load_corpus, warn_unknown_types
from arabic_ie.data.labels import spans_to_tags
from arabic_ie.data.documents import Span
from arabic_ie.evaluate.arguments import ARG_TASKS, argument_scores
from arabic_ie.evaluate.metrics import span_scores
from arabic_ie.evaluate.span_metrics import char_spans, exact_scores, word_spans
from arabic_ie.infer.files import record


def score_predictions(documents, predictions, schemes, sentences: bool = False) -> dict:
    """Scores per task of `predictions` (Tagger.predict_documents) against the gold `documents`;
    `sentences` (data.join_sentences): seqeval on the sentences of joined documents, as training."""
    scores = {}
    for task, scheme in schemes.items():
        gold_char = [char_spans(d.spans(task)) for d in documents]
        pred_char = [char_spans(p.spans[task]) for p in predictions]
        gold_word = [word_spans(g, p.words) for g, p in zip(gold_char, predictions)]
        pred_word = [word_spans(s, p.words) for s, p in zip(pred_char, predictions)]
        gold_tags = [spans_to_tags(d.spans(task), p.words)[0] for d, p in zip(documents, predictions)]
        pred_tags = [p.tags[task] for p in predictions]
        if sentences:
            words = [p.words for p in predictions]
            gold_tags, pred_tags = (split_sentences(documents, words, tags) for tags in (gold_tags, pred_tags))
        scores[task] = {
            "char": exact_scores(gold_char, pred_char, scheme.types),
            "word": exact_scores(gold_word, pred_word, scheme.types),
            "seqeval": span_scores(gold_tags, pred_tags, scheme.types),
        }
    return scores


def evaluate_package(package: str | Path, data_cfg, splits=("dev", "test"), batch_size: int = 32,
                     backend: str = "torch", output_dir: str | Path | None = None, tagger=None) -> dict:
    """Tag the raw documents of each split with the package and score them; with `output_dir`,
    write metrics.json, metrics.md and predictions/SPLIT.jsonl there."""
    from arabic_ie.infer.tagger import load

    tagger = tagger or load(package, backend=backend)
    corpus = load_corpus(data_cfg, splits=[s for s in splits if data_cfg.get(s)])
    warn_unknown_types(corpus, tagger.schemes, "package's")
    metrics = {}
    for split, documents in corpus.splits.items():
        predictions = tagger.predict_documents(documents, batch_size)
        metrics[split] = score_predictions(documents, predictions, tagger.schemes, bool(data_cfg.get("join_sentences")))
        if tagger.event_runner is not None:
            metrics[split][ARG_TASKS["e2e"]] = argument_scores([d.events for d in documents], [p.event_objects for p in predictions],
                                                               tagger.featurizer.arguments.roles)
        if any(d.values for d in documents):
            metrics[split]["dates"] = date_scores(documents, predictions)
        if output_dir is not None:
            folder = Path(output_dir) / "predictions"
            folder.mkdir(parents=True, exist_ok=True)
            with open(folder / f"{split}.jsonl", "w", encoding="utf-8") as out:
                for document, prediction in zip(documents, predictions):
                    out.write(json.dumps(record(document, prediction.to_dict()), ensure_ascii=False) + "\n")
    if output_dir is not None:
        output_dir = Path(output_dir)
        (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
        (output_dir / "metrics.md").write_text(markdown_table(metrics), encoding="utf-8")
    return metrics


def date_scores(documents, predictions) -> dict:
    """Accuracy of the package's DATE values over the annotated ones (a gold DATE span the package
    did not find exactly counts as wrong)."""
    correct = total = 0
    for document, prediction in zip(documents, predictions):
        found = {Span(r["start"], r["end"], r["label"]): r.get("value") for r in prediction.spans.get("ner", [])}
        for span, value in document.values.items():
            total += 1
            correct += found.get(span) == value
    return {"accuracy": correct / total if total else 0.0, "correct": correct, "total": total}


def markdown_table(metrics: dict) -> str:
    """Side by side per split, task and type: character-exact P/R/F1, word-level F1, seqeval F1."""
    lines = ["| split | task | type | char P | char R | char F1 | word F1 | seqeval strict F1 | seqeval default F1 | support |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for split, tasks in metrics.items():
        for task, s in tasks.items():
            if "char" not in s:
                continue
            for average in ("micro", "macro"):
                c, w = s["char"][average], s["word"][average]
                st, de = s["seqeval"]["strict"][average], s["seqeval"]["default"][average]
                support = s["char"]["micro"]["gold"] if average == "micro" else ""
                lines.append(f"| {split} | {task} | **{average}** | {c['precision']:.4f} | {c['recall']:.4f} | {c['f1']:.4f} | "
                             f"{w['f1']:.4f} | {st['f1']:.4f} | {de['f1']:.4f} | {support} |")
            for name, c in s["char"]["per_type"].items():
                w = s["word"]["per_type"].get(name, {"f1": 0.0})
                st = s["seqeval"]["strict"]["per_type"].get(name, {"f1": 0.0})
                de = s["seqeval"]["default"]["per_type"].get(name, {"f1": 0.0})
                lines.append(f"| {split} | {task} | {name} | {c['precision']:.4f} | {c['recall']:.4f} | {c['f1']:.4f} | "
                             f"{w['f1']:.4f} | {st['f1']:.4f} | {de['f1']:.4f} | {c['support']} |")
    return "\n".join(lines) + "\n"


def summary_table(metrics: dict) -> str:
    lines = ["| split | task | char F1 | word F1 | seqeval strict F1 | seqeval default F1 |", "|---|---|---:|---:|---:|---:|"]
    for split, tasks in metrics.items():
        for task, s in tasks.items():
            if "char" not in s:
                c = s.get("classification", {}).get("micro")
                lines.append(f"| {split} | {task} | Arg-C F1 {c['f1']:.4f} | | | |" if c else f"| {split} | {task} | accuracy {s['accuracy']:.4f} | | | |")
                continue
            lines.append(f"| {split} | {task} | {s['char']['micro']['f1']:.4f} | {s['word']['micro']['f1']:.4f} | "
                         f"{s['seqeval']['strict']['micro']['f1']:.4f} | {s['seqeval']['default']['micro']['f1']:.4f} |")
    return "\n".join(lines) + "\n"
