"""The `events` task in a run: the argument spec from the corpus, the dev score the Trainer selects
on, and the evaluation of the argument head on gold and on predicted entities and triggers,
plus DATE value accuracy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from arabic_ie.data.dates import date_accuracy, document_dates
from arabic_ie.data.documents import ROLES, event_to_dict
from arabic_ie.data.pairs import ArgumentSpec, decode_events
from arabic_ie.evaluate.arguments import ARG_TASKS, argument_scores
from arabic_ie.model.batching import TorchRunner, predict_pairs

EVENTS = "events"
# the keys of SPLIT.events.jsonl records: gold events are "gold"
RECORD_KEYS = {"gold": "gold_input", "e2e": "e2e"}


def argument_spec(corpus) -> ArgumentSpec:
    """Roles of annotation.conf (or seen in train), in ROLES order; types of the span tasks."""
    declared = {role for per_type in corpus.roles.values() for role in per_type}
    roles = tuple(r for r in ROLES if r in declared) + tuple(sorted(declared - set(ROLES)))
    types = {task: corpus.types.get(task) or sorted({s.label for d in corpus.splits["train"] for s in d.spans(task)})
             for task in ("ner", "triggers")}
    allowed = {t: {r: sorted(f) for r, f in v.items()} for t, v in corpus.roles.items()}
    return ArgumentSpec(roles, tuple(types["ner"]), tuple(types["triggers"]), allowed)


def dev_pair_f1(logits, labels) -> float:
    """Micro F1 of the roles of gold candidate pairs (none excluded), from Trainer arrays
    (padded with -100 labels); the Trainer's model selection uses it beside the span F1s."""
    logits, labels = np.asarray(logits), np.asarray(labels)
    rows = min(logits.shape[1], labels.shape[1])
    predicted, gold = logits[:, :rows].argmax(-1), labels[:, :rows]
    valid = gold != -100
    tp = int(((predicted == gold) & (gold > 0) & valid).sum())
    n_pred, n_gold = int(((predicted > 0) & valid).sum()), int(((gold > 0) & valid).sum())
    return 2 * tp / (n_pred + n_gold) if n_pred + n_gold else 0.0


def predict_events(model, featurizer, corpus, pad_token_id: int, batch_size: int) -> list[list]:
    """Events per document from the candidate pairs the corpus windows carry now."""
    runner = TorchRunner(model, model.tasks)
    logits = predict_pairs(runner, corpus.windows, pad_token_id, batch_size, featurizer.max_length)
    return decode_events([w.pair_keys for w in corpus.windows], logits, featurizer.arguments.labels,
                         [w.document for w in corpus.windows], len(corpus.documents))


def evaluate_events(model, featurizer, corpus, spans: dict, pad_token_id: int, batch_size: int) -> tuple[dict, dict]:
    """(metrics, predictions): the argument head on gold entities and triggers (the pairs `encode`
    made), then on the predicted ones when the model tags both; DATE value accuracy on gold spans."""
    documents = corpus.documents
    gold = [d.events for d in documents]
    roles = featurizer.arguments.roles
    predicted = {"gold": predict_events(model, featurizer, corpus, pad_token_id, batch_size)}
    metrics = {ARG_TASKS["gold"]: argument_scores(gold, predicted["gold"], roles)}
    if "ner" in spans and "triggers" in spans:
        featurizer.add_pairs(corpus.windows, documents, corpus.words, spans["ner"], spans["triggers"])
        predicted["e2e"] = predict_events(model, featurizer, corpus, pad_token_id, batch_size)
        metrics[ARG_TASKS["e2e"]] = argument_scores(gold, predicted["e2e"], roles)
        featurizer.add_pairs(corpus.windows, documents, corpus.words, [d.entities for d in documents], [d.triggers for d in documents])
    return metrics, predicted


def date_metrics(documents) -> dict:
    result = date_accuracy(documents)
    return {"accuracy": result["accuracy"], "correct": result["correct"], "total": result["total"]}


def write_event_predictions(documents, predicted: dict, folder: Path, split: str, predicted_spans: dict | None = None) -> None:
    """SPLIT.events.jsonl: per document the gold events ("gold"), the head's events on gold input
    ("gold_input") and end to end ("e2e"), and the DATE values of the predicted DATE spans
    ("dates"), for the bootstrap and for inspection."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{split}.events.jsonl", "w", encoding="utf-8") as out:
        for i, document in enumerate(documents):
            record = {"id": document.id, "gold": [event_to_dict(e) for e in document.events]}
            for setting, events in predicted.items():
                record[RECORD_KEYS[setting]] = [event_to_dict(e) for e in events[i]]
            if predicted_spans is not None and "ner" in predicted_spans:
                values = document_dates(document, spans=predicted_spans["ner"][i])
                record["dates"] = [{"start": s.start, "end": s.end, "value": v} for s, v in sorted(values.items())]
            out.write(json.dumps(record, ensure_ascii=False) + "\n")

