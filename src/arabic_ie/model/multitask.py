"""One encoder, one token-classification head per task, losses summed with configurable weights.

The encoder is any Hugging Face encoder loaded with `AutoModel.from_pretrained` (hub id or local
folder; the shipped `models/compact-arabic-bert` is one, `model=embedded`), or a small BERT built
from scratch for offline use (`model=tiny`).

With static word vectors (`model.word_vectors`, data/vectors.py), each position's word vector
(frozen; row 0, zeros, for words outside the list) is concatenated to the encoder's hidden state
before the span heads; the argument head keeps to the encoder's states.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import AutoModel, BertConfig, BertModel

from arabic_ie.data.documents import TASKS
from arabic_ie.data.labels import LabelScheme
from arabic_ie.data.pairs import ArgumentSpec
from arabic_ie.data.vectors import WordVectors
from arabic_ie.model.arguments import ARGUMENTS_FILE, ArgumentHead
from arabic_ie.model.crf import CRF
from arabic_ie.model.viterbi import ViterbiDecoder
from arabic_ie.model.word_features import frozen_table, span_features

HEADS_FILE = "heads.safetensors"
TAGGER_FILE = "tagger.json"
CRF_FILE = "crf.safetensors"  # model.head=crf: transitions per task (model/crf.py)
WORD_VECTORS_DIR = "word_vectors"  # model.word_vectors: the frozen table and its words (data.vectors)
HEADS = ("linear", "crf")


def task_heads(head, tasks) -> dict[str, str]:
    """`model.head` per span task: one name for every task ("linear" or "crf"), or a mapping from
    task to name (e.g. {ner: crf, triggers: linear}); a task the mapping does not name is linear,
    and a name of a span task this run does not train is ignored (so one model config serves
    task=ner and task=joint). Any mapping will do (a Hydra DictConfig too); the result is plain."""
    if isinstance(head, str):
        named = {task: head for task in tasks}
    else:
        named = dict(head)
        unknown = sorted(set(named) - set(TASKS))
        if unknown:
            raise ValueError(f"model.head names {unknown}, which are not span tasks; expected keys among {list(TASKS)}")
        named = {task: named.get(task, "linear") for task in tasks}
    for task, name in named.items():
        if name not in HEADS:
            raise ValueError(f"unknown model.head {name!r} for {task}; expected one of {HEADS}")
    return named


class MultiHeadTagger(nn.Module):
    """Encoder + a linear head per span task, and optionally the argument head (task `events`);
    one forward pass serves every task (joint training)."""

    def __init__(self, encoder, schemes: dict[str, LabelScheme], dropout: float, loss_weights: dict[str, float] | None = None,
                 arguments: ArgumentSpec | None = None, head: str | dict = "linear", label_smoothing: float = 0.0,
                 word_vectors: WordVectors | None = None):
        super().__init__()
        self.head = task_heads(head, schemes)
        crf_tasks = [task for task, name in self.head.items() if name == "crf"]
        if crf_tasks and label_smoothing:
            raise ValueError("label smoothing (trainer.label_smoothing_factor) smooths the linear head's cross-entropy; "
                             f"model.head=crf is trained on the CRF's likelihood, which has none (here for {', '.join(crf_tasks)}): "
                             "set one of the two")
        self.label_smoothing = float(label_smoothing)  # of the linear heads' cross-entropy (training only)
        self.encoder = encoder
        self.schemes = dict(schemes)
        self.tasks = list(schemes)
        self.dropout = nn.Dropout(dropout)
        hidden = encoder.config.hidden_size
        self.vectors = word_vectors
        self.word_vectors = frozen_table(word_vectors)
        features = hidden + (self.word_vectors.embedding_dim if self.word_vectors is not None else 0)
        self.heads = nn.ModuleDict({task: nn.Linear(features, len(scheme)) for task, scheme in schemes.items()})
        # head crf: a linear-chain CRF over the task's word logits (loss: its NLL; decoding: Viterbi)
        self.crfs = nn.ModuleDict({task: CRF(schemes[task].labels) for task in crf_tasks})
        self.arguments = arguments
        self.argument_head = ArgumentHead(hidden, arguments, dropout) if arguments is not None else None
        weighted = self.tasks + (["events"] if arguments is not None else [])
        self.loss_weights = {task: float((loss_weights or {}).get(task, 1.0)) for task in weighted}
        self.config = encoder.config  # Trainer reads a few attributes from model.config

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, window_id=None, pairs_events=None,
                word_rows=None, **labels):
        """`labels_<task>` tensors give the loss; `window_id` only travels with the batch;
        `pairs_events` (B, P, PAIR_FIELDS) are the argument head's candidate pairs (data.pairs);
        `word_rows` (B, L) each position's row of the word vectors (a model with them needs it)."""
        kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            kwargs["token_type_ids"] = token_type_ids
        hidden = self.dropout(self.encoder(**kwargs).last_hidden_state)
        features = span_features(hidden, self.word_vectors, word_rows, self.dropout)
        outputs, loss = {}, None
        for task in self.tasks:
            logits = self.heads[task](features)
            outputs[f"logits_{task}"] = logits
            task_labels = labels.get(f"labels_{task}")
            if task_labels is not None:
                if task in self.crfs:
                    task_loss = self.crfs[task].nll(logits, task_labels)
                else:
                    task_loss = nn.functional.cross_entropy(logits.flatten(0, 1).float(), task_labels.flatten(), ignore_index=-100,
                                                            label_smoothing=self.label_smoothing)
                weighted = self.loss_weights[task] * task_loss
                loss = weighted if loss is None else loss + weighted
        if self.argument_head is not None and pairs_events is not None:
            logits = self.argument_head(hidden, pairs_events)
            outputs["logits_events"] = logits
            event_labels = labels.get("labels_events")
            if event_labels is not None and (event_labels != -100).any():
                task_loss = nn.functional.cross_entropy(logits.flatten(0, 1), event_labels.flatten(), ignore_index=-100)
                weighted = self.loss_weights["events"] * task_loss
                loss = weighted if loss is None else loss + weighted
        return {"loss": loss, **outputs} if loss is not None else outputs

    def decoders(self) -> dict:
        """Featurizer decoders per task: Viterbi under the CRF's current scores (none: argmax)."""
        return {task: ViterbiDecoder(crf.export()) for task, crf in self.crfs.items()}

    def save(self, folder: str | Path, extra: dict | None = None) -> None:
        """Encoder as a plain base model (config + safetensors), heads beside it, schemes in JSON."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(folder)
        save_file({name: t.detach().contiguous() for name, t in self.heads.state_dict().items()}, str(folder / HEADS_FILE))
        if self.crfs:
            save_file({n: t.detach().contiguous() for n, t in self.crfs.state_dict().items()}, str(folder / CRF_FILE))
        meta = {"tasks": self.tasks, "schemes": {t: s.to_dict() for t, s in self.schemes.items()},
                "loss_weights": self.loss_weights, "head": self.head, **(extra or {})}
        if self.argument_head is not None:
            save_file({n: t.detach().contiguous() for n, t in self.argument_head.state_dict().items()}, str(folder / ARGUMENTS_FILE))
            meta["arguments"] = self.arguments.to_dict()
        if self.vectors is not None:
            self.vectors.save(folder / WORD_VECTORS_DIR)
            meta["word_vectors"] = {"folder": WORD_VECTORS_DIR, "dim": self.vectors.dim, "words": len(self.vectors.words),
                                    "fingerprint": self.vectors.fingerprint()}
        (folder / TAGGER_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, folder: str | Path, dropout: float = 0.0) -> tuple["MultiHeadTagger", dict]:
        folder = Path(folder)
        meta = json.loads((folder / TAGGER_FILE).read_text(encoding="utf-8"))
        encoder = AutoModel.from_pretrained(folder, dtype=torch.float32)
        schemes = {t: LabelScheme.from_dict(d) for t, d in meta["schemes"].items()}
        arguments = ArgumentSpec.from_dict(meta["arguments"]) if meta.get("arguments") else None
        vectors = WordVectors.load(folder / meta["word_vectors"]["folder"]) if meta.get("word_vectors") else None
        model = cls(encoder, schemes, dropout, meta.get("loss_weights"), arguments, meta.get("head", "linear"),
                    word_vectors=vectors)
        model.heads.load_state_dict(load_file(str(folder / HEADS_FILE)))
        if arguments is not None:
            model.argument_head.load_state_dict(load_file(str(folder / ARGUMENTS_FILE)))
        if model.crfs:
            model.crfs.load_state_dict(load_file(str(folder / CRF_FILE)))
        return model, meta


def build_encoder(model_cfg, vocab_size: int, pad_token_id: int):
    """The encoder of a model config: pretrained (`model.pretrained`) or built from scratch."""
    if model_cfg.get("pretrained"):
        # transformers 5 keeps a checkpoint's stored dtype unless told: train in float32
        return AutoModel.from_pretrained(model_cfg.pretrained, dtype=torch.float32)
    config = BertConfig(vocab_size=vocab_size, pad_token_id=pad_token_id, **dict(model_cfg.architecture))
    return BertModel(config, add_pooling_layer=False)


def describe(model_cfg) -> str:
    if model_cfg.get("pretrained"):
        return f"{model_cfg.name} ({model_cfg.pretrained})"
    return f"{model_cfg.name} (BERT from scratch: {dict(model_cfg.architecture)})"


