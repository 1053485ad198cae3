"""Silver labels for self-training: unlabelled articles tagged by a package, and the sentences the
model is sure of written as CoNLL `token TAG` lines, which a run reads beside its gold train split
(`data.silver`, data/corpus.py). docs/accuracy.md ("Self-training") has the measured recipe.

A sentence is kept when it has `min_words`..`max_words` words, at least one span, valid IOB2 tags
(no I- that continues nothing, at its start either), and every word's best tag has a softmax probability of
at least `min_probability` (the Tagger's per-word probabilities; for a CRF package those of its
emissions). Everything else is counted by reason in the report, never dropped silently.

Several packages (e.g. the same recipe's runs with other seeds) make an ensemble teacher: a sentence
is kept only when they all give it the same tags, and the probability rule then holds for each of
them (the lowest of their probabilities per word). On ANERcorp dev, three seeds' agreement lifts
the kept sentences' F1 from 0.87 to 0.93 at the same threshold, yet its students score no higher
than one teacher's: it keeps fewer ORG and MISC spans (docs/accuracy.md, "Self-training").
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from arabic_ie.data.documents import Document
from arabic_ie.data.labels import tags_to_spans
from arabic_ie.data.texts import jsonl_texts

SENTENCE_ENDS = frozenset({".", "؟", "?", "!"})
ARTICLES_PER_CALL = 64  # articles handed to the Tagger at a time (progress, bounded memory)


@dataclass
class SilverReport:
    articles: int = 0
    sentences: int = 0
    kept: int = 0
    words: int = 0
    spans: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        skipped = ", ".join(f"{n} {kind}" for kind, n in self.skipped.most_common()) or "none"
        spans = ", ".join(f"{label} {n}" for label, n in sorted(self.spans.items())) or "none"
        return (f"{self.articles} articles, {self.sentences} sentences: kept {self.kept} ({self.words} words; spans {spans}); "
                f"skipped {skipped}")


def read_articles(path: str | Path) -> list[tuple[str, str]]:
    """(id, text) of each line of a JSONL file (gzipped when it ends in .gz) of {"id", "text"}
    objects; an object without an id is known by its line number."""
    return [(str(record.get("id", number)), text) for number, record, text in jsonl_texts(path)]


def sample_articles(articles: list, max_articles: int | None, seed: int) -> list:
    """The first `max_articles` of the articles shuffled with `seed` (all of them for None)."""
    articles = list(articles)
    random.Random(seed).shuffle(articles)
    return articles if max_articles is None else articles[:max_articles]


def sentences(words: list[str]) -> list[range]:
    """Word ranges of the sentences: each ends at . ؟ ? ! (a period between two digits is a decimal
    point) or at the last word."""
    bounds, start = [], 0
    for i, word in enumerate(words):
        decimal = 0 < i < len(words) - 1 and words[i - 1][-1:].isdigit() and words[i + 1][:1].isdigit()
        if (word in SENTENCE_ENDS and not decimal) or i == len(words) - 1:
            bounds.append(range(start, i + 1))
            start = i + 1
    return bounds


def skip_reason(tags: list[str], probabilities, min_probability: float, min_words: int, max_words: int) -> str | None:
    """Why a sentence is not kept as silver data, or None."""
    if not min_words <= len(tags) <= max_words:
        return f"outside {min_words}-{max_words} words"
    if min(probabilities) < min_probability:
        return f"a word below probability {min_probability}"
    if all(tag == "O" for tag in tags):
        return "no span"
    # the IOB2 rule of data.labels (word indices as offsets): an I- at the start means the sentence
    # starts inside a span; later, argmax decoding (a linear head) broke IOB2
    if tags_to_spans(tags, [(i, i + 1) for i in range(len(tags))])[1]:
        return "an I- tag that continues no span"
    return None


DISAGREE = "the packages disagree on a tag"


def write_silver(taggers, articles, output: str | Path, task: str = "ner", min_probability: float = 0.6,
                 min_words: int = 5, max_words: int = 150, batch_size: int = 32, progress=None) -> SilverReport:
    """Tag `articles` ((id, text) pairs) with `taggers` (one Tagger or a list: an ensemble, see the
    module docstring) and write the kept sentences to `output` (CoNLL: `word TAG` a line, a blank
    line after each sentence); `progress(report)` after each call."""
    taggers = list(taggers) if isinstance(taggers, (list, tuple)) else [taggers]
    if not taggers:
        raise ValueError("write_silver needs at least one package")
    for tagger in taggers:
        if task not in tagger.tasks:
            raise ValueError(f"{tagger.path}: the package has no {task!r} task; it has {tagger.tasks}")
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    report = SilverReport()
    with open(output, "w", encoding="utf-8") as out:
        for begin in range(0, len(articles), ARTICLES_PER_CALL):
            documents = [Document(doc_id, text) for doc_id, text in articles[begin : begin + ARTICLES_PER_CALL]]
            predictions = [tagger.predict_documents(documents, batch_size) for tagger in taggers]
            for document, *votes in zip(documents, *predictions):
                report.articles += 1
                first = votes[0]
                for tagger, vote in zip(taggers[1:], votes[1:]):
                    if vote.words != first.words:
                        raise ValueError(f"article {document.id}: {tagger.path} splits the words unlike "
                                         f"{taggers[0].path}; an ensemble needs packages with one word segmenter")
                words = [document.text[start:end] for start, end in first.words]
                tags = first.tags[task]
                probabilities = np.min([vote.probabilities[task] for vote in votes], axis=0)
                for sentence in sentences(words):
                    report.sentences += 1
                    reason = skip_reason([tags[i] for i in sentence], [probabilities[i] for i in sentence],
                                         min_probability, min_words, max_words)
                    if reason is None and any(vote.tags[task][i] != tags[i] for vote in votes[1:] for i in sentence):
                        reason = DISAGREE
                    if reason:
                        report.skipped[reason] += 1
                        continue
                    out.write("".join(f"{words[i]} {tags[i]}\n" for i in sentence) + "\n")
                    report.kept += 1
                    report.words += len(sentence)
                    report.spans.update(tags[i][2:] for i in sentence if tags[i].startswith("B-"))
            if progress is not None:
                progress(report)
    return report
