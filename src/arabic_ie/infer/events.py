"""Events in the Tagger: candidate pairs from the predicted entities and triggers, the package's
argument stage through model.batching.predict_pairs (the same path as the run's evaluation),
DATE values resolved against the article date, and the output records:

    {"type": "ATTACK", "trigger": SPAN, "arguments": [{"role": "Agent", "span": SPAN}, ...], "date": "2022-03-08" or None}

where SPAN is the same dict as in "entities"/"triggers"; "date" is the value of the event's first
Time argument. A DATE entity carries "value" (ISO 8601, or None where the text or a missing
article date does not allow one).
"""

from __future__ import annotations

from pathlib import Path

from arabic_ie.data.dates import document_dates
from arabic_ie.data.documents import Span
from arabic_ie.data.pairs import ArgumentSpec, decode_events
from arabic_ie.model.batching import TorchRunner, predict_pairs
from arabic_ie.package.manifest import PackageError


def argument_spec(manifest: dict) -> ArgumentSpec | None:
    entry = manifest.get("events")
    return ArgumentSpec.from_dict(entry["spec"]) if entry else None


def event_runner(path: Path, manifest: dict, backend: str, threads: int | None, span_module=None):
    """The runner of the argument stage for `backend` (None for a package without the head);
    the torch backends share the encoder of `span_module` (package.loading.TaskLogits)."""
    entry = manifest.get("events")
    if not entry:
        return None
    if backend.startswith("torch"):
        from arabic_ie.package.events import argument_model

        return TorchRunner(argument_model(path, entry, span_module.encoder), [], bf16=backend == "torch-bf16")
    from arabic_ie.package.events import OnnxPairsRunner

    graph = (entry.get("onnx") or {}).get("int8" if backend == "onnx-int8" else "fp32")
    if not graph:
        raise PackageError(f"{path}: this package has no ONNX graph of its argument head; export it again with export.onnx=true")
    return OnnxPairsRunner(path / graph, threads)


def predict_events(featurizer, corpus, entities, triggers, runner, pad_token_id: int, batch_size: int, max_length: int):
    """Events per document of `corpus` (EncodedCorpus) from predicted entity and trigger Spans."""
    featurizer.add_pairs(corpus.windows, corpus.documents, corpus.words, entities, triggers)
    logits = predict_pairs(runner, corpus.windows, pad_token_id, batch_size, max_length)
    return decode_events([w.pair_keys for w in corpus.windows], logits, featurizer.arguments.labels,
                         [w.document for w in corpus.windows], len(corpus.documents))


def spans_of(records: list[dict]) -> list[Span]:
    return [Span(r["start"], r["end"], r["label"]) for r in records]


def add_date_values(document, entity_records: list[dict], date: str | None) -> dict:
    """Set "value" on the DATE entity records; returns {Span: value}."""
    values = document_dates(document, date, spans_of(entity_records))
    for record in entity_records:
        if record["label"] == "DATE":
            record["value"] = values.get(Span(record["start"], record["end"], record["label"]))
    return values


def event_records(events, entity_records: list[dict], trigger_records: list[dict], values: dict) -> list[dict]:
    by_span = {(r["start"], r["end"], r["label"]): r for r in entity_records + trigger_records}
    out = []
    for event in events:
        times = [a.span for a in event.arguments if a.role == "Time"]
        out.append({"type": event.type, "trigger": by_span[(event.trigger.start, event.trigger.end, event.trigger.label)],
                    "arguments": [{"role": a.role, "span": by_span[(a.span.start, a.span.end, a.span.label)]} for a in event.arguments],
                    "date": values.get(times[0]) if times else None})
    return out
