"""Tokenize a corpus once and pack it into cached binary token streams.

The corpus is split into a training part and a held-out part (every k-th non-empty document is
held out), each tokenized into one stream of subword ids with documents separated by `[SEP]`, and
a parallel stream of flags marking the first subword of each word (for whole-word masking). Both
are flat files read back as `np.memmap` (uint16 ids when the vocabulary fits, else int32), so a
training run holds no corpus in memory and never tokenizes in its loop.

The cache folder's name is a hash of everything the streams depend on: the corpus files (path,
size, mtime), the text field and .txt unit, the tokenizer (vocabulary and pipeline), the
preprocessing (normalizer, segmenter) and the held-out rule. A folder is built under a temporary
name and renamed when complete, so an interrupted build leaves nothing that looks valid.

A packed folder is self-contained (streams, `meta.json` and the tokenizer that made the ids, in
`tokenizer/`): `open_packed` trains from it on a machine that lacks the raw corpus (a GPU host;
`packed_dir=` in configs/pretrain.yaml).

Tokenizers trained from scratch are cached the same way (keyed by the corpus, the number of words
and the vocabulary settings): the WordPiece training is reproducible (see
`arabic_ie.model.tokenization.train_wordpiece`), so a cache hit is the vocabulary a rebuild would give.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Iterator

import numpy as np

from arabic_ie.model.tokenization import load_tokenizer, train_wordpiece
from arabic_ie.package.files import publish_modes
from arabic_ie.data.texts import CorpusReport, corpus_files, corpus_signature, iter_documents
from arabic_ie.pretraining.preprocess import Preprocessor

log = logging.getLogger(__name__)
PACK_FORMAT = 2  # bump when the layout or the packing rule changes: old caches are then ignored
SPLITS = ("train", "heldout")
META_FILE = "meta.json"
TOKENIZER_DIR = "tokenizer"  # a packed folder carries the tokenizer that made its ids
STREAMS = ("ids", "starts")  # per split: subword ids (meta's dtype) and word-start flags (uint8)


def stream_file(folder: Path, split: str, kind: str) -> Path:
    return Path(folder) / f"{split}.{kind}.bin"


def _hash(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def tokenizer_fingerprint(tokenizer) -> str:
    """A hash of what turns words into ids: the fast tokenizer's model (vocabulary included),
    normalizer, pre-tokenizer and added tokens. Not its truncation and padding state, which
    calling the tokenizer changes."""
    pipeline = json.loads(tokenizer.backend_tokenizer.to_str())
    return _hash({k: pipeline.get(k) for k in ("model", "normalizer", "pre_tokenizer", "added_tokens")})


def is_heldout(index: int, every: int) -> bool:
    """Document `index` (0-based, over non-empty documents) is held out: every `every`-th one."""
    return every > 0 and index % every == every - 1


@dataclass
class CorpusSpec:
    """Where the corpus is and how its documents are read and split."""

    path: str
    text_field: str = "text"
    txt_unit: str = "paragraph"
    heldout_every: int = 50
    max_documents: int | None = None  # read only the first N non-empty documents (quick experiments)

    def files(self) -> list[Path]:
        return corpus_files(self.path)

    def documents(self, report: CorpusReport | None = None) -> Iterator[tuple[bool, str]]:
        """(held out?, text) for each non-empty document, in corpus order."""
        stream = iter_documents(self.files(), self.text_field, self.txt_unit, report)
        if self.max_documents is not None:
            stream = islice(stream, self.max_documents)
        for index, text in enumerate(stream):
            yield is_heldout(index, self.heldout_every), text

    def key(self) -> dict:
        return {"corpus": corpus_signature(self.files()), "text_field": self.text_field, "txt_unit": self.txt_unit,
                "heldout_every": self.heldout_every, "max_documents": self.max_documents}


def _atomic_folder(final: Path, build) -> bool:
    """Run `build(tmp_folder)` and rename the folder to `final`; False if another process won."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    try:
        build(tmp)
        publish_modes(tmp)  # mkdtemp's folder is private (0700); a cache folder should not be
        try:
            os.rename(tmp, final)
        except OSError:
            if (final / META_FILE).is_file():  # built concurrently by someone else: keep theirs
                return False
            raise
        return True
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def scratch_tokenizer(spec: CorpusSpec, preprocess: Preprocessor, vocab_size: int, min_frequency: int,
                      training_words: int, cache_dir: str | Path):
    """A WordPiece vocabulary trained on the first `training_words` words of the training part
    (cached). Returns (tokenizer, reused_from_cache)."""
    key = {"format": PACK_FORMAT, **spec.key(), "preprocessing": preprocess.settings(), "vocab_size": vocab_size,
           "min_frequency": min_frequency, "training_words": training_words}
    folder = Path(cache_dir) / f"tokenizer-{_hash(key)[:16]}"
    if (folder / META_FILE).is_file():
        log.info("tokenizer: reusing %s", folder)
        return load_tokenizer(str(folder)), True

    def words() -> Iterator[str]:
        count = 0
        for heldout, text in spec.documents():
            if heldout:
                continue
            for word in preprocess(text):
                yield word
                count += 1
                if count >= training_words:
                    return

    started = time.perf_counter()
    tokenizer = train_wordpiece(words(), vocab_size, min_frequency)
    seconds = time.perf_counter() - started
    log.info("tokenizer: trained %d subwords on up to %d words in %.0f s", len(tokenizer), training_words, seconds)

    def build(tmp: Path) -> None:
        tokenizer.save_pretrained(tmp)
        (tmp / META_FILE).write_text(json.dumps({"key": key, "seconds": round(seconds, 1)}, indent=2, ensure_ascii=False),
                                     encoding="utf-8")

    _atomic_folder(folder, build)
    return load_tokenizer(str(folder)), False  # as a later run will load it


