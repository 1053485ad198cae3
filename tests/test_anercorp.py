"""The real ANERcorp files in ../shared: counts, repairs, and the longest sentence through windows."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SHARED_DIR, require_shared

from arabic_ie.data.arabic import ArabicNormalizer, WordSegmenter
from arabic_ie.data.formats import read_conll
from arabic_ie.data.labels import LabelScheme
from arabic_ie.data.features import Featurizer
from arabic_ie.model.tokenization import train_wordpiece

ANERCORP = SHARED_DIR / "data" / "anercorp"


@pytest.fixture(autouse=True)
def anercorp_present():
    """Skips these tests without ../shared (fails them on CI): see conftest.require_shared."""
    for name in ("train.txt", "dev.txt"):
        require_shared(ANERCORP / name)


def test_anercorp_reads_with_every_token_and_counts_its_repairs():
    train, train_report = read_conll(ANERCORP / "train.txt")
    dev, dev_report = read_conll(ANERCORP / "dev.txt")
    assert (len(train), sum(len(d.words) for d in train)) == (3745, 112587)
    assert (len(dev), sum(len(d.words) for d in dev)) == (372, 12497)
    assert sorted({s.label for d in train for s in d.entities}) == ["LOC", "MISC", "ORG", "PERS"]
    # I- tags that continue nothing: repaired into span starts, counted with their lines
    assert sum(train_report.repaired.values()) == 9 and sum(dev_report.repaired.values()) == 4
    assert train_report.examples["I- tag without B- (started a span)"][0] == "train.txt:82000"


def test_the_longest_anercorp_sentence_loses_no_token_in_windows():
    dev, _ = read_conll(ANERCORP / "dev.txt")
    longest = max(dev, key=lambda d: len(d.words))
    assert len(longest.words) == 1894
    tokenizer = train_wordpiece((longest.text[s:e] for s, e in longest.words), vocab_size=2000, min_frequency=1)
    scheme = LabelScheme.from_documents("ner", [longest])
    featurizer = Featurizer(tokenizer, WordSegmenter(), ArabicNormalizer(), {"ner": scheme}, max_length=128, stride=32)
    corpus = featurizer.encode([longest])
    assert len(corpus.windows) > 15 and all(len(w.input_ids) <= 128 for w in corpus.windows)
    owned = sorted(word for w in corpus.windows for word in w.words)
    assert owned == list(range(1894))
    # logits that vote for the gold label of each owned word decode to exactly the gold spans
    logits = {"ner": []}
    for window in corpus.windows:
        row = np.zeros((len(window.input_ids), len(scheme)))
        for position, label in zip(range(len(window.input_ids)), window.labels["ner"]):
            if label >= 0:
                row[position, label] = 1.0
        logits["ner"].append(row)
    decoded = featurizer.decode(corpus, logits)
    assert featurizer.spans(corpus, decoded)["ner"] == [sorted(longest.entities)]
