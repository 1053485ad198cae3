"""Tag raw Arabic text with an exported package: `tagger = load(path)`, `tagger(text)`.

Runtime dependencies only: torch, transformers, tokenizers, safetensors, numpy (and onnxruntime
for the ONNX backends), plus arabic_ie's documents/arabic/labels/features/package modules. No
Hydra, OmegaConf, seqeval or training code is imported; nothing is unpickled (weights come from
safetensors, the tokenizer from tokenizer.json, everything else from JSON) and no code from the
package folder is run (`trust_remote_code` is never set). Every file is checked against the
manifest's SHA-256 before anything is read.

Output of `tagger(text)` for one document:

    {"entities": [{"start": 12, "end": 17, "label": "LOC", "text": "درعا", "score": 0.9731}, ...],
     "triggers": [...]}

Offsets index the text as given (`text[start:end] == span["text"]`); a task the package was not
trained for gives an empty list. `score` is the mean over the span's words of the softmax
probability of the predicted tag at each word's first subword, rounded to 4 decimals.

How the numbers are made: the text is cut into words with offsets (proclitics split as in
training), each word normalised and tokenised on its own, long documents cut into the same
overlapping windows as in training (`Featurizer`); windows of all documents are sorted by length,
each padded to the next multiple of 8 of its own length, and batched only with windows of the
same padded length. A window's numbers therefore never depend on its batch mates: results are
the same whatever the batch size and the order of documents.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from arabic_ie.arabic import ArabicNormalizer, WordSegmenter
from arabic_ie.documents import TASKS, Document
from arabic_ie.features import Featurizer
from arabic_ie.labels import LabelScheme, tags_to_spans
from arabic_ie.package import (HEADS_FILE, TASK_KEYS, TOKENIZER_CONFIG, TOKENIZER_FILE, WEIGHTS_FILE, PackageError,
                               read_manifest, verify as verify_package)

BACKENDS = ("torch", "torch-bf16", "onnx", "onnx-int8")
DEFAULT_BACKEND = "torch"  # fp32: exactly the spans of the training run's evaluation
PAD_MULTIPLE = 8
DOCUMENTS_PER_CHUNK = 256  # documents featurised at a time (bounds memory on long inputs)


def load(path: str | Path, backend: str = DEFAULT_BACKEND, threads: int | None = None, verify: bool = True) -> "Tagger":
    """Load an exported package.

    backend: "torch" (default: PyTorch fp32, the same spans as the training run's evaluation),
    "torch-bf16" (PyTorch with bfloat16 autocast; needs a CPU with bf16 support to be faster),
    "onnx" (onnxruntime, fp32 graph: the same spans as "torch") or "onnx-int8" (dynamically
    quantized graph: faster, slightly different scores). threads: CPU threads for the model
    (torch.set_num_threads, which is process-wide, or onnxruntime's intra-op threads); None keeps
    torch's default and gives onnxruntime the CPUs this process may use. verify=False skips the
    SHA-256 check (the manifest is still required).
    """
    return Tagger(path, backend=backend, threads=threads, verify=verify)


@dataclass
class Prediction:
    """One document's words (offsets), word tags and per-word probabilities per task, and spans."""

    words: list[tuple[int, int]]
    tags: dict[str, list[str]]
    probabilities: dict[str, np.ndarray]
    spans: dict[str, list[dict]]

    def to_dict(self) -> dict:
        return {TASK_KEYS[task]: list(self.spans.get(task, [])) for task in TASKS}


class TaskLogits(nn.Module):
    """Encoder + one linear head per task: forward(input_ids, attention_mask) -> logits per task."""

    def __init__(self, encoder: nn.Module, heads: dict[str, nn.Module]):
        super().__init__()
        self.encoder = encoder
        self.tasks = list(heads)
        self.heads = nn.ModuleList(heads.values())

    def forward(self, input_ids, attention_mask):
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return tuple(head(hidden) for head in self.heads)


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


def _head(folder: Path, spec: dict, labels: list[str], hidden: int) -> nn.Linear:
    from safetensors.torch import load_file

    tensors = load_file(str(folder / spec["file"]))
    weight, bias = tensors.get(spec["weight"]), tensors.get(spec["bias"])
    if weight is None or bias is None or tuple(weight.shape) != (len(labels), hidden):
        raise PackageError(f"{folder / spec['file']}: no {spec['weight']} of shape ({len(labels)}, {hidden})")
    head = nn.Linear(hidden, len(labels))
    head.load_state_dict({"weight": weight, "bias": bias})
    return head


def load_torch_model(folder: str | Path, manifest: dict) -> TaskLogits:
    """The package's model as one module computing every task's logits (fp32, eval mode)."""
    folder = Path(folder)
    model = _token_classification(folder)
    hidden = model.config.hidden_size
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
    return TaskLogits(model.base_model, heads).eval()


def hf_model(path: str | Path, task: str | None = None, verify: bool = True):
    """A Hugging Face token-classification model for one task of a package: the package's encoder
    with that task's head and labels (config.id2label). The first task's is exactly what
    `AutoModelForTokenClassification.from_pretrained(path)` gives; the others' heads come from
    heads.safetensors. Use with `pipeline("token-classification", model=hf_model(path, "triggers"),
    tokenizer=path)`."""
    folder = Path(path)
    manifest = verify_package(folder) if verify else read_manifest(folder)
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


class _TorchRunner:
    def __init__(self, module: TaskLogits, bf16: bool = False):
        self.module = module
        self.bf16 = bf16

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> dict[str, np.ndarray]:
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            outputs = self.module(torch.from_numpy(input_ids), torch.from_numpy(attention_mask))
        return {task: logits.float().numpy() for task, logits in zip(self.module.tasks, outputs)}


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


class Tagger:
    """A loaded package. `tagger(text)` tags one document, `tagger.tag_batch(texts)` many."""

    def __init__(self, path: str | Path, backend: str = DEFAULT_BACKEND, threads: int | None = None, verify: bool = True):
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")
        self.path = Path(path)
        self.manifest = verify_package(self.path) if verify else read_manifest(self.path)
        self.backend = backend
        self.tasks = list(self.manifest["tasks"])
        self.schemes = {task: LabelScheme(task, tuple(self.manifest["label_schemes"][task]["types"])) for task in self.tasks}
        for task, scheme in self.schemes.items():
            if scheme.labels != self.manifest["label_schemes"][task]["labels"]:
                raise PackageError(f"{self.path / 'manifest.json'}: {task} labels are not in the IOB2 order O, B-T, I-T, ...")
        preprocessing = self.manifest["preprocessing"]
        segmenter = WordSegmenter.from_dict(json.loads((self.path / preprocessing["segmenter"]).read_text(encoding="utf-8")))
        self.tokenizer = load_tokenizer(self.path, self.manifest)
        window = self.manifest["window"]
        self.featurizer = Featurizer(self.tokenizer, segmenter, ArabicNormalizer(**preprocessing["normalizer"]),
                                     self.schemes, window["max_length"], window["stride"])
        self.max_length = int(window["max_length"])
        if backend.startswith("torch"):
            if threads:
                torch.set_num_threads(int(threads))
            self.runner = _TorchRunner(load_torch_model(self.path, self.manifest), bf16=backend == "torch-bf16")
        else:
            from arabic_ie.onnx_backend import OnnxRunner

            graphs = self.manifest.get("onnx") or {}
            graph = graphs.get("int8" if backend == "onnx-int8" else "fp32")
            if not graph:
                raise PackageError(f"{self.path}: this package has no ONNX graph; export it again with export.onnx=true")
            self.runner = OnnxRunner(self.path / graph, self.tasks, threads)

    def __repr__(self) -> str:
        return f"Tagger({str(self.path)!r}, tasks={self.tasks}, backend={self.backend!r})"

    @property
    def name(self) -> str:
        return self.manifest["name"]

    def __call__(self, text: str) -> dict:
        """Spans of one document: {"entities": [...], "triggers": [...]}."""
        return self.tag_batch([text])[0]

    def tag_batch(self, texts, batch_size: int = 32) -> list[dict]:
        """Spans of each text, in order; `batch_size` windows go through the model at a time."""
        texts = list(texts)
        for number, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"text {number} is a {type(text).__name__}, not a str")
        documents = [Document(str(number), text) for number, text in enumerate(texts)]
        return [prediction.to_dict() for prediction in self.predict_documents(documents, batch_size)]

    def words(self, text: str) -> list[tuple[int, int]]:
        """The words (character offsets) the model sees, proclitics split as in training."""
        return self.featurizer.segmenter.words(text)

    def predict_documents(self, documents, batch_size: int = 32) -> list[Prediction]:
        """Words, word tags, probabilities and spans of `Document`s (their given `words`, as from
        CoNLL files, are kept)."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        documents = list(documents)
        out: list[Prediction] = []
        for begin in range(0, len(documents), DOCUMENTS_PER_CHUNK):
            out += self._predict(documents[begin : begin + DOCUMENTS_PER_CHUNK], batch_size)
        return out

    def _batches(self, windows, batch_size: int):
        """(padded length, window indices): windows grouped by their own padded length."""
        groups: dict[int, list[int]] = {}
        for index, window in enumerate(windows):
            length = len(window.input_ids)
            padded = min(-(-length // PAD_MULTIPLE) * PAD_MULTIPLE, max(self.max_length, length))
            groups.setdefault(padded, []).append(index)
        for padded in sorted(groups):
            members = groups[padded]
            for begin in range(0, len(members), batch_size):
                yield padded, members[begin : begin + batch_size]

    def _predict(self, documents, batch_size: int) -> list[Prediction]:
        corpus = self.featurizer.encode(documents, with_labels=False)
        windows = corpus.windows
        logits = {task: [None] * len(windows) for task in self.tasks}
        best = {task: [None] * len(windows) for task in self.tasks}
        pad = self.tokenizer.pad_token_id
        for padded, members in self._batches(windows, batch_size):
            input_ids = np.full((len(members), padded), pad, dtype=np.int64)
            attention_mask = np.zeros((len(members), padded), dtype=np.int64)
            for row, index in enumerate(members):
                ids = windows[index].input_ids
                input_ids[row, : len(ids)] = ids
                attention_mask[row, : len(ids)] = 1
            outputs = self.runner(input_ids, attention_mask)
            for task in self.tasks:
                for row, index in enumerate(members):
                    window = windows[index]
                    rows = outputs[task][row, : len(window.input_ids)]
                    logits[task][index] = rows
                    owned = rows[window.positions].astype(np.float64)
                    owned = np.exp(owned - owned.max(-1, keepdims=True))
                    best[task][index] = (owned / owned.sum(-1, keepdims=True)).max(-1)
        tags = self.featurizer.decode(corpus, logits)
        predictions = []
        for number, words in enumerate(corpus.words):
            probabilities = {task: np.zeros(len(words)) for task in self.tasks}
            predictions.append(Prediction(words, {task: tags[task][number] for task in self.tasks}, probabilities, {}))
        for task in self.tasks:
            for window, values in zip(windows, best[task]):
                predictions[window.document].probabilities[task][window.words] = values
        for document, prediction in zip(documents, predictions):
            prediction.spans = {task: self._spans(document.text, prediction, task) for task in self.tasks}
        return predictions

    @staticmethod
    def _spans(text: str, prediction: Prediction, task: str) -> list[dict]:
        words = prediction.words
        first_word = {start: i for i, (start, _) in enumerate(words)}
        last_word = {end: i for i, (_, end) in enumerate(words)}
        spans = []
        for span in tags_to_spans(prediction.tags[task], words)[0]:
            first, last = first_word[span.start], last_word[span.end]
            score = float(np.mean(prediction.probabilities[task][first : last + 1]))
            spans.append({"start": span.start, "end": span.end, "label": span.label,
                          "text": text[span.start : span.end], "score": round(score, 4)})
        return spans
