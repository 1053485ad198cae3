"""Training and evaluation of a run: data -> words and windows -> MultiHeadTagger -> HF Trainer
-> span metrics. Entry points (scripts/) only compose the config and call `train` / `evaluate_run`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path

import numpy as np
import torch
from omegaconf import OmegaConf
from transformers import EarlyStoppingCallback, Trainer, TrainingArguments, set_seed
from transformers.trainer_callback import ProgressCallback
from transformers.trainer_utils import get_last_checkpoint

from arabic_ie.data.arabic import ArabicNormalizer, WordSegmenter
from arabic_ie.data.context import split_sentences
from arabic_ie.data.corpus import load_corpus, warn_unknown_types
from arabic_ie.data.documents import Document
from arabic_ie.data.features import Collator, EncodedCorpus, Featurizer
from arabic_ie.data.formats import write_jsonl
from arabic_ie.data.labels import LabelScheme
from arabic_ie.data.vectors import WordVectors
from arabic_ie.evaluate.metrics import markdown_table, span_scores, summary_table
from arabic_ie.model.batching import TorchRunner, predict_windows
from arabic_ie.model.multitask import MultiHeadTagger, build_encoder, describe
from arabic_ie.model.tokenization import load_tokenizer, train_wordpiece
from arabic_ie.train.config import training_arguments_kwargs
from arabic_ie.train.distributed import is_main_process, world_size
from arabic_ie.train.events import (EVENTS, argument_spec, date_metrics, dev_pair_f1, evaluate_events,
                                   write_event_predictions)
from arabic_ie.train.optimizer import parameter_groups_trainer
from arabic_ie.train.progress import TrainingProgress
from arabic_ie.versions import library_versions

log = logging.getLogger(__name__)
MODEL_DIR = "model"
PREDICTIONS_DIR = "predictions"
# A TensorBoard folder chosen by the user before the process started; otherwise each run logs into
# its own RUN_DIR/tensorboard (also for the runs of a Hydra multirun sweep in one process).
USER_TENSORBOARD_DIR = os.environ.get("TENSORBOARD_LOGGING_DIR")
PACKAGES = ("arabic-ie", "torch", "transformers", "tokenizers", "datasets", "accelerate", "seqeval", "hydra-core", "omegaconf", "numpy")


def build_tokenizer(model_cfg, train_docs, segmenter, normalizer, saved: Path | None):
    """A pretrained model's tokenizer, or (from scratch) a WordPiece vocabulary trained on the
    training split's words as the model will see them; reused from `saved` when resuming."""
    if model_cfg.get("pretrained"):
        return load_tokenizer(model_cfg.pretrained)
    if saved is not None and (saved / "tokenizer.json").is_file():
        return load_tokenizer(str(saved))
    words = (normalizer(d.text[s:e]) or d.text[s:e] for d in train_docs for s, e in segmenter.words(d.text, d.words))
    return train_wordpiece(words, model_cfg.vocabulary.size, model_cfg.vocabulary.min_frequency)


def load_word_vectors(model_cfg, normalizer: ArabicNormalizer, split_proclitics: bool) -> WordVectors | None:
    """`model.word_vectors` (a folder written by scripts/word_vectors.py), or None. Warns when the
    vectors' words were made otherwise than the Featurizer makes them: such words miss their rows."""
    if not model_cfg.get("word_vectors"):
        return None
    vectors = WordVectors.load(model_cfg.word_vectors)
    made = vectors.info.get("preprocessing", {})
    ours = {"normalizer": dataclasses.asdict(normalizer), "split_proclitics": split_proclitics}
    for key, value in ours.items():
        if key in made and made[key] != value:
            log.warning("word vectors %s were trained with %s=%s, this run uses %s: fewer words find their vector",
                        model_cfg.word_vectors, key, made[key], value)
    return vectors


def decode_predictions(featurizer: Featurizer, corpus: EncodedCorpus, prediction, decoders: dict | None = None) -> dict:
    """Trainer predictions (one array per task, rows in the Trainer's order) -> word tags per task.

    The last label array is `window_id` (see EncodedCorpus.examples): it restores window order.
    """
    predictions = prediction.predictions
    if not isinstance(predictions, (tuple, list)):
        predictions = (predictions,)
    window_ids = np.asarray(prediction.label_ids[-1]).reshape(-1)
    order = np.argsort(window_ids)
    if not np.array_equal(window_ids[order], np.arange(len(corpus.windows))):
        raise RuntimeError("evaluation predictions do not cover every window exactly once")
    logits = {task: [p[i] for i in order] for task, p in zip(featurizer.schemes, predictions)}
    return featurizer.decode(corpus, logits, decoders)


