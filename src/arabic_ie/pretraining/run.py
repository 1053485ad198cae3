"""A pretraining run: corpus -> tokenizer -> packed cache -> HF Trainer -> RUN_DIR/model.

The HF `Trainer` runs the loop (warm-up and decay, AdamW, gradient clipping, checkpoints every
`save_steps`, resume from the last checkpoint of the run directory with optimizer, scheduler and
RNG states, progress bar, TensorBoard). Two things are ours, in `MaskedLMTrainer`:

- `compute_loss` scores the MLM head at the masked positions only (`model.masked_lm_loss`), under
  `accelerator.autocast()` so that `trainer.bf16=true` is bf16 autocast on a CPU too (the head and
  encoder are called directly, not through the model's forward that accelerate wraps).
- `log` adds the training throughput (`tokens_per_second`, packed tokens incl. [CLS]/[SEP]) and the
  held-out perplexity to the logs.

The model stays a plain `BertForMaskedLM`, so checkpoints and the final folder are standard
`save_pretrained` folders. The masked-only path calls the encoder and head directly, which a
DistributedDataParallel wrapper would not see; under a data-parallel launch the loss is therefore
computed through the model's forward on every position (`mlm_head: full`), with a warning.

RUN_DIR holds: config.yaml, versions.json, tokenizer/, data_report.json (corpus reading and
packing counts, cache folder), checkpoints/, tensorboard/, model/ (weights, tokenizer, README.md
model card, pretraining.json) and pretrain.log.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import time
from pathlib import Path

import torch
from omegaconf import OmegaConf
from transformers import Trainer, TrainerCallback, TrainingArguments, set_seed
from transformers.trainer_utils import get_last_checkpoint

from arabic_ie.data.arabic import ArabicNormalizer
from arabic_ie.model.tokenization import load_tokenizer
from arabic_ie.pretraining.preprocess import Preprocessor
from arabic_ie.pretraining.masking import BlockDataset, FixedMasks, MaskingCollator, MaskingConfig
from arabic_ie.pretraining.model import build_mlm_model, masked_lm_loss, mlm_head, sinusoidal_positions_
from arabic_ie.pretraining.packing import CorpusSpec, open_packed, pack_corpus, scratch_tokenizer, tokenizer_fingerprint
from arabic_ie.train.config import training_arguments_kwargs
from arabic_ie.train.distributed import is_main_process, world_size

log = logging.getLogger(__name__)
# recorded in RUN_DIR/versions.json; pretraining needs neither datasets nor seqeval (a GPU host may lack them)
PACKAGES = ("arabic-ie", "torch", "transformers", "tokenizers", "accelerate", "hydra-core", "omegaconf", "numpy")
MODEL_DIR = "model"
TOKENIZER_DIR = "tokenizer"
MLM_HEADS = ("masked_only", "full")
OPTIMISATION_FIELDS = ("learning_rate", "lr_scheduler_type", "warmup_steps", "max_steps", "per_device_train_batch_size",
                       "gradient_accumulation_steps", "weight_decay", "adam_beta2", "max_grad_norm", "seed")
ARCHITECTURE_FIELDS = ("model_type", "num_hidden_layers", "hidden_size", "num_attention_heads", "intermediate_size",
                       "vocab_size", "max_position_embeddings")


class MaskedLMTrainer(Trainer):
    """HF Trainer whose loss scores only the masked positions (see the module docstring)."""

    def __init__(self, *args, masked_only: bool = True, tokens_per_step: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.masked_only = masked_only
        self.tokens_per_step = tokens_per_step
        self._last_log: tuple[float, int] | None = None

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        labels = inputs["labels"]
        with self.accelerator.autocast():
            if self.masked_only:
                target = self.accelerator.unwrap_model(model)
            else:
                target = model
            if num_items_in_batch is not None:
                loss = masked_lm_loss(target, inputs["input_ids"], labels, inputs.get("attention_mask"), "sum",
                                      self.masked_only) / num_items_in_batch
                if self.args.average_tokens_across_devices and self.accelerator.num_processes > 1:
                    loss = loss * self.accelerator.num_processes  # as Trainer.compute_loss does
            else:
                loss = masked_lm_loss(target, inputs["input_ids"], labels, inputs.get("attention_mask"), "mean",
                                      self.masked_only)
        return (loss, {"loss": loss}) if return_outputs else loss

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        now, step = time.perf_counter(), self.state.global_step
        if "loss" in logs and self.tokens_per_step:
            if self._last_log is not None and step > self._last_log[1]:
                logs["tokens_per_second"] = round((step - self._last_log[1]) * self.tokens_per_step / (now - self._last_log[0]))
            self._last_log = (now, step)
        elif self._last_log is None:
            self._last_log = (now, step)
        if "eval_loss" in logs:
            logs["eval_perplexity"] = round(math.exp(min(logs["eval_loss"], 50.0)), 2)
            self._last_log = (now, step)  # throughput counts training time only
        super().log(logs, start_time)


class TimeLimit(TrainerCallback):
    """Stop (and save a checkpoint) once this process has trained for `minutes`; a safety net for a
    run sized in steps from measured throughput on shared machines. Counted per session."""

    def __init__(self, minutes: float):
        self.seconds = minutes * 60
        self.started = None

    def on_train_begin(self, args, state, control, **kwargs):
        self.started = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        if self.started is not None and time.perf_counter() - self.started > self.seconds:
            log.warning("time limit of %.0f minutes reached at step %d: stopping", self.seconds / 60, state.global_step)
            control.should_training_stop = True
            control.should_save = True
        return control


def build_tokenizer(cfg, spec: CorpusSpec, preprocess: Preprocessor, run_dir: Path):
    """The run's tokenizer: the one saved in the run directory (resuming), the checkpoint's own
    (`init_from`), or a WordPiece vocabulary trained on the corpus (cached). -> (tokenizer, source)."""
    saved = run_dir / TOKENIZER_DIR
    if (saved / "tokenizer.json").is_file():
        return load_tokenizer(str(saved)), f"run directory ({saved})"
    if cfg.init_from:
        return load_tokenizer(cfg.init_from), f"the tokenizer of {cfg.init_from}"
    v = cfg.vocabulary
    tokenizer, reused = scratch_tokenizer(spec, preprocess, v.size, v.min_frequency, v.training_words, cfg.cache_dir)
    return tokenizer, (f"WordPiece trained on the first {v.training_words:,} words of the training part"
                       + (" (cached)" if reused else ""))


def pretrain(cfg, run_dir: str | Path) -> dict:
    """Pretrain per `cfg` (configs/pretrain.yaml) in `run_dir`; returns a summary (also written to
    RUN_DIR/model/pretraining.json)."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    main = is_main_process()
    set_seed(cfg.seed)
    if cfg.get("torch_threads"):
        torch.set_num_threads(int(cfg.torch_threads))
    if cfg.mlm_head not in MLM_HEADS:
        raise ValueError(f"mlm_head must be one of {MLM_HEADS}, not {cfg.mlm_head!r}")
    if main:
        from arabic_ie.versions import library_versions

        (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True), encoding="utf-8")
        (run_dir / "versions.json").write_text(json.dumps(library_versions(PACKAGES), indent=2), encoding="utf-8")

    os.environ.setdefault("TENSORBOARD_LOGGING_DIR", str(run_dir / "tensorboard"))
    trainer_kwargs = training_arguments_kwargs(cfg.trainer)
    if cfg.heldout.every <= 0:
        log.warning("heldout.every=%s: no held-out documents, no held-out loss", cfg.heldout.every)
        trainer_kwargs.update(eval_strategy="no", load_best_model_at_end=False)
    if trainer_kwargs.get("bf16") and not torch.cuda.is_available():
        trainer_kwargs.setdefault("use_cpu", True)  # TrainingArguments refuses bf16 on a CPU unless told it is one
    args = TrainingArguments(output_dir=str(run_dir / "checkpoints"), seed=cfg.seed, label_names=["labels"],
                             remove_unused_columns=False, prediction_loss_only=True, **trainer_kwargs)

    preprocess = Preprocessor(ArabicNormalizer(**cfg.normalizer), bool(cfg.get("split_proclitics", False)))
    c = cfg.corpus
    spec = CorpusSpec(path=str(c.path), text_field=c.text_field, txt_unit=c.txt_unit, heldout_every=cfg.heldout.every,
                      max_documents=c.get("max_documents"))
    with args.main_process_first(local=False, desc="tokenizer and packed corpus"):
        if cfg.get("packed_dir"):
            tokenizer, packed = open_packed(cfg.packed_dir)
            tokenizer_source = f"{packed.meta.get('tokenizer_source') or 'the tokenizer'} (packed corpus {cfg.packed_dir})"
            if cfg.init_from and tokenizer_fingerprint(load_tokenizer(cfg.init_from)) != tokenizer_fingerprint(tokenizer):
                raise ValueError(f"packed_dir={cfg.packed_dir} was tokenized with another tokenizer than "
                                 f"init_from={cfg.init_from}'s: its ids would not match that model's embeddings")
        else:
            tokenizer, tokenizer_source = build_tokenizer(cfg, spec, preprocess, run_dir)
            packed = pack_corpus(spec, tokenizer, preprocess, cfg.cache_dir, cfg.pack_batch_documents, cfg.show_progress,
                                 tokenizer_source)
        if main:
            tokenizer.save_pretrained(run_dir / TOKENIZER_DIR)
    log.info("tokenizer: %d subwords, %s", len(tokenizer), tokenizer_source)
    data_report = {"tokenizer": tokenizer_source, "vocab_size": len(tokenizer), "cache": str(packed.folder),
                   "cache_reused": packed.reused, **{k: packed.meta[k] for k in ("splits", "read", "seconds", "tokens_per_second")}}
    if main:
        (run_dir / "data_report.json").write_text(json.dumps(data_report, indent=2, ensure_ascii=False), encoding="utf-8")

    masking = MaskingConfig(**cfg.masking)
    special_ids = tuple(sorted(set(tokenizer.all_special_ids)))
    vocab_size = len(tokenizer)
    train_set = BlockDataset(packed.ids("train"), packed.word_starts("train"), cfg.seq_length,
                             tokenizer.cls_token_id, tokenizer.sep_token_id)
    heldout_set = None
    if cfg.heldout.every > 0 and len(packed.ids("heldout")):
        heldout_set = BlockDataset(packed.ids("heldout"), packed.word_starts("heldout"), cfg.seq_length,
                                   tokenizer.cls_token_id, tokenizer.sep_token_id, max_blocks=cfg.heldout.max_blocks,
                                   fixed_masks=FixedMasks(masking, special_ids, tokenizer.mask_token_id, vocab_size, cfg.heldout.seed))
    elif args.eval_strategy != "no":
        log.warning("the held-out part of the corpus is empty: no held-out loss")
        args = dataclasses.replace(args, eval_strategy="no", load_best_model_at_end=False)
    collator = MaskingCollator(masking, special_ids, tokenizer.mask_token_id, tokenizer.pad_token_id, vocab_size)

    model = build_mlm_model(dict(cfg.architecture), tokenizer, cfg.init_from)
    if cfg.get("position_init") == "sinusoidal":  # a resumed run then loads its checkpoint's own positions
        sinusoidal_positions_(model, cfg.position_init_scale)
        log.info("position embeddings set to a sinusoidal table (scale %s)", cfg.position_init_scale)
    if cfg.get("freeze_encoder"):
        # Continuing a shipped encoder (no MLM head): a random head's gradients would reach the encoder
        # while the loss is high, so the head (transform, output bias) is fitted first, the encoder and
        # the decoder tied to its word embeddings held fixed (docs/pretraining.md).
        for parameter in model.base_model.parameters():
            parameter.requires_grad = False
        log.info("encoder frozen: %d trainable parameters (the MLM head)",
                 sum(p.numel() for p in model.parameters() if p.requires_grad))
    masked_only = cfg.mlm_head == "masked_only"
    if masked_only and mlm_head(model) is None:
        log.warning("%s has no position-wise MLM head we know: scoring every position", type(model).__name__)
        masked_only = False
    if masked_only and world_size() > 1:
        log.warning("data-parallel launch: the masked-only MLM head bypasses DDP's forward; scoring every position")
        masked_only = False
    parameters = sum(p.numel() for p in model.parameters())
    log.info("model: %s, %.1fM parameters (%s); %d training blocks of %d tokens, %d held-out blocks",
             type(model).__name__, parameters / 1e6, f"continued from {cfg.init_from}" if cfg.init_from else "from scratch",
             len(train_set), cfg.seq_length, len(heldout_set) if heldout_set is not None else 0)

    tokens_per_step = cfg.seq_length * args.per_device_train_batch_size * args.gradient_accumulation_steps * max(args.world_size, 1)
    callbacks = [TimeLimit(cfg.time_limit_minutes)] if cfg.get("time_limit_minutes") else []
    trainer = MaskedLMTrainer(model=model, args=args, train_dataset=train_set, eval_dataset=heldout_set,
                              data_collator=collator, callbacks=callbacks, masked_only=masked_only,
                              tokens_per_step=tokens_per_step)
    checkpoint = get_last_checkpoint(args.output_dir) if cfg.resume and Path(args.output_dir).is_dir() else None
    if checkpoint:
        log.info("resuming from %s", checkpoint)
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=checkpoint)
    seconds = time.perf_counter() - started
    trainer.save_state()

    heldout = trainer.evaluate() if heldout_set is not None else {}
    summary = {
        "model": type(model).__name__, "parameters": parameters, "init_from": cfg.init_from,
        "architecture": {k: getattr(model.config, k, None) for k in ARCHITECTURE_FIELDS},
        "tokenizer": tokenizer_source, "vocab_size": vocab_size, "normalizer": dict(cfg.normalizer),
        "split_proclitics": preprocess.segmenter.split_proclitics,
        "corpus": {"name": c.name, "path": str(c.path), "license": c.get("license"), "packed_dir": cfg.get("packed_dir")},
        "documents": {s: packed.meta["splits"][s]["documents"] for s in ("train", "heldout")},
        "tokens": {s: packed.meta["splits"][s]["tokens"] for s in ("train", "heldout")},
        "seq_length": cfg.seq_length, "masking": dict(cfg.masking), "mlm_head": "masked_only" if masked_only else "full",
        "freeze_encoder": bool(cfg.get("freeze_encoder")),
        "bf16": bool(args.bf16), "device": device_name(),
        "optimisation": optimisation(args),
        "steps": trainer.state.global_step, "tokens_seen": trainer.state.global_step * tokens_per_step,
        "train_loss": result.training_loss, "heldout_loss": heldout.get("eval_loss"),
        "heldout_blocks": len(heldout_set) if heldout_set is not None else 0,
        "seconds_this_session": round(seconds, 1), "resumed_from": checkpoint, "cache_reused": packed.reused,
    }
    if trainer.is_world_process_zero():
        folder = run_dir / MODEL_DIR
        # save_pretrained, not trainer.save_model: that also pickles the TrainingArguments into the folder
        trainer.accelerator.unwrap_model(trainer.model).save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        (folder / "pretraining.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        write_model_card(folder, cfg, summary)
        log.info("saved %s (held-out MLM loss %s)", folder, summary["heldout_loss"])
    return summary


def optimisation(args: TrainingArguments) -> dict:
    """The optimiser settings the card and pretraining.json record (enums as their values)."""
    out = {k: getattr(getattr(args, k), "value", getattr(args, k)) for k in OPTIMISATION_FIELDS}
    return out | {"processes": max(args.world_size, 1)}


def device_name() -> str:
    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU"


def recipe_text(optimisation: dict, seq_length: int) -> str:
    """'batch 256 x 128 tokens, peak lr 0.001, linear schedule, warm-up 0.06, weight decay 0.01, seed 42'."""
    o = optimisation
    batch = o["per_device_train_batch_size"] * o["gradient_accumulation_steps"] * o.get("processes", 1)
    return (f"batch {batch} x {seq_length} tokens, peak lr {o['learning_rate']:g}, {o['lr_scheduler_type']} schedule, "
            f"warm-up {o['warmup_steps']:g}, weight decay {o['weight_decay']:g}, seed {o['seed']}")


def write_model_card(folder: Path, cfg, summary: dict) -> None:
    """README.md: what the model is, how it was trained, the corpus licence condition, how to use it."""
    corpus = cfg.corpus
    license_id = corpus.get("license_id") or "other"
    arch = summary["architecture"]
    shape = (f"{arch['num_hidden_layers']} layers, hidden size {arch['hidden_size']}, "
             f"{arch['num_attention_heads']} heads, feed-forward {arch['intermediate_size']}")
    loss = summary["heldout_loss"]
    lines = [
        "---", f"license: {license_id}", "language: ar", "library_name: transformers", "pipeline_tag: fill-mask",
        "tags: [bert, arabic, arabic-ie]", "---", "",
        f"# {cfg.name}: an Arabic BERT pretrained with arabic-ie", "",
        f"- **Model:** `{summary['model']}` ({summary['parameters'] / 1e6:.1f}M parameters), {shape}; "
        + (f"continued from `{cfg.init_from}`." if cfg.init_from else "trained from scratch."),
        f"- **Tokenizer:** {summary['tokenizer']}; {summary['vocab_size']:,} subwords.",
        f"- **Words:** `arabic_ie.data.arabic.WordSegmenter` "
        f"({'proclitics split before ال' if summary['split_proclitics'] else 'no proclitic splitting'}) with normalisation "
        f"`{json.dumps(summary['normalizer'])}`: fine-tune with the same `model.normalizer`.",
        f"- **Corpus:** {corpus.name} (`{os.path.normpath(str(corpus.path))}`): {summary['documents']['train']:,} training documents, "
        f"{summary['tokens']['train']:,} tokens; every {cfg.heldout.every}th document held out "
        f"({summary['documents']['heldout']:,} documents).",
        f"- **Pretraining:** masked LM, {summary['masking']['rate']:.0%} of tokens, "
        f"{'whole-word' if summary['masking']['whole_word'] else 'subword'} masking, blocks of {summary['seq_length']} tokens, "
        f"{summary['steps']:,} steps, {summary['tokens_seen']:,} tokens seen, {recipe_text(summary['optimisation'], summary['seq_length'])}, "
        f"bf16 autocast {'on' if summary['bf16'] else 'off'}, on {summary['device']}.",
        f"- **Held-out MLM loss:** {loss:.4f} (perplexity {math.exp(loss):.1f}) on {summary['heldout_blocks']} blocks with fixed masks."
        if loss is not None else "- **Held-out MLM loss:** not measured (no held-out part).",
        "", "## Licence and conditions of use", "",
        (corpus.get("license_note") or f"The pretraining corpus's licence is {corpus.get('license') or 'not stated in the corpus config'}; "
         "the model may inherit its conditions.").strip(),
    ]
    if cfg.init_from:
        lines += ["", f"The weights continue `{cfg.init_from}`: its licence applies as well."]
    lines += ["", "## Use", "", "```bash",
              f"python scripts/train.py model=local model.path={folder}   # fine-tune for NER / event triggers", "```",
              "", "```python", "from transformers import AutoModel, AutoModelForMaskedLM, AutoTokenizer",
              f"encoder = AutoModel.from_pretrained('{folder}')            # the encoder, for fine-tuning",
              f"mlm = AutoModelForMaskedLM.from_pretrained('{folder}')     # with its MLM head, to continue pretraining",
              "```", ""]
    (folder / "README.md").write_text("\n".join(lines), encoding="utf-8")
