"""From documents to model inputs and back: words, subwords, overlapping windows, word tags.

Each word is tokenised on its own (`is_split_into_words`), so the label of a word sits on its
first subword and predictions are read from there. Documents longer than the model's limit are cut
into overlapping windows over whole words; every word is owned by exactly one window, the one
where it has the most context on both sides, and is labelled and predicted only there.
With static word vectors (`data.vectors.WordVectors`), every subword also carries the row of its
word (`word_rows`; 0 for special tokens, padding and words outside the vectors' list).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from arabic_ie.data.arabic import ArabicNormalizer, WordSegmenter
from arabic_ie.data.labels import LabelScheme, spans_to_tags, tags_to_spans
from arabic_ie.data.pairs import PAIR_FIELDS, ArgumentSpec, gold_roles, sentence_numbers, window_pairs
from arabic_ie.data.vectors import WordVectors

IGNORE_INDEX = -100  # the label of positions that carry no loss (torch's CrossEntropyLoss default)


@dataclass
class Window:
    """One model input: `input_ids` with special tokens, and where its owned words start."""

    document: int
    input_ids: list[int]
    positions: list[int]  # first-subword position of each owned word
    words: list[int]  # the owned words' indices in the document
    labels: dict[str, list[int]] = field(default_factory=dict)
    first_word: int = 0  # the window's words are first_word .. first_word + len(word_starts) - 2
    word_starts: list[int] = field(default_factory=list)  # subword position of each word, then the end
    pairs: np.ndarray | None = None  # (trigger, entity) candidates for the argument head (data.pairs)
    pair_keys: list = field(default_factory=list)  # their (trigger span, entity span)
    word_rows: list[int] | None = None  # with word vectors: each position's word row (data.vectors)

    def as_example(self) -> dict:
        example = {"input_ids": self.input_ids}
        for task, ids in self.labels.items():
            example[f"labels_{task}"] = ids
        if self.pairs is not None:
            example["pairs_events"] = self.pairs.tolist()
        if self.word_rows is not None:
            example["word_rows"] = self.word_rows
        return example


@dataclass
class EncodedCorpus:
    """The windows of a list of documents plus what is needed to map predictions back."""

    documents: list
    words: list[list[tuple[int, int]]]
    windows: list[Window]
    gold_tags: dict[str, list[list[str]]]
    stats: Counter

    def examples(self) -> list[dict]:
        """Trainer examples; `window_id` travels as a label so that predictions can be put back in
        window order (the Trainer may reorder evaluation batches by length)."""
        return [{**w.as_example(), "window_id": number} for number, w in enumerate(self.windows)]


class Featurizer:
    def __init__(self, tokenizer, segmenter: WordSegmenter, normalizer: ArabicNormalizer,
                 schemes: dict[str, LabelScheme], max_length: int, stride: int, arguments: ArgumentSpec | None = None,
                 vectors: WordVectors | None = None):
        self.tokenizer = tokenizer
        self.vectors = vectors
        self.arguments = arguments
        self.segmenter = segmenter
        self.normalizer = normalizer
        self.schemes = schemes
        self.prefix, self.suffix = _special_tokens(tokenizer)
        self.max_length = max_length
        self.capacity = max_length - len(self.prefix) - len(self.suffix)
        if self.capacity < 1:
            raise ValueError(f"max_length {max_length} leaves no room besides the special tokens")
        if not 0 <= stride < self.capacity:
            raise ValueError(f"stride (window overlap) {stride} must be in [0, {self.capacity})")
        self.stride = stride

    def words(self, document) -> list[tuple[int, int]]:
        return self.segmenter.words(document.text, document.words)

    def encode(self, documents, with_labels: bool = True) -> EncodedCorpus:
        stats: Counter = Counter()
        all_words = [self.words(d) for d in documents]
        gold = {task: [] for task in self.schemes}
        if with_labels:
            for document, words in zip(documents, all_words):
                for task, scheme in self.schemes.items():
                    tags, misaligned = spans_to_tags(document.spans(task), words)
                    gold[task].append(tags)
                    stats[f"{task} spans"] += len(document.spans(task))
                    unknown = sum(s.label not in scheme.types for s in document.spans(task))
                    if unknown:
                        stats[f"{task} spans of types the model does not know"] += unknown
                    stats[f"{task} spans with a boundary inside a word"] += len(misaligned)
        pieces, rows = self._subwords(documents, all_words, stats)
        windows = []
        for index, word_pieces in enumerate(pieces):
            for start, end, owned in self._windows(word_pieces):
                windows.append(self._window(index, word_pieces, start, end, owned,
                                            {t: gold[t][index] for t in self.schemes} if with_labels else None,
                                            rows[index] if rows is not None else None))
        if self.arguments is not None and with_labels:
            for document, words in zip(documents, all_words):
                stats["argument gold arguments"] += sum(len(e.arguments) for e in document.events)
            self.add_pairs(windows, documents, all_words, [d.entities for d in documents], [d.triggers for d in documents], stats)
            stats["argument gold arguments outside their trigger's window"] += (stats["argument gold arguments"]
                                                                                - stats["argument pairs with a role"])
        stats["documents"] += len(documents)
        stats["words"] += sum(len(w) for w in all_words)
        stats["windows"] += len(windows)
        return EncodedCorpus(list(documents), all_words, windows, gold, stats)

    def add_pairs(self, windows, documents, all_words, entities, triggers, stats=None) -> None:
        """Candidate pairs of each window from the given spans per document (gold ones in training
        and gold-input evaluation, predicted ones end to end); with stats, also the role labels."""
        sentences = {}
        for window in windows:
            document = documents[window.document]
            if window.document not in sentences:
                sentences[window.document] = sentence_numbers(document.text, all_words[window.document])
            roles = gold_roles(document) if stats is not None else None
            window.pairs, window.pair_keys, labels = window_pairs(window, all_words[window.document], entities[window.document],
                                                                  triggers[window.document], self.arguments, roles, stats,
                                                                  sentences[window.document])
            if labels is not None:
                window.labels["events"] = labels

    def _subwords(self, documents, all_words, stats) -> tuple[list[list[list[int]]], list[list[int]] | None]:
        """Subword ids per word per document (a word the tokenizer drops becomes [UNK]); with word
        vectors, also each word's row."""
        strings = []
        for document, words in zip(documents, all_words):
            row = []
            for start, end in words:
                original = document.text[start:end]
                row.append(self.normalizer(original) or original)
            strings.append(row)
        rows = None
        if self.vectors is not None:
            rows = [[self.vectors.lookup(word) for word in row] for row in strings]
            stats["words with a static vector"] += sum(r != 0 for row in rows for r in row)
        nonempty = [row for row in strings if row]
        batch = self.tokenizer(nonempty, is_split_into_words=True, add_special_tokens=False) if nonempty else None
        pieces, row_number = [], 0
        for row in strings:
            if not row:
                pieces.append([])
                continue
            ids, word_of = batch["input_ids"][row_number], batch.word_ids(row_number)
            row_number += 1
            per_word: list[list[int]] = [[] for _ in row]
            for token_id, word in zip(ids, word_of):
                if word is not None:
                    per_word[word].append(token_id)
            for word_ids in per_word:
                if not word_ids:
                    word_ids.append(self.tokenizer.unk_token_id)
                    stats["words with no subword (fed as [UNK])"] += 1
                if len(word_ids) > self.capacity:
                    del word_ids[self.capacity:]
                    stats["words longer than a window (subwords cut)"] += 1
            pieces.append(per_word)
        return pieces, rows

    def _windows(self, word_pieces) -> list[tuple[int, int, list[int]]]:
        """(first word, end word, owned words) per window; windows overlap by ~stride subwords."""
        if not word_pieces:
            return []
        lengths = [len(p) for p in word_pieces]
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        spans = []
        start = 0
        while True:
            end = start
            while end < len(lengths) and offsets[end + 1] - offsets[start] <= self.capacity:
                end += 1
            spans.append((start, end))
            if end == len(lengths):
                break
            # next window starts at the first word whose subwords lie within `stride` of this end
            next_start = start + 1
            while next_start < end and offsets[end] - offsets[next_start] > self.stride:
                next_start += 1
            start = max(next_start, start + 1) if next_start < end else end
        owner = {}
        for number, (start, end) in enumerate(spans):
            for word in range(start, end):
                context = min(offsets[word] - offsets[start], offsets[end] - offsets[word + 1])
                if word not in owner or context > owner[word][0]:
                    owner[word] = (context, number)
        owned = [[] for _ in spans]
        for word, (_, number) in sorted(owner.items()):
            owned[number].append(word)
        return [(start, end, owned[n]) for n, (start, end) in enumerate(spans) if owned[n]]

    def _window(self, index, word_pieces, start, end, owned, tags, rows=None) -> Window:
        input_ids = list(self.prefix)
        word_rows = [0] * len(self.prefix) if rows is not None else None
        first_position = {}
        for word in range(start, end):
            first_position[word] = len(input_ids)
            input_ids.extend(word_pieces[word])
            if rows is not None:
                word_rows.extend([rows[word]] * len(word_pieces[word]))
        input_ids.extend(self.suffix)
        if rows is not None:
            word_rows.extend([0] * len(self.suffix))
        positions = [first_position[w] for w in owned]
        word_starts = [first_position[w] for w in range(start, end)] + [len(input_ids) - len(self.suffix)]
        window = Window(index, input_ids, positions, owned, first_word=start, word_starts=word_starts, word_rows=word_rows)
        if tags is not None:
            for task, scheme in self.schemes.items():
                ids = [IGNORE_INDEX] * len(input_ids)
                label2id = scheme.label2id
                for word, position in zip(owned, positions):
                    # a type the model does not know (only possible outside train) carries no loss;
                    # it stays in gold_tags, so evaluation counts it as missed
                    ids[position] = label2id.get(tags[task][word], IGNORE_INDEX)
                window.labels[task] = ids
        return window

    def decode(self, corpus: EncodedCorpus, logits: dict[str, list], decoders: dict | None = None) -> dict[str, list[list[str]]]:
        """Word tags per document per task from per-window logits (rows aligned with windows).

        Each word's label is the argmax of its logits, or, for a task in `decoders`, what the
        decoder (a document's word logits (n, L) -> label ids, e.g. CRF Viterbi) makes of the
        whole document's words."""
        tags = {}
        for task, scheme in self.schemes.items():
            labels = np.array([scheme.id2label[i] for i in range(len(scheme.id2label))] + [""], dtype=object)
            per_doc = [np.full(len(words), len(labels) - 1) for words in corpus.words]  # "" marks "no prediction yet"
            decoder = (decoders or {}).get(task)
            if decoder is None:
                for window, row in zip(corpus.windows, logits[task]):
                    per_doc[window.document][window.words] = np.asarray(row)[window.positions].argmax(-1)
            else:
                emissions = [np.zeros((len(words), len(scheme)), dtype=np.float32) for words in corpus.words]
                for window, row in zip(corpus.windows, logits[task]):
                    emissions[window.document][window.words] = np.asarray(row)[window.positions]
                    per_doc[window.document][window.words] = 0
                for ids, rows in zip(per_doc, emissions):
                    covered = ids != len(labels) - 1
                    ids[covered] = decoder(rows[covered])
            for number, ids in enumerate(per_doc):
                missing = np.flatnonzero(ids == len(labels) - 1)
                if missing.size:
                    raise RuntimeError(f"document {corpus.documents[number].id!r}: words {missing[:5].tolist()} got no prediction")
            tags[task] = [labels[ids].tolist() for ids in per_doc]
        return tags

    def spans(self, corpus: EncodedCorpus, tags: dict[str, list[list[str]]]):
        """Character spans per document per task from word tags."""
        return {task: [tags_to_spans(doc_tags, words)[0] for doc_tags, words in zip(tags[task], corpus.words)]
                for task in tags}


