"""Open a package's model and tokenizer: safetensors weights into a module that computes every
task's logits, the Hugging Face token-classification model of one task, and the training
tokenizer. Nothing is unpickled and no code from the folder is run (`trust_remote_code` is never set)."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from arabic_ie.model.word_features import frozen_table, span_features
from arabic_ie.package.manifest import TOKENIZER_CONFIG, TOKENIZER_FILE, WEIGHTS_FILE, PackageError, read_manifest
from arabic_ie.package.manifest import verify as verify_package


class TaskLogits(nn.Module):
    """Encoder + one linear head per task: forward(input_ids, attention_mask) -> logits per task.
    With word vectors (manifest "word_vectors"), forward also takes `word_rows` and the heads read
    [hidden state; the word's vector], as in training (model/multitask.py)."""

    def __init__(self, encoder: nn.Module, heads: dict[str, nn.Module], word_vectors: nn.Embedding | None = None):
        super().__init__()
        self.encoder = encoder
        self.tasks = list(heads)
        self.heads = nn.ModuleList(heads.values())
        self.word_vectors = word_vectors

    def forward(self, input_ids, attention_mask, word_rows=None):
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        features = span_features(hidden, self.word_vectors, word_rows)
        return tuple(head(features) for head in self.heads)


def _token_classification(folder: Path):
    """The package's Hugging Face token-classification model (safetensors only, no remote code)."""
    from transformers import AutoModelForTokenClassification
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model, info = AutoModelForTokenClassification.from_pretrained(
            folder, local_files_only=True, use_safetensors=True, trust_remote_code=False, dtype=torch.float32,
            output_loading_info=True)
    finally:
        if bars:
            hf_logging.enable_progress_bar()
    problems = {k: v for k, v in info.items() if k in ("missing_keys", "unexpected_keys", "mismatched_keys") and v}
    if problems:
        raise PackageError(f"{folder / WEIGHTS_FILE}: weights do not match config.json: {problems}")
    return model.eval()


def word_vectors(folder: str | Path, manifest: dict):
    """The package's static word vectors (data.vectors.WordVectors), or None; the word list must be
    the one the heads were trained with (fingerprint in the manifest)."""
    from arabic_ie.data.vectors import VectorsError, WordVectors

    entry = manifest.get("word_vectors")
    if not entry:
        return None
    folder = Path(folder)
    try:
        vectors = WordVectors.load(folder / entry["folder"])
    except VectorsError as err:
        raise PackageError(str(err)) from None
    if vectors.fingerprint() != entry.get("fingerprint") or vectors.dim != entry.get("dim"):
        raise PackageError(f"{folder / entry['folder']}: word vectors differ from the ones the manifest names "
                           f"(fingerprint {vectors.fingerprint()}, dim {vectors.dim})")
    return vectors


def _head(folder: Path, spec: dict, labels: list[str], hidden: int) -> nn.Linear:
    from safetensors.torch import load_file

    tensors = load_file(str(folder / spec["file"]))
    weight, bias = tensors.get(spec["weight"]), tensors.get(spec["bias"])
    if weight is None or bias is None or tuple(weight.shape) != (len(labels), hidden):
        raise PackageError(f"{folder / spec['file']}: no {spec['weight']} of shape ({len(labels)}, {hidden})")
    head = nn.Linear(hidden, len(labels))
    head.load_state_dict({"weight": weight, "bias": bias})
    return head


_UNREAD = object()


def load_torch_model(folder: str | Path, manifest: dict, vectors=_UNREAD) -> TaskLogits:
    """The package's model as one module computing every task's logits (fp32, eval mode).
    `vectors`: the package's word vectors when the caller has already read them (`word_vectors`)."""
    folder = Path(folder)
    model = _token_classification(folder)
    if vectors is _UNREAD:
        vectors = word_vectors(folder, manifest)
    embedding = frozen_table(vectors)
    hidden = model.config.hidden_size + (vectors.dim if vectors else 0)
    heads = {}
    for task in manifest["tasks"]:
        spec = manifest["weights"]["heads"][task]
        labels = manifest["label_schemes"][task]["labels"]
        if spec["file"] == WEIGHTS_FILE:
            if model.classifier.out_features != len(labels):
                raise PackageError(f"{folder / 'config.json'}: {model.classifier.out_features} labels, the manifest has {len(labels)} for {task}")
            heads[task] = model.classifier
        else:
            heads[task] = _head(folder, spec, labels, hidden)
    return TaskLogits(model.base_model, heads, embedding).eval()


def hf_model(path: str | Path, task: str | None = None, verify: bool = True):
    """A Hugging Face token-classification model for one task of a package: the package's encoder
    with that task's head and labels (config.id2label). The first task's is exactly what
    `AutoModelForTokenClassification.from_pretrained(path)` gives; the others' heads come from
    heads.safetensors. Use with `pipeline("token-classification", model=hf_model(path, "triggers"),
    tokenizer=path)`."""
    folder = Path(path)
    manifest = verify_package(folder) if verify else read_manifest(folder)
    if manifest.get("word_vectors"):
        raise PackageError(f"{folder}: this package's heads also read static word vectors, which a Hugging Face "
                           "token-classification model cannot hold: use arabic_ie.load(path)")
    task = task or manifest["tasks"][0]
    if task not in manifest["tasks"]:
        raise ValueError(f"{folder}: no {task!r} head; the package has {manifest['tasks']}")
    model = _token_classification(folder)
    spec = manifest["weights"]["heads"][task]
    if spec["file"] != WEIGHTS_FILE:
        labels = manifest["label_schemes"][task]["labels"]
        model.classifier = _head(folder, spec, labels, model.config.hidden_size)
        model.num_labels = len(labels)
        model.config.id2label = dict(enumerate(labels))
        model.config.label2id = {label: i for i, label in enumerate(labels)}
    return model.eval()


def load_tokenizer(folder: str | Path, manifest: dict):
    """The training tokenizer: tokenizer.json with the normalizer it had in training (the package's
    tokenizer.json also applies the Arabic normalisation, for Hugging Face tools given raw text;
    our Featurizer normalises each word itself). A PreTrainedTokenizerFast, no class lookup."""
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    folder = Path(folder)
    config = json.loads((folder / TOKENIZER_CONFIG).read_text(encoding="utf-8"))
    data = json.loads((folder / TOKENIZER_FILE).read_text(encoding="utf-8"))
    if "training_normalizer" in manifest["tokenizer"]:
        data["normalizer"] = manifest["tokenizer"]["training_normalizer"]
    backend = Tokenizer.from_str(json.dumps(data))
    special = {}
    for key in ("pad_token", "unk_token", "cls_token", "sep_token", "mask_token"):
        value = manifest["tokenizer"].get("special_tokens", {}).get(key, config.get(key))
        if isinstance(value, dict):
            value = value.get("content")
        if value is not None:
            special[key] = value
    # the Featurizer cuts windows itself: no length limit here (and no warning on long documents)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, model_max_length=int(1e30), **special)
    if tokenizer.unk_token_id is None or tokenizer.pad_token_id is None:
        raise PackageError(f"{folder / TOKENIZER_CONFIG}: the tokenizer needs an unknown and a padding token")
    return tokenizer
