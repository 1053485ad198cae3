"""Tag raw Arabic text with an exported package: `tagger = load(path)`, `tagger(text)`.

Runtime dependencies only: torch, transformers, tokenizers, safetensors, numpy (and onnxruntime
for the ONNX backends), plus arabic_ie's documents/arabic/labels/features/package modules. No
Hydra, OmegaConf, seqeval or training code is imported; nothing is unpickled (weights come from
safetensors, the tokenizer from tokenizer.json, everything else from JSON) and no code from the
package folder is run (`trust_remote_code` is never set). Every file is checked against the
manifest's SHA-256 before anything is read.

Output of `tagger(text)` for one document:

    {"entities": [{"start": 12, "end": 17, "label": "LOC", "text": "درعا", "score": 0.9731}, ...],
     "triggers": [...],
     "events": [{"type": "ATTACK", "trigger": SPAN, "arguments": [{"role": "Target", "span": SPAN}], "date": "2022-03-08"}]}

A DATE entity also has "value" (ISO 8601, or None); events (infer.events) come from packages
with the argument head (task=joint) and are [] otherwise.

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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from arabic_ie.data.arabic import ArabicNormalizer, WordSegmenter
from arabic_ie.data.dates import article_date_problem
from arabic_ie.data.documents import TASKS, Document
from arabic_ie.data.features import Featurizer
from arabic_ie.data.labels import LabelScheme, tags_to_spans
from arabic_ie.infer.events import add_date_values, argument_spec, event_records, event_runner, predict_events, spans_of
from arabic_ie.model.batching import TorchRunner, predict_windows
from arabic_ie.package.decoding import load_decoders
from arabic_ie.package.loading import load_tokenizer, word_vectors
from arabic_ie.package.manifest import TASK_KEYS, PackageError, read_manifest
from arabic_ie.package.manifest import verify as verify_package

BACKENDS = ("auto", "torch", "torch-bf16", "onnx", "onnx-int8")
# "auto": the fp32 ONNX graph where the package has one and onnxruntime is installed (the same
# spans as the training run's evaluation, about twice as fast on CPU), else PyTorch fp32
DEFAULT_BACKEND = "auto"
DOCUMENTS_PER_CHUNK = 256  # documents featurised at a time (bounds memory on long inputs)


def load(path: str | Path, backend: str = DEFAULT_BACKEND, threads: int | None = None, verify: bool = True) -> "Tagger":
    """Load an exported package.

    backend: "auto" (default: "onnx" where the package has an fp32 graph and onnxruntime is
    installed, else "torch"), "torch" (PyTorch fp32, the same spans as the training run's evaluation),
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
    events: list[dict] = field(default_factory=list)  # infer.events.event_records
    event_objects: list = field(default_factory=list)  # the same as data.documents.Event

    def to_dict(self) -> dict:
        return {**{TASK_KEYS[task]: list(self.spans.get(task, [])) for task in TASKS}, "events": list(self.events)}


def resolve_backend(manifest: dict) -> str:
    """What "auto" means for this package here: "onnx" when it has an fp32 graph and onnxruntime
    can be imported, else "torch"."""
    if (manifest.get("onnx") or {}).get("fp32"):
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            return "torch"
        return "onnx"
    return "torch"


def _max_probability(rows: np.ndarray) -> np.ndarray:
    """The softmax probability of the best label of each row (float64, as the scores are rounded)."""
    rows = rows.astype(np.float64)
    rows = np.exp(rows - rows.max(-1, keepdims=True))
    return (rows / rows.sum(-1, keepdims=True)).max(-1)


class Tagger:
    """A loaded package. `tagger(text)` tags one document, `tagger.tag_batch(texts)` many."""

    def __init__(self, path: str | Path, backend: str = DEFAULT_BACKEND, threads: int | None = None, verify: bool = True):
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")
        self.path = Path(path)
        self.manifest = verify_package(self.path) if verify else read_manifest(self.path)
        self.backend = resolve_backend(self.manifest) if backend == "auto" else backend
        backend = self.backend
        self.tasks = list(self.manifest["tasks"])
        self.schemes = {task: LabelScheme(task, tuple(self.manifest["label_schemes"][task]["types"])) for task in self.tasks}
        for task, scheme in self.schemes.items():
            if scheme.labels != self.manifest["label_schemes"][task]["labels"]:
                raise PackageError(f"{self.path / 'manifest.json'}: {task} labels are not in the IOB2 order O, B-T, I-T, ...")
        preprocessing = self.manifest["preprocessing"]
        segmenter = WordSegmenter.from_dict(json.loads((self.path / preprocessing["segmenter"]).read_text(encoding="utf-8")))
        self.tokenizer = load_tokenizer(self.path, self.manifest)
        window = self.manifest["window"]
        vectors = word_vectors(self.path, self.manifest)
        self.featurizer = Featurizer(self.tokenizer, segmenter, ArabicNormalizer(**preprocessing["normalizer"]),
                                     self.schemes, window["max_length"], window["stride"], argument_spec(self.manifest),
                                     vectors)
        self.max_length = int(window["max_length"])
        self.decoders = load_decoders(self.path, self.manifest)  # CRF packages: Viterbi; else argmax
        if backend.startswith("torch"):
            import torch

            from arabic_ie.package.loading import load_torch_model

            if threads:
                torch.set_num_threads(int(threads))
            module = load_torch_model(self.path, self.manifest, vectors)  # read once, above
            self.runner = TorchRunner(module, self.tasks, bf16=backend == "torch-bf16")
            self.event_runner = event_runner(self.path, self.manifest, backend, threads, module)
        else:
            from arabic_ie.package.onnx import OnnxRunner

            graphs = self.manifest.get("onnx") or {}
            graph = graphs.get("int8" if backend == "onnx-int8" else "fp32")
            if not graph:
                raise PackageError(f"{self.path}: this package has no ONNX graph; export it again with export.onnx=true")
            self.runner = OnnxRunner(self.path / graph, self.tasks, threads)
            self.event_runner = event_runner(self.path, self.manifest, backend, threads)

    def __repr__(self) -> str:
        return f"Tagger({str(self.path)!r}, tasks={self.tasks}, backend={self.backend!r})"

    @property
    def name(self) -> str:
        return self.manifest["name"]

    def __call__(self, text: str, date: str | None = None) -> dict:
        """Spans and events of one document: {"entities": [...], "triggers": [...], "events": [...]};
        `date` (YYYY-MM-DD, the article's date) resolves relative DATE values (الخميس، أمس)."""
        return self.tag_batch([text], dates=[date])[0]

    def tag_batch(self, texts, batch_size: int = 32, dates=None) -> list[dict]:
        """Spans and events of each text, in order; `batch_size` windows go through the model at a
        time; `dates`: one article date (or None) per text."""
        texts = list(texts)
        dates = list(dates) if dates is not None else [None] * len(texts)
        if len(dates) != len(texts):
            raise ValueError(f"{len(dates)} dates for {len(texts)} texts")
        for number, (text, date) in enumerate(zip(texts, dates)):
            if not isinstance(text, str):
                raise TypeError(f"text {number} is a {type(text).__name__}, not a str")
            problem = article_date_problem(date) if date is not None else None
            if problem:
                raise ValueError(f"the date of text {number} {problem}")
        documents = [Document(str(number), text, metadata={"date": str(date)} if date else {})
                     for number, (text, date) in enumerate(zip(texts, dates))]
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

    def _predict(self, documents, batch_size: int) -> list[Prediction]:
        corpus = self.featurizer.encode(documents, with_labels=False)
        windows = corpus.windows
        logits = predict_windows(self.runner, windows, self.tasks, self.tokenizer.pad_token_id, batch_size, self.max_length)
        best = {task: [_max_probability(rows[w.positions]) for w, rows in zip(windows, logits[task])] for task in self.tasks}
        tags = self.featurizer.decode(corpus, logits, self.decoders)
        predictions = []
        for number, words in enumerate(corpus.words):
            probabilities = {task: np.zeros(len(words)) for task in self.tasks}
            predictions.append(Prediction(words, {task: tags[task][number] for task in self.tasks}, probabilities, {}))
        for task in self.tasks:
            for window, values in zip(windows, best[task]):
                predictions[window.document].probabilities[task][window.words] = values
        for document, prediction in zip(documents, predictions):
            prediction.spans = {task: self._spans(document.text, prediction, task) for task in self.tasks}
        values = [add_date_values(d, p.spans.get("ner", []), d.metadata.get("date")) for d, p in zip(documents, predictions)]
        if self.event_runner is not None and "ner" in self.tasks and "triggers" in self.tasks:
            events = predict_events(self.featurizer, corpus, [spans_of(p.spans["ner"]) for p in predictions],
                                    [spans_of(p.spans["triggers"]) for p in predictions], self.event_runner,
                                    self.tokenizer.pad_token_id, batch_size, self.max_length)
            for prediction, found, value in zip(predictions, events, values):
                prediction.event_objects = found
                prediction.events = event_records(found, prediction.spans["ner"], prediction.spans["triggers"], value)
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