@dataclass
class PackedCorpus:
    """The packed streams of a corpus: ids and word-start flags per split, as memmaps."""

    folder: Path
    meta: dict
    reused: bool = False
    _arrays: dict = field(default_factory=dict, repr=False)

    def ids(self, split: str) -> np.ndarray:
        return self._array(split, "ids")

    def word_starts(self, split: str) -> np.ndarray:
        return self._array(split, "starts")

    def dtype(self, kind: str) -> np.dtype:
        return np.dtype(self.meta["dtype"] if kind == "ids" else "uint8")

    def _array(self, split: str, kind: str) -> np.ndarray:
        if (split, kind) not in self._arrays:
            length, dtype = self.meta["splits"][split]["tokens"], self.dtype(kind)
            self._arrays[split, kind] = (np.memmap(stream_file(self.folder, split, kind), dtype=dtype, mode="r", shape=(length,))
                                         if length else np.zeros(0, dtype=dtype))
        return self._arrays[split, kind]


def pack_corpus(spec: CorpusSpec, tokenizer, preprocess: Preprocessor, cache_dir: str | Path,
                batch_documents: int = 256, show_progress: bool = True, tokenizer_source: str = "") -> PackedCorpus:
    """The packed corpus for this tokenizer and preprocessing, built once and cached;
    `tokenizer_source` (where the tokenizer came from) is recorded for runs that train from the folder."""
    key = {"format": PACK_FORMAT, **spec.key(), "preprocessing": preprocess.settings(),
           "tokenizer": tokenizer_fingerprint(tokenizer)}
    folder = Path(cache_dir) / f"packed-{_hash(key)[:16]}"
    if (folder / META_FILE).is_file():
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        log.info("packed corpus: reusing %s (%s)", folder, _describe(meta))
        return PackedCorpus(folder, meta, reused=True)

    meta: dict = {}
    _atomic_folder(folder, lambda tmp: meta.update(_pack(spec, tokenizer, preprocess, tmp, key, batch_documents, show_progress,
                                                                     tokenizer_source)))
    if not meta:  # another process finished first
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    log.info("packed corpus: built %s (%s)", folder, _describe(meta))
    return PackedCorpus(folder, meta, reused=False)


def open_packed(folder: str | Path):
    """(tokenizer, PackedCorpus) of a packed folder made by `pack_corpus`, checked for completeness
    and for a tokenizer that still matches the ids; errors name the folder and what is wrong."""
    folder = Path(folder)
    if not (folder / META_FILE).is_file():
        raise FileNotFoundError(f"{folder}: not a packed corpus folder (no {META_FILE}); "
                                "pretraining runs write them under cache_dir as packed-HASH/")
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    if meta.get("key", {}).get("format") != PACK_FORMAT:
        raise ValueError(f"{folder}: packed with format {meta.get('key', {}).get('format')}, this version reads "
                         f"format {PACK_FORMAT}; pack the corpus again (run once with the corpus at hand)")
    if not (folder / TOKENIZER_DIR / "tokenizer.json").is_file():
        raise FileNotFoundError(f"{folder}: {TOKENIZER_DIR}/tokenizer.json is missing")
    tokenizer = load_tokenizer(str(folder / TOKENIZER_DIR))
    if tokenizer_fingerprint(tokenizer) != meta["key"]["tokenizer"]:
        raise ValueError(f"{folder}: {TOKENIZER_DIR}/ is not the tokenizer the ids were made with (fingerprint differs)")
    packed = PackedCorpus(folder, meta, reused=True)
    for split in SPLITS:
        for kind in STREAMS:
            path = stream_file(folder, split, kind)
            expected = meta["splits"][split]["tokens"] * packed.dtype(kind).itemsize
            if not path.is_file() or path.stat().st_size != expected:
                raise ValueError(f"{path}: expected {expected:,} bytes, found "
                                 f"{path.stat().st_size if path.is_file() else 'no file'} (copied only in part?)")
    log.info("packed corpus: %s (%s)", folder, _describe(meta))
    return tokenizer, packed