def score(featurizer: Featurizer, corpus: EncodedCorpus, tags: dict, sentences: bool = False) -> dict:
    """seqeval scores per task; `sentences`: on the sentences of joined documents (data.join_sentences)."""
    def cut(task_tags):
        return split_sentences(corpus.documents, corpus.words, task_tags) if sentences else task_tags
    return {task: span_scores(cut(corpus.gold_tags[task]), cut(tags[task]), featurizer.schemes[task].types) for task in tags}


def predict_logits(model: MultiHeadTagger, corpus: EncodedCorpus, pad_token_id: int, batch_size: int,
                   max_length: int | None = None) -> dict:
    """Logits per window per task through the one batching path that packages use too."""
    max_length = max_length or max(len(w.input_ids) for w in corpus.windows)
    return predict_windows(TorchRunner(model, model.tasks), corpus.windows, model.tasks, pad_token_id, batch_size, max_length)


def train(cfg, run_dir: str | Path) -> dict:
    """Train and evaluate a run in `run_dir`. Under a data-parallel launch (torchrun, accelerate
    launch) every process calls this with the same `run_dir`; only the main process writes files."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    main = is_main_process()
    set_seed(cfg.seed)
    if main:
        (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True), encoding="utf-8")
        (run_dir / "versions.json").write_text(json.dumps(library_versions(PACKAGES), indent=2), encoding="utf-8")

    corpus = load_corpus(cfg.data)
    for split, report in corpus.reports.items():
        log.info("%s: %d documents; %s", split, len(corpus.splits[split]), report.summary())
    train_docs = corpus.splits["train"]
    tasks = list(cfg.task.tasks)
    span_tasks = [task for task in tasks if task != EVENTS]
    schemes = {task: LabelScheme.from_documents(task, train_docs + corpus.splits.get("dev", []), corpus.types[task]) for task in span_tasks}
    arguments = argument_spec(corpus) if EVENTS in tasks else None
    if arguments is not None and not any(d.events for d in train_docs):
        raise ValueError(f"task 'events': the training data ({cfg.data.train}) has no event arguments (E lines)")
    for task, scheme in schemes.items():
        if not scheme.types:
            raise ValueError(f"task {task!r}: the training data ({cfg.data.train}) has no {task} annotations")
    if main:
        (run_dir / "label_schemes.json").write_text(json.dumps({t: s.to_dict() for t, s in schemes.items()}, indent=2), encoding="utf-8")

    # TrainingArguments set up the process group of a data-parallel launch (needed just below)
    os.environ["TENSORBOARD_LOGGING_DIR"] = USER_TENSORBOARD_DIR or str(run_dir / "tensorboard")
    trainer_kwargs = training_arguments_kwargs(cfg.trainer)
    if "dev" not in corpus.splits:
        log.warning("no dev split: no evaluation during training, no early stopping, the last model is kept")
        trainer_kwargs.update(eval_strategy="no", load_best_model_at_end=False)
    if not torch.cuda.is_available():
        # pinned memory needs an accelerator: on CPU torch only warns at every evaluation
        trainer_kwargs["dataloader_pin_memory"] = False
    if world_size() > 1 and not torch.cuda.is_available() and "use_cpu" not in trainer_kwargs:
        # accelerate makes CPU processes data-parallel (gloo) only when told that they run on CPU
        trainer_kwargs["use_cpu"] = True
    args = TrainingArguments(
        output_dir=str(run_dir / "checkpoints"),
        seed=cfg.seed,
        label_names=[f"labels_{t}" for t in span_tasks] + (["labels_events"] if arguments else []) + ["window_id"],
        remove_unused_columns=False,  # our windows are plain dicts fed through our own collator
        **trainer_kwargs,
    )
    if args.world_size != world_size():
        raise RuntimeError(f"{world_size()} processes were launched but the Trainer runs {args.world_size} data-parallel "
                           f"process(es) ({args.parallel_mode}): they would train separate models into one run directory")

    normalizer = ArabicNormalizer(**cfg.model.normalizer)
    segmenter = WordSegmenter.from_documents(train_docs, cfg.data.split_proclitics)
    saved_model = run_dir / MODEL_DIR
    # the main process trains (or reuses) and saves the vocabulary first; the others load that one
    with args.main_process_first(local=False, desc="tokenizer"):
        tokenizer = build_tokenizer(cfg.model, train_docs, segmenter, normalizer, run_dir / "tokenizer")
        if main:
            tokenizer.save_pretrained(run_dir / "tokenizer")
    vectors = load_word_vectors(cfg.model, normalizer, bool(cfg.data.split_proclitics))
    featurizer = Featurizer(tokenizer, segmenter, normalizer, schemes, cfg.window.max_length, cfg.window.stride, arguments,
                            vectors)
    encoded = {split: featurizer.encode(docs) for split, docs in corpus.splits.items()}
    data_report = {"read": {s: r.to_dict() for s, r in corpus.reports.items()}, "features": {split: dict(sorted(c.stats.items())) for split, c in encoded.items()}}
    if main:
        (run_dir / "data_report.json").write_text(json.dumps(data_report, indent=2, ensure_ascii=False), encoding="utf-8")
    for split, stats in data_report["features"].items():
        log.info("%s features: %s", split, stats)

    encoder = build_encoder(cfg.model, vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id)
    # the Trainer applies trainer.label_smoothing_factor only to a "labels" input; our span losses do it
    model = MultiHeadTagger(encoder, schemes, cfg.model.head_dropout, dict(cfg.task.loss_weights), arguments,
                            cfg.model.get("head", "linear"), label_smoothing=cfg.trainer.label_smoothing_factor,
                            word_vectors=vectors)
    log.info("model: %s, %.1fM parameters, tasks %s", describe(cfg.model), sum(p.numel() for p in model.parameters()) / 1e6, tasks)

    dev = encoded.get("dev")
    sentences = bool(cfg.data.get("join_sentences"))

    def compute_metrics(prediction) -> dict:
        scores = score(featurizer, dev, decode_predictions(featurizer, dev, prediction, model.decoders()), sentences)
        metrics = {f"{task}_f1": s["default"]["micro"]["f1"] for task, s in scores.items()}
        if arguments is not None:  # roles of the gold candidate pairs (the last predictions, the labels before window_id)
            outputs = prediction.predictions if isinstance(prediction.predictions, (tuple, list)) else (prediction.predictions,)
            metrics["events_f1"] = dev_pair_f1(outputs[-1], prediction.label_ids[-2])
        metrics["f1"] = float(np.mean(list(metrics.values())))
        return metrics

    callbacks = [EarlyStoppingCallback(cfg.early_stopping_patience)] if dev is not None and args.load_best_model_at_end else []
    trainer_cls = parameter_groups_trainer(Trainer, cfg.task.get("head_learning_rate") if arguments is not None else None,
                                           cfg.model.get("layer_lr_decay"))
    trainer = trainer_cls(
        model=model,
        args=args,
        train_dataset=encoded["train"].examples(),
        eval_dataset=dev.examples() if dev is not None else None,
        data_collator=Collator(tokenizer.pad_token_id),
        compute_metrics=compute_metrics if dev is not None else None,
        callbacks=callbacks,
    )
    if not args.disable_tqdm:
        trainer.remove_callback(ProgressCallback)
        trainer.add_callback(TrainingProgress())
    checkpoint = get_last_checkpoint(args.output_dir) if cfg.resume and Path(args.output_dir).is_dir() else None
    if checkpoint:
        log.info("resuming from %s", checkpoint)
    trainer.train(resume_from_checkpoint=checkpoint)
    trainer.save_state()  # checkpoints/trainer_state.json: the whole log history (main process only)

    if not trainer.is_world_process_zero():
        # the main process saves the model, evaluates and writes the metrics; the others wait for it
        trainer.accelerator.wait_for_everyone()
        return json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))

    tagger_meta = {
        "normalizer": dict(cfg.model.normalizer),
        "segmenter": segmenter.to_dict(),
        "window": dict(cfg.window),
        "model": describe(cfg.model),
        # a pretrained encoder's licence condition (model.license) carries over to the fine-tuned model
        "model_license": cfg.model.get("license"),
        "training_data": cfg.data.name,
    }
    model.save(saved_model, extra=tagger_meta)
    tokenizer.save_pretrained(saved_model)

    splits = ["dev"] + (["test"] if cfg.evaluate_test else [])
    metrics = evaluate_encoded(model, featurizer, {s: encoded[s] for s in splits if s in encoded},
                               tokenizer.pad_token_id, cfg.trainer.per_device_eval_batch_size, run_dir, sentences)
    write_metrics(metrics, run_dir)
    if args.world_size > 1:
        trainer.accelerator.wait_for_everyone()
    return metrics


def evaluate_encoded(model, featurizer, encoded: dict[str, EncodedCorpus], pad_token_id: int, batch_size: int,
                     output_dir: Path | None = None, sentences: bool = False) -> dict:
    """Scores per split (with the events head: arguments on gold input and end to end; with DATE
    values in the gold: their accuracy); with `output_dir`, also writes each split's predictions."""
    metrics = {}
    for split, corpus in encoded.items():
        tags = featurizer.decode(corpus, predict_logits(model, corpus, pad_token_id, batch_size, featurizer.max_length),
                                 model.decoders()) if model.tasks else {}
        metrics[split] = score(featurizer, corpus, tags, sentences)
        events = None
        if model.argument_head is not None:
            argument_metrics, events = evaluate_events(model, featurizer, corpus, featurizer.spans(corpus, tags), pad_token_id, batch_size)
            metrics[split].update(argument_metrics)
        if any(d.values for d in corpus.documents):
            metrics[split]["dates"] = date_metrics(corpus.documents)
        if output_dir is not None:
            write_predictions(featurizer, corpus, tags, Path(output_dir) / PREDICTIONS_DIR, split, events)
    return metrics


