"""Silver labels for self-training (infer/silver.py, data.silver): sentence splitting, the keep
rule, the CoNLL written, and a run's train split reading it beside the gold sentences."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from omegaconf import OmegaConf

from arabic_ie.data.corpus import load_corpus
from arabic_ie.data.documents import Document
from arabic_ie.data.texts import CorpusError
from arabic_ie.infer.silver import read_articles, sample_articles, sentences, skip_reason, write_silver
from arabic_ie.infer.tagger import Prediction


def test_sentences_end_at_end_punctuation_but_not_at_a_decimal_point():
    words = ["ارتفع", "السعر", "2", ".", "5", "%", ".", "هل", "يستمر", "؟", "ربما"]
    assert sentences(words) == [range(0, 7), range(7, 10), range(10, 11)]
    assert sentences(["."]) == [range(0, 1)]


@pytest.mark.parametrize(("tags", "probabilities", "reason"), [
    (["O", "B-LOC", "O", "O", "O"], [0.9, 0.7, 0.6, 0.99, 0.8], None),
    (["O", "B-LOC", "O", "O"], [0.9] * 4, "outside 5-150 words"),
    (["O", "B-LOC", "O", "O", "O"], [0.9, 0.59, 0.9, 0.9, 0.9], "a word below probability 0.6"),
    (["O"] * 5, [0.99] * 5, "no span"),
    (["I-PERS", "O", "O", "O", "O"], [0.9] * 5, "an I- tag that continues no span"),
    (["O", "B-PERS", "I-PERS", "O", "I-LOC"], [0.9] * 5, "an I- tag that continues no span"),
    (["O", "B-PERS", "I-LOC", "O", "O"], [0.9] * 5, "an I- tag that continues no span"),
    (["B-ORG", "I-ORG", "I-ORG", "O", "O"], [0.9] * 5, None),
])
def test_a_sentence_is_kept_only_when_every_word_is_sure_and_it_has_a_span(tags, probabilities, reason):
    assert skip_reason(tags, probabilities, 0.6, 5, 150) == reason


class FakeTagger:
    """Predictions given per text: words split on spaces, tags and probabilities as listed."""

    path = "fake-package"
    tasks = ["ner"]

    def __init__(self, answers):
        self.answers = answers

    def predict_documents(self, documents, batch_size=32):
        out = []
        for document in documents:
            tags, probabilities = self.answers[document.text]
            starts = [i for i, c in enumerate(document.text) if c != " " and (i == 0 or document.text[i - 1] == " ")]
            words = [(s, document.text.find(" ", s) if " " in document.text[s:] else len(document.text)) for s in starts]
            out.append(Prediction(words, {"ner": tags}, {"ner": np.array(probabilities)}, {}))
        return out


SURE = "أعلن وزير الداخلية في دمشق اليوم . قال أحمد إنه يرفض ذلك ."
UNSURE = "وصل الوفد إلى عمان صباح الأحد ."
ANSWERS = {
    SURE: (["O", "O", "O", "O", "B-LOC", "O", "O", "O", "B-PERS", "O", "O", "O", "O"],
           [0.9, 0.9, 0.9, 0.9, 0.8, 0.9, 0.99, 0.9, 0.55, 0.9, 0.9, 0.9, 0.99]),
    UNSURE: (["O", "O", "O", "B-LOC", "O", "O", "O"], [0.9, 0.9, 0.9, 0.4, 0.9, 0.9, 0.99]),
}


def test_write_silver_writes_the_sure_sentences_as_conll_and_counts_the_rest(tmp_path):
    report = write_silver(FakeTagger(ANSWERS), [("a", SURE), ("b", UNSURE)], tmp_path / "silver.txt")
    assert (tmp_path / "silver.txt").read_text(encoding="utf-8") == (
        "أعلن O\nوزير O\nالداخلية O\nفي O\nدمشق B-LOC\nاليوم O\n. O\n\n")
    assert (report.articles, report.sentences, report.kept, report.words) == (2, 3, 1, 7)
    assert report.spans == {"LOC": 1}
    assert report.skipped == {"a word below probability 0.6": 2}
    assert report.summary() == ("2 articles, 3 sentences: kept 1 (7 words; spans LOC 1); "
                                "skipped 2 a word below probability 0.6")
    with pytest.raises(ValueError, match="fake-package: the package has no 'triggers' task"):
        write_silver(FakeTagger(ANSWERS), [], tmp_path / "x.txt", task="triggers")



def test_an_ensemble_keeps_a_sentence_only_when_every_package_agrees_and_is_sure(tmp_path):
    tags, probabilities = ANSWERS[SURE]
    first = ["O", "O", "O", "O", "B-LOC", "O", "O"]
    sure_second = (tags, [0.9] * 8 + [0.95] + [0.9] * 4)  # sure of أحمد, where the first package is not
    unsure_first = (tags, [0.9] * 4 + [0.55] + [0.9] * 8)  # the first sentence's دمشق below 0.6
    disagree = (first[:4] + ["B-ORG"] + first[5:] + tags[7:], probabilities)
    cases = [
        ([ANSWERS[SURE], ANSWERS[SURE]], 1, {"a word below probability 0.6": 1}),
        ([ANSWERS[SURE], sure_second], 1, {"a word below probability 0.6": 1}),  # the lowest probability counts
        ([ANSWERS[SURE], unsure_first], 0, {"a word below probability 0.6": 2}),
        ([ANSWERS[SURE], disagree], 0, {"the packages disagree on a tag": 1, "a word below probability 0.6": 1}),
    ]
    for answers, kept, skipped in cases:
        taggers = [FakeTagger({SURE: answer}) for answer in answers]
        report = write_silver(taggers, [("a", SURE)], tmp_path / "silver.txt")
        assert (report.kept, report.skipped) == (kept, skipped), answers
    assert (tmp_path / "silver.txt").read_text(encoding="utf-8") == ""


def test_an_ensemble_of_packages_that_split_words_differently_is_refused(tmp_path):
    other = FakeTagger({SURE: (["O"], [0.9])})
    other.path = "other-package"
    other.predict_documents = lambda documents, batch_size=32: [
        Prediction([(0, len(d.text))], {"ner": ["O"]}, {"ner": np.array([0.9])}, {}) for d in documents]
    with pytest.raises(ValueError, match="article a: other-package splits the words unlike fake-package"):
        write_silver([FakeTagger(ANSWERS), other], [("a", SURE)], tmp_path / "silver.txt")
    with pytest.raises(ValueError, match="needs at least one package"):
        write_silver([], [("a", SURE)], tmp_path / "silver.txt")

def test_articles_are_read_from_gzipped_jsonl_and_sampled_reproducibly(tmp_path):
    path = tmp_path / "articles.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for i in range(10):
            f.write(json.dumps({"id": f"n{i}", "text": f"خبر {i}"}, ensure_ascii=False) + "\n")
    articles = read_articles(path)
    assert articles[3] == ("n3", "خبر 3")
    assert sample_articles(articles, 4, seed=0) == sample_articles(articles, 4, seed=0)
    assert sample_articles(articles, 4, seed=0) != sample_articles(articles, 4, seed=1)
    assert sorted(sample_articles(articles, None, seed=0)) == articles
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "نص"}\n{"id": 2, "body": "نص"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad\.jsonl:2: no 'text' field \(fields: body, id\)"):
        read_articles(bad)
    bad.write_text('{"id": 1, "text": "نص"\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad\.jsonl:1: invalid JSON"):
        read_articles(bad)


def test_data_silver_appends_silver_documents_after_gold_and_joins_them_apart(tmp_path):
    (tmp_path / "train.txt").write_text("ذهب O\nمحمد B-PERS\n\nإلى O\nدمشق B-LOC\n", encoding="utf-8")
    (tmp_path / "silver.txt").write_text("وصل O\nالوفد O\n\nعمان I-LOC\n", encoding="utf-8")
    cfg = OmegaConf.create({"format": "conll", "columns": ["ner"], "train": str(tmp_path / "train.txt"),
                            "silver": str(tmp_path / "silver.txt"), "join_sentences": 80})
    corpus = load_corpus(cfg, splits=("train",))
    train = corpus.splits["train"]
    assert [d.text for d in train] == ["ذهب محمد\nإلى دمشق", "وصل الوفد\nعمان"]  # gold and silver never share a document
    assert [s.label for s in train[1].entities] == ["LOC"]
    assert corpus.reports["train"].repaired == {"I- tag without B- (started a span)": 1}
    (tmp_path / "silver.txt").write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="silver.txt: file is empty"):
        load_corpus(cfg, splits=("train",))


def test_a_real_package_s_silver_file_reads_back_as_its_own_predictions(serve_package, sample_splits, tmp_path):
    from arabic_ie.data.formats import read_conll
    from arabic_ie.data.labels import spans_to_tags
    from arabic_ie.infer.tagger import load

    from arabic_ie.model.viterbi import ViterbiDecoder, constrain

    tagger = load(serve_package, backend="torch")
    # IOB2-constrained decoding, as a CRF package has: the random model's argmax tags break IOB2 everywhere
    labels = list(tagger.schemes["ner"].labels)
    zeros = {"transitions": np.zeros((len(labels), len(labels))), "start_transitions": np.zeros(len(labels)),
             "end_transitions": np.zeros(len(labels))}
    tagger.decoders = {"ner": ViterbiDecoder(constrain(zeros, labels))}
    texts = [d.text for d in sample_splits["dev"][0][:3]]
    report = write_silver(tagger, [(str(i), t) for i, t in enumerate(texts)], tmp_path / "silver.txt",
                          min_probability=0.0, min_words=1, max_words=10_000)
    assert report.articles == 3 and report.kept + sum(report.skipped.values()) == report.sentences
    assert report.kept > 0 and set(report.skipped) <= {"no span", "an I- tag that continues no span"}
    silver, read = read_conll(tmp_path / "silver.txt")
    assert len(silver) == report.kept and sum(len(d.words) for d in silver) == report.words
    assert not read.repaired and not read.skipped  # kept sentences are valid IOB2
    predicted = {}  # each kept sentence's (words, tags), as the tagger gave them
    for prediction, text in zip(tagger.predict_documents([Document(str(i), t) for i, t in enumerate(texts)]), texts):
        words = [text[s:e] for s, e in prediction.words]
        for sentence in sentences(words):
            predicted.setdefault(tuple(words[i] for i in sentence), [prediction.tags["ner"][i] for i in sentence])
    for document in silver:
        words = tuple(document.text[s:e] for s, e in document.words)
        tags, unaligned = spans_to_tags(document.entities, document.words)
        assert not unaligned and predicted[words] == tags