def _special_tokens(tokenizer) -> tuple[list[int], list[int]]:
    """The ids a tokenizer puts before and after a single sequence ([CLS] and [SEP] for BERT)."""
    encoding = tokenizer(["x"], is_split_into_words=True, add_special_tokens=True)
    ids, word_ids = encoding["input_ids"], encoding.word_ids()
    content = [i for i, w in enumerate(word_ids) if w is not None]
    return ids[: content[0]], ids[content[-1] + 1 :]


class Collator:
    """Pads a batch of windows: input ids with the tokenizer's pad id, word rows with 0, labels with IGNORE_INDEX."""

    def __init__(self, pad_token_id: int):
        self.pad_token_id = pad_token_id

    def __call__(self, examples: list[dict]):
        import torch

        longest = max(len(e["input_ids"]) for e in examples)
        batch = {
            "input_ids": torch.tensor([e["input_ids"] + [self.pad_token_id] * (longest - len(e["input_ids"])) for e in examples]),
            "attention_mask": torch.tensor([[1] * len(e["input_ids"]) + [0] * (longest - len(e["input_ids"])) for e in examples]),
        }
        if "word_rows" in examples[0]:
            batch["word_rows"] = torch.tensor([e["word_rows"] + [0] * (longest - len(e["word_rows"])) for e in examples])
        if "window_id" in examples[0]:
            batch["window_id"] = torch.tensor([e["window_id"] for e in examples])
        if "pairs_events" in examples[0]:
            most = max(1, max(len(e["pairs_events"]) for e in examples))
            batch["pairs_events"] = torch.zeros((len(examples), most, PAIR_FIELDS), dtype=torch.long)
            batch["labels_events"] = torch.full((len(examples), most), IGNORE_INDEX, dtype=torch.long)
            for row, e in enumerate(examples):
                if e["pairs_events"]:
                    batch["pairs_events"][row, : len(e["pairs_events"])] = torch.tensor(e["pairs_events"])
                    batch["labels_events"][row, : len(e["labels_events"])] = torch.tensor(e["labels_events"])
        for key in examples[0]:
            if key.startswith("labels_") and key != "labels_events":
                batch[key] = torch.tensor([e[key] + [IGNORE_INDEX] * (longest - len(e[key])) for e in examples])
        return batch