def _describe(meta: dict) -> str:
    s = meta["splits"]
    return (f"{s['train']['documents']} train / {s['heldout']['documents']} held-out documents, "
            f"{s['train']['tokens']:,} / {s['heldout']['tokens']:,} tokens")


def _pack(spec, tokenizer, preprocess, folder: Path, key: dict, batch_documents: int, show_progress: bool,
          tokenizer_source: str = "") -> dict:
    backend = tokenizer.backend_tokenizer
    dtype = np.uint16 if len(tokenizer) <= np.iinfo(np.uint16).max + 1 else np.int32
    sep, unk = tokenizer.sep_token_id, tokenizer.unk_token_id
    counts = {split: {"documents": 0, "words": 0, "tokens": 0, "words_without_subword": 0} for split in SPLITS}
    outputs = {(split, kind): open(stream_file(folder, split, kind), "wb") for split in SPLITS for kind in STREAMS}
    report = CorpusReport()
    started = time.perf_counter()
    progress = _progress(show_progress)

    def flush(split: str, batch: list[list[str]]) -> None:
        encodings = backend.encode_batch(batch, is_pretokenized=True, add_special_tokens=False)
        id_parts, start_parts = [], []
        for words, encoding in zip(batch, encodings):
            ids = np.asarray(encoding.ids, dtype=np.int64)
            word_ids = np.asarray(encoding.word_ids, dtype=np.int64)
            starts = np.ones(len(ids), dtype=np.uint8)
            if len(ids) > 1:
                starts[1:] = word_ids[1:] != word_ids[:-1]
            missing = np.flatnonzero(np.bincount(word_ids, minlength=len(words)) == 0)
            if len(missing):  # as features.Featurizer: a word the tokenizer drops is fed as [UNK]
                at = np.searchsorted(word_ids, missing)
                ids, starts = np.insert(ids, at, unk), np.insert(starts, at, 1)
                counts[split]["words_without_subword"] += len(missing)
            if counts[split]["documents"]:  # [SEP] between documents
                id_parts.append(np.array([sep])), start_parts.append(np.ones(1, dtype=np.uint8))
            id_parts.append(ids), start_parts.append(starts)
            counts[split]["documents"] += 1
            counts[split]["words"] += len(words)
        if id_parts:
            ids = np.concatenate(id_parts)
            outputs[split, "ids"].write(ids.astype(dtype).tobytes())
            outputs[split, "starts"].write(np.concatenate(start_parts).tobytes())
            counts[split]["tokens"] += len(ids)
        progress.update(len(batch))

    try:
        batches: dict[str, list[list[str]]] = {split: [] for split in SPLITS}
        for heldout, text in spec.documents(report):
            split = "heldout" if heldout else "train"
            words = preprocess(text)
            if not words:
                continue
            batches[split].append(words)
            if len(batches[split]) >= batch_documents:
                flush(split, batches[split])
                batches[split] = []
        for split in SPLITS:
            if batches[split]:
                flush(split, batches[split])
    finally:
        for handle in outputs.values():
            handle.close()
        progress.close()
    seconds = time.perf_counter() - started
    total = sum(c["tokens"] for c in counts.values())
    tokenizer.save_pretrained(folder / TOKENIZER_DIR)
    meta = {"key": key, "tokenizer_source": tokenizer_source.removesuffix(" (cached)"), "dtype": np.dtype(dtype).name,
            "vocab_size": len(tokenizer), "splits": counts,
            "read": report.to_dict(), "seconds": round(seconds, 1), "tokens_per_second": round(total / max(seconds, 1e-9))}
    if not counts["train"]["tokens"]:
        raise ValueError(f"{spec.path}: the training part of the corpus has no tokens ({report.documents} documents read)")
    (folder / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    return meta


def _progress(show: bool):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm comes with the train extra
        show = False
    if not show:
        class _Silent:
            def update(self, n): pass
            def close(self): pass
        return _Silent()
    return tqdm(desc="tokenizing and packing", unit=" documents", mininterval=2.0)