def write_predictions(featurizer: Featurizer, corpus: EncodedCorpus, tags: dict, folder: Path, split: str, events: dict | None = None) -> None:
    """SPLIT.jsonl: predicted spans (and end-to-end events) as JSONL documents (readable by the
    JSONL reader); SPLIT.tags.jsonl: per document, the words and the gold and predicted IOB2 tags
    per task; with events, SPLIT.events.jsonl (train.events.write_event_predictions)."""
    folder.mkdir(parents=True, exist_ok=True)
    spans = featurizer.spans(corpus, tags)
    predicted = [Document(d.id, d.text, spans.get("ner", [[]] * len(corpus.documents))[i], spans.get("triggers", [[]] * len(corpus.documents))[i],
                          events=list((events or {}).get("e2e", [[]] * len(corpus.documents))[i]), metadata=dict(d.metadata))
                 for i, d in enumerate(corpus.documents)]
    if events is not None:
        write_event_predictions(corpus.documents, events, folder, split, spans)
    write_jsonl(predicted, folder / f"{split}.jsonl")
    with open(folder / f"{split}.tags.jsonl", "w", encoding="utf-8") as out:
        for i, document in enumerate(corpus.documents):
            record = {"id": document.id, "words": corpus.words[i],
                      "gold": {t: corpus.gold_tags[t][i] for t in tags}, "predicted": {t: tags[t][i] for t in tags}}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_metrics(metrics: dict, run_dir: Path, name: str = "metrics") -> None:
    (run_dir / f"{name}.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    (run_dir / f"{name}.md").write_text(markdown_table(metrics), encoding="utf-8")
    print("\nSpan-level scores (seqeval, micro average unless marked):\n" + summary_table(metrics))
    print(f"Full per-type table: {run_dir / (name + '.md')}")


def load_trained(run_dir: str | Path):
    """The model, tokenizer and featurizer saved by `train` in RUN_DIR/model."""
    folder = Path(run_dir) / MODEL_DIR
    if not (folder / "tagger.json").is_file():
        raise FileNotFoundError(f"{folder}: no trained model here (expected tagger.json written at the end of training)")
    model, meta = MultiHeadTagger.load(folder)
    tokenizer = load_tokenizer(str(folder))
    featurizer = Featurizer(tokenizer, WordSegmenter.from_dict(meta["segmenter"]), ArabicNormalizer(**meta["normalizer"]),
                            model.schemes, meta["window"]["max_length"], meta["window"]["stride"], model.arguments,
                            model.vectors)
    return model, tokenizer, featurizer


def evaluate_run(run_dir: str | Path, data_cfg, splits=("dev", "test"), batch_size: int = 64, output_dir: str | Path | None = None) -> dict:
    """Score a trained run on the splits of any data config; writes metrics.json/.md to `output_dir`."""
    model, tokenizer, featurizer = load_trained(run_dir)
    corpus = load_corpus(data_cfg, splits=[s for s in splits if data_cfg.get(s)])
    warn_unknown_types(corpus, model.schemes, "model's")
    encoded = {split: featurizer.encode(docs) for split, docs in corpus.splits.items()}
    output_dir = Path(output_dir or run_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    metrics = evaluate_encoded(model, featurizer, encoded, tokenizer.pad_token_id, batch_size, output_dir,
                               bool(data_cfg.get("join_sentences")))
    write_metrics(metrics, output_dir)
    return metrics
