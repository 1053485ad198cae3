"""Document context (data.join_sentences): consecutive CoNLL sentences joined into documents,
scored back on the sentences."""

from __future__ import annotations

from arabic_ie.data.context import join_sentences, sentence_bounds, split_sentences
from arabic_ie.data.formats import read_conll
from arabic_ie.data.labels import spans_to_tags

CONLL = """\
أعلن O
اتحاد B-ORG
الكرة I-ORG

ذهب O
محمد B-PERS

علي I-PERS
إلى O
دمشق B-LOC

قال O
"""


def test_joined_sentences_keep_every_span_and_split_back_exactly(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text(CONLL, encoding="utf-8")
    sentences, _ = read_conll(path)  # the third sentence starts with I-: read as a span start
    joined = join_sentences(sentences, max_words=6)
    assert [len(d.words) for d in joined] == [5, 4]
    for document in joined:
        document.validate()
        assert [document.text[s:e] for s, e in document.words] == document.text.split()
    gold = [spans_to_tags(d.entities, d.words)[0] for d in sentences]
    joined_tags = [spans_to_tags(d.entities, d.words)[0] for d in joined]
    assert split_sentences(joined, [d.words for d in joined], joined_tags) == gold
    assert [d.text[s.start:s.end] for d in joined for s in d.entities] == ["اتحاد الكرة", "محمد", "علي", "دمشق"]
    # a predicted I- at a sentence start continues no span of the previous sentence once split
    predicted = [["O", "B-ORG", "I-ORG", "O", "B-PERS"], ["B-PERS", "O", "B-LOC", "I-LOC"]]
    per_sentence = split_sentences(joined, [d.words for d in joined], predicted)
    assert per_sentence[2:] == [["B-PERS", "O", "B-LOC"], ["I-LOC"]]
    assert sentence_bounds(joined[1].text, joined[1].words) == [(0, 3), (3, 4)]


def test_zero_keeps_one_document_per_sentence(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text(CONLL, encoding="utf-8")
    sentences, _ = read_conll(path)
    assert join_sentences(sentences, 0) == sentences
    assert join_sentences(sentences, 2)[0] is sentences[0]  # a sentence longer than N stays alone


def test_package_evaluation_scores_joined_documents_on_their_sentences(tmp_path):
    from types import SimpleNamespace

    from arabic_ie.data.labels import LabelScheme
    from arabic_ie.infer.evaluation import score_predictions

    path = tmp_path / "x.txt"
    path.write_text(CONLL, encoding="utf-8")
    sentences, _ = read_conll(path)
    joined = join_sentences(sentences, max_words=6)
    # the second joined document's prediction continues the LOC span across the join into قال
    predicted = [["O", "B-ORG", "I-ORG", "O", "B-PERS"], ["B-PERS", "O", "B-LOC", "I-LOC"]]
    predictions = [SimpleNamespace(words=d.words, tags={"ner": t}, spans={"ner": []}) for d, t in zip(joined, predicted)]
    schemes = {"ner": LabelScheme("ner", ("LOC", "ORG", "PERS"))}
    per_sentence = score_predictions(joined, predictions, schemes, sentences=True)["ner"]["seqeval"]
    joined_scores = score_predictions(joined, predictions, schemes)["ner"]["seqeval"]
    # per sentence: every gold span found, one spurious LOC (the lone I-LOC); joined: دمشق is missed
    assert per_sentence["default"]["micro"]["recall"] == 1.0 and per_sentence["default"]["micro"]["precision"] == 0.8
    assert joined_scores["default"]["micro"]["recall"] == 0.75
