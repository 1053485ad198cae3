"""Train static word vectors on a raw corpus with gensim's FastText (skip-gram with character
n-grams, so rare words get vectors from their letters), and keep the most frequent words.

Words are what fine-tuning feeds the tokenizer (`Preprocessor`: the model's normalisation, the
data's proclitic splitting), so a fine-tuned model looks its words up as they were trained. Only
the word table is kept (`data.vectors.WordVectors`); the n-gram buckets are dropped, so a word
outside the table is row 0 at fine-tuning and prediction time alike.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from arabic_ie.data.vectors import WordVectors
from arabic_ie.data.texts import CorpusReport, iter_documents
from arabic_ie.pretraining.preprocess import Preprocessor

log = logging.getLogger(__name__)


def read_sentences(files, preprocessor: Preprocessor, text_field: str, txt_unit: str, max_documents: int | None,
                   report: CorpusReport) -> list[list[str]]:
    """The corpus as lists of words, one list per line of each document (gensim's sentences)."""
    sentences = []
    for number, text in enumerate(iter_documents(files, text_field, txt_unit, report)):
        if max_documents is not None and number >= max_documents:
            break
        for line in text.splitlines():
            words = preprocessor(line)
            if words:
                sentences.append(words)
    return sentences


def train_word_vectors(sentences: list[list[str]], dim: int, window: int, min_count: int, epochs: int,
                       max_words: int, seed: int, workers: int, min_n: int, max_n: int) -> WordVectors:
    """FastText skip-gram vectors; the `max_words` most frequent words (count >= min_count) kept,
    unit-normalised (the encoder's hidden states are layer-normalised; raw norms grow with frequency)."""
    from gensim.models import FastText

    started = time.time()
    model = FastText(vector_size=dim, window=window, min_count=min_count, sg=1, min_n=min_n, max_n=max_n,
                     workers=workers, seed=seed)
    model.build_vocab(corpus_iterable=sentences)
    words_seen = sum(len(s) for s in sentences)
    model.train(corpus_iterable=sentences, total_examples=len(sentences), total_words=words_seen, epochs=epochs)
    keyed = model.wv
    words = list(keyed.index_to_key[:max_words])  # gensim sorts the vocabulary by descending count
    vectors = np.stack([keyed.get_vector(w, norm=True) for w in words]) if words else np.zeros((0, dim), np.float32)
    matrix = np.concatenate([np.zeros((1, dim), np.float32), vectors]).astype(np.float16)
    info = {"trainer": "gensim FastText (skip-gram)", "dim": dim, "window": window, "min_count": min_count,
            "epochs": epochs, "char_ngrams": [min_n, max_n], "seed": seed, "corpus_words": words_seen,
            "corpus_sentences": len(sentences), "vocabulary_with_min_count": len(keyed.index_to_key),
            "minutes": round((time.time() - started) / 60, 2)}
    log.info("trained %d-dim vectors for %d words (kept %d) on %d words in %.1f min", dim, len(keyed.index_to_key),
             len(words), words_seen, info["minutes"])
    return WordVectors(words, matrix, info)
