"""Tests of arabic_ie.data.features (and the WordPiece tokenizer it is fed with).

Everything runs offline: tokenizers are trained here on a few Arabic sentences with
`arabic_ie.model.tokenization.train_wordpiece`. The windowing tests build documents whose subword
layout is known exactly, so window boundaries, owned words and positions can be asserted.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
import pytest

try:  # the package may not be installed into the venv (src layout)
    import arabic_ie  # noqa: F401
except ImportError:  # pragma: no cover - depends on how the venv was set up
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from arabic_ie.data.arabic import ArabicNormalizer, WordSegmenter
from arabic_ie.data.documents import Document, Span
from arabic_ie.data.features import IGNORE_INDEX, Collator, Featurizer
from arabic_ie.data.labels import LabelScheme
from arabic_ie.model.tokenization import load_tokenizer, train_wordpiece

SENTENCES = [
    "قصفت قوات النظام بلدة نوى في ريف درعا الغربي",
    "وقصفت الطائرات الحربية مدينة درعا البلد صباح اليوم",
    "أغلقت الفرقة الرابعة مداخل المدينة وطالبت بتسليم المطلوبين",
    "و قال ناشطون إن القصف استهدف منازل المدنيين في نوى",
]
# Words the tokenizer has whole (one subword each) and words it has never seen (several subwords).
KNOWN = ["قصفت", "قوات", "النظام", "بلدة", "نوى", "في", "ريف", "درعا", "الغربي", "مدينة", "صباح", "اليوم"]
UNSEEN = ["المدافع", "نوىقوات", "قصفتقوات", "درعاالبلد", "صباحاليوم"]

NER = LabelScheme("ner", ("LOC", "ORG"))  # O B-LOC I-LOC B-ORG I-ORG -> 0 1 2 3 4
TRIGGERS = LabelScheme("triggers", ("ATTACK",))  # O B-ATTACK I-ATTACK -> 0 1 2
SCHEMES = {"ner": NER, "triggers": TRIGGERS}


@pytest.fixture(scope="module")
def tokenizer():
    normalizer = ArabicNormalizer()
    words = [normalizer(w) for s in SENTENCES for w in s.split()] * 3
    return train_wordpiece(words, vocab_size=300, min_frequency=1)


def featurizer(tokenizer, max_length=64, stride=8, segmenter=None, normalizer=None, schemes=SCHEMES):
    return Featurizer(tokenizer, segmenter or WordSegmenter(), normalizer or ArabicNormalizer(),
                      schemes, max_length, stride)


def pieces(tokenizer, word: str) -> list[int]:
    """The subword ids of one word tokenised on its own."""
    return tokenizer([word], is_split_into_words=True, add_special_tokens=False)["input_ids"]


def make_doc(words, ner=(), triggers=(), doc_id="d") -> Document:
    """A document of space-separated words; spans given as (first word, end word, label)."""
    offsets, position = [], 0
    for word in words:
        offsets.append((position, position + len(word)))
        position += len(word) + 1
    text = " ".join(words)

    def spans(items):
        return [Span(offsets[a][0], offsets[b - 1][1], label) for a, b, label in items]

    return Document(doc_id, text, spans(ner), spans(triggers))


def oracle_logits(corpus, schemes, decoy=5.0):
    """One-hot logits at every labelled position (the gold label); every other position strongly
    votes the scheme's last label, so that reading a word from a window that does not own it, or
    from a non-first subword, shows up as a wrong tag."""
    logits = {}
    for task, scheme in schemes.items():
        rows = []
        for window in corpus.windows:
            labels = np.asarray(window.labels[task])
            row = np.zeros((len(labels), len(scheme)), dtype=np.float32)
            row[:, len(scheme) - 1] = decoy
            labelled = labels != IGNORE_INDEX
            row[labelled] = 0.0
            row[labelled, labels[labelled]] = 1.0
            rows.append(row)
        logits[task] = rows
    return logits


def window_range(window, word_pieces, prefix=1, suffix=1):
    """(first word, end word) a window was built from, recovered from its owned words' positions;
    also checks that the window's content is exactly those words' subwords."""
    start, position = window.words[0], window.positions[0]
    while position > prefix:
        start -= 1
        position -= len(word_pieces[start])
    assert position == prefix
    end, content = start, []
    while len(content) < len(window.input_ids) - prefix - suffix:
        content.extend(word_pieces[end])
        end += 1
    assert window.input_ids[prefix: len(window.input_ids) - suffix] == content
    return start, end


# --------------------------------------------------------------------------------------------
# tokenizer


def test_trained_wordpiece_keeps_training_words_whole(tokenizer):
    ids = tokenizer("قصفت قوات النظام بلدة نوى")["input_ids"]
    tokens = tokenizer.convert_ids_to_tokens(ids)
    assert tokens == ["[CLS]", "قصفت", "قوات", "النظام", "بلدة", "نوى", "[SEP]"]
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids, skip_special_tokens=True) == "قصفت قوات النظام بلدة نوى"


def test_trained_wordpiece_splits_unseen_words_into_known_pieces(tokenizer):
    for word in UNSEEN:
        ids = pieces(tokenizer, word)
        assert len(ids) > 1, word
        assert tokenizer.unk_token_id not in ids, word
        assert tokenizer.decode(ids) == word
    assert pieces(tokenizer, "xyz") == [tokenizer.unk_token_id]  # letters never seen


def test_trained_wordpiece_survives_save_and_load(tokenizer, tmp_path):
    tokenizer.save_pretrained(tmp_path)
    loaded = load_tokenizer(str(tmp_path))
    sentence = "قصفت قوات النظام بلدة نوى المدافع"
    assert loaded(sentence)["input_ids"] == tokenizer(sentence)["input_ids"]
    assert loaded.unk_token_id not in loaded(sentence)["input_ids"]
    assert (loaded.pad_token, loaded.cls_token, loaded.sep_token) == ("[PAD]", "[CLS]", "[SEP]")


def test_featurizer_feeds_known_words_as_their_own_subwords(tokenizer):
    feat = featurizer(tokenizer)
    words = ["قصفت", "قوات", "النظام", "بلدة", "نوى"]
    corpus = feat.encode([make_doc(words)], with_labels=False)
    (window,) = corpus.windows
    assert window.input_ids == [tokenizer.cls_token_id] + [pieces(tokenizer, w)[0] for w in words] + [tokenizer.sep_token_id]
    assert tokenizer.unk_token_id not in window.input_ids
    assert corpus.stats["words with no subword (fed as [UNK])"] == 0


def test_featurizer_normalises_words_but_keeps_original_offsets(tokenizer):
    feat = featurizer(tokenizer)
    plain = feat.encode([make_doc(["قصفت", "قوات", "النظام"])], with_labels=False)
    text = "قَصَفَتْ قـوات النظام"  # diacritics and a tatweel
    document = Document("d", text, [Span(text.index("قـوات"), len(text), "ORG")], [Span(0, text.index(" "), "ATTACK")])
    marked = feat.encode([document])
    assert marked.windows[0].input_ids == plain.windows[0].input_ids
    assert marked.words == [[(0, 8), (9, 14), (15, 21)]]
    assert marked.gold_tags == {"ner": [["O", "B-ORG", "I-ORG"]], "triggers": [["B-ATTACK", "O", "O"]]}
    decoded = feat.decode(marked, oracle_logits(marked, SCHEMES))
    assert feat.spans(marked, decoded) == {"ner": [document.entities], "triggers": [document.triggers]}


def test_word_the_tokenizer_drops_is_fed_as_unk(tokenizer):
    """A right-to-left mark is a word for the segmenter, but a BERT normaliser removes it."""
    from tokenizers import normalizers
    from transformers import PreTrainedTokenizerFast

    backend = tokenizer.backend_tokenizer.__class__.from_str(tokenizer.backend_tokenizer.to_str())
    backend.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False,
                                                    strip_accents=False, lowercase=False)
    cleaning = PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="[PAD]", unk_token="[UNK]",
                                       cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    feat = featurizer(cleaning)
    text = "قصفت \u200f قوات"
    corpus = feat.encode([Document("d", text, [Span(7, 11, "ORG")])])
    assert corpus.words == [[(0, 4), (5, 6), (7, 11)]]
    (window,) = corpus.windows
    assert window.input_ids == [cleaning.cls_token_id, pieces(cleaning, "قصفت")[0], cleaning.unk_token_id,
                                pieces(cleaning, "قوات")[0], cleaning.sep_token_id]
    assert window.positions == [1, 2, 3]
    assert corpus.stats["words with no subword (fed as [UNK])"] == 1
    assert feat.decode(corpus, oracle_logits(corpus, SCHEMES))["ner"] == [["O", "O", "B-ORG"]]


# --------------------------------------------------------------------------------------------
# alignment


PROCLITIC_TEXT = "وقصفت قوات النظام المدافع بلدة نوى في ريف درعا"
PROCLITIC_WORDS = ["و", "قصفت", "قوات", "النظام", "المدافع", "بلدة", "نوى", "في", "ريف", "درعا"]


def proclitic_document():
    text = PROCLITIC_TEXT

    def at(phrase, label):
        start = text.index(phrase)
        return Span(start, start + len(phrase), label)

    return Document("p", text,
                    entities=[at("قوات النظام", "ORG"), at("المدافع بلدة نوى", "LOC"), at("درعا", "LOC")],
                    triggers=[at("قصفت", "ATTACK")])


def test_alignment_with_split_proclitic(tokenizer):
    document = proclitic_document()
    segmenter = WordSegmenter.from_documents([document], split_proclitics=True)
    feat = featurizer(tokenizer, segmenter=segmenter)
    corpus = feat.encode([document])

    words = corpus.words[0]
    assert [document.text[a:b] for a, b in words] == PROCLITIC_WORDS
    assert corpus.gold_tags == {
        "ner": [["O", "O", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "I-LOC", "O", "O", "B-LOC"]],
        "triggers": [["O", "B-ATTACK", "O", "O", "O", "O", "O", "O", "O", "O"]],
    }
    assert corpus.stats["triggers spans with a boundary inside a word"] == 0
    assert corpus.stats["ner spans with a boundary inside a word"] == 0
    assert corpus.stats["ner spans"] == 3 and corpus.stats["triggers spans"] == 1

    (window,) = corpus.windows
    assert window.document == 0
    assert window.words == list(range(10))
    word_pieces = [pieces(tokenizer, w) for w in PROCLITIC_WORDS]
    assert len(word_pieces[4]) > 1  # المدافع is unseen: several subwords, labelled on the first only
    expected_positions = list(1 + np.cumsum([0] + [len(p) for p in word_pieces[:-1]]))
    assert window.positions == expected_positions
    assert window.input_ids == [tokenizer.cls_token_id] + sum(word_pieces, []) + [tokenizer.sep_token_id]
    for word, position in zip(window.words, window.positions):
        assert window.input_ids[position] == word_pieces[word][0]

    expected_ids = {"ner": [0, 0, 3, 4, 1, 2, 2, 0, 0, 1], "triggers": [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]}
    for task, ids in expected_ids.items():
        labels = window.labels[task]
        assert len(labels) == len(window.input_ids)
        assert [labels[p] for p in window.positions] == ids
        unlabelled = [i for i in range(len(labels)) if i not in window.positions]
        assert unlabelled  # [CLS], [SEP] and the non-first subwords of المدافع
        assert all(labels[i] == IGNORE_INDEX for i in unlabelled)

    example = corpus.examples()[0]
    assert example == {"input_ids": window.input_ids, "labels_ner": window.labels["ner"],
                       "labels_triggers": window.labels["triggers"], "window_id": 0}


def test_alignment_without_proclitic_split_widens_the_trigger(tokenizer):
    document = proclitic_document()
    feat = featurizer(tokenizer, segmenter=WordSegmenter(split_proclitics=False))
    corpus = feat.encode([document])
    assert [document.text[a:b] for a, b in corpus.words[0]][:2] == ["وقصفت", "قوات"]
    assert corpus.gold_tags["triggers"] == [["B-ATTACK"] + ["O"] * 8]
    assert corpus.stats["triggers spans with a boundary inside a word"] == 1
    window = corpus.windows[0]
    assert window.labels["triggers"][window.positions[0]] == 1
    assert window.input_ids[window.positions[0]] == pieces(tokenizer, "وقصفت")[0]


def test_encode_without_labels(tokenizer):
    feat = featurizer(tokenizer)
    labelled = feat.encode([proclitic_document()])
    unlabelled = feat.encode([proclitic_document()], with_labels=False)
    assert [w.input_ids for w in unlabelled.windows] == [w.input_ids for w in labelled.windows]
    assert [w.positions for w in unlabelled.windows] == [w.positions for w in labelled.windows]
    assert all(w.labels == {} for w in unlabelled.windows)
    assert unlabelled.gold_tags == {"ner": [], "triggers": []}
    assert unlabelled.examples() == [{"input_ids": w.input_ids, "window_id": i} for i, w in enumerate(unlabelled.windows)]


# --------------------------------------------------------------------------------------------
# windows


def test_windows_of_one_subword_words_are_exact(tokenizer):
    """300 one-subword words, capacity 14, stride 4: windows start every 10 words, and each word is
    owned where min(left, right) context is largest."""
    words = [KNOWN[i % len(KNOWN)] for i in range(300)]
    feat = featurizer(tokenizer, max_length=16, stride=4)
    assert feat.capacity == 14
    corpus = feat.encode([make_doc(words)], with_labels=False)
    assert corpus.stats["windows"] == len(corpus.windows) == 30
    ranges = [window_range(w, [pieces(tokenizer, x) for x in words]) for w in corpus.windows]
    assert ranges == [(10 * k, 10 * k + 14) for k in range(29)] + [(290, 300)]
    assert corpus.windows[0].words == list(range(0, 12))
    for k in range(1, 29):
        assert corpus.windows[k].words == list(range(10 * k + 2, 10 * k + 12))
    assert corpus.windows[29].words == list(range(292, 300))
    # word 11 sits in windows 0 (context min(11, 2) = 2) and 1 (min(1, 12) = 1): owned by 0;
    # word 12 sits in windows 0 (min(12, 1) = 1) and 1 (min(2, 11) = 2): owned by 1.
    assert corpus.windows[0].positions[-1] == 12 and corpus.windows[1].positions[0] == 3
    for window in corpus.windows:
        assert len(window.input_ids) <= 16


def mixed_words(n, seed=0):
    rng = random.Random(seed)
    return [rng.choice(UNSEEN) if rng.random() < 0.4 else rng.choice(KNOWN) for _ in range(n)]


def spans_everywhere(n, seed=1):
    """Non-overlapping spans of 1 to 4 words spread over n words, for both tasks."""
    rng = random.Random(seed)
    ner, triggers, i = [], [], 0
    while i < n:
        length = rng.randint(1, 4)
        if i + length <= n and rng.random() < 0.6:
            ner.append((i, i + length, rng.choice(["LOC", "ORG"])))
        i += length + rng.randint(0, 2)
    triggers = [(i, i + (2 if i % 3 == 0 else 1), "ATTACK") for i in range(0, n - 2, 5)]
    return ner, triggers


def test_windows_of_a_long_document(tokenizer):
    words = mixed_words(300)
    ner, triggers = spans_everywhere(300)
    document = make_doc(words, ner, triggers)
    max_length, stride = 16, 4
    feat = featurizer(tokenizer, max_length=max_length, stride=stride)
    corpus = feat.encode([document])
    word_pieces = [pieces(tokenizer, w) for w in words]
    assert max(len(p) for p in word_pieces) > 1 and corpus.stats["words longer than a window (subwords cut)"] == 0
    offsets = np.concatenate([[0], np.cumsum([len(p) for p in word_pieces])])

    windows = corpus.windows
    assert len(windows) > 10
    owned = sorted(word for w in windows for word in w.words)
    assert owned == list(range(300))  # every word owned by exactly one window

    ranges = [window_range(w, word_pieces) for w in windows]
    assert ranges[0][0] == 0 and ranges[-1][1] == 300
    for (s1, e1), (s2, e2) in zip(ranges, ranges[1:]):
        assert s1 < s2 <= e1  # consecutive windows overlap or touch, and move on
        assert offsets[e1] - offsets[s2] <= stride  # overlap at most `stride` subwords
        assert offsets[e1 + 1] - offsets[s1] > feat.capacity  # each window is as full as it can be
    for window, (start, end) in zip(windows, ranges):
        assert window.input_ids[0] == tokenizer.cls_token_id and window.input_ids[-1] == tokenizer.sep_token_id
        assert len(window.input_ids) <= max_length
        assert offsets[end] - offsets[start] <= feat.capacity
        for word, position in zip(window.words, window.positions):
            assert window.input_ids[position] == word_pieces[word][0]
            assert position == 1 + offsets[word] - offsets[start]

    def context(word, start, end):
        return min(offsets[word] - offsets[start], offsets[end] - offsets[word + 1])

    # each word is owned by the window where it has the most context on its poorer side (the
    # earlier window on a tie)
    in_overlap = 0
    for word in range(300):
        holders = [n for n, (s, e) in enumerate(ranges) if s <= word < e]
        in_overlap += len(holders) > 1
        contexts = [context(word, *ranges[n]) for n in holders]
        best = holders[contexts.index(max(contexts))]
        assert word in windows[best].words
    assert in_overlap > 10

    # a concrete word in the first overlap
    (s0, e0), (s1, e1) = ranges[0], ranges[1]
    shared = [w for w in range(s1, e0)]
    assert shared
    for word in shared:
        first, second = context(word, s0, e0), context(word, s1, e1)
        expected = 0 if first >= second else 1
        assert word in windows[expected].words and word not in windows[1 - expected].words

    # labels: -100 except at owned words' first subwords, where they are the gold tag's id
    for window in windows:
        for task, scheme in SCHEMES.items():
            labels = window.labels[task]
            assert len(labels) == len(window.input_ids)
            assert [labels[p] for p in window.positions] == [scheme.label2id[corpus.gold_tags[task][0][w]] for w in window.words]
            assert sum(label != IGNORE_INDEX for label in labels) == len(window.positions)

    # spans -> windows -> spans round-trips exactly, including spans cut by window boundaries
    owner = {word: n for n, w in enumerate(windows) for word in w.words}
    crossing = [(a, b) for a, b, _ in ner if len({owner[i] for i in range(a, b)}) > 1]
    assert crossing  # some spans have words owned by different windows
    decoded = feat.decode(corpus, oracle_logits(corpus, SCHEMES))
    assert decoded == corpus.gold_tags
    assert feat.spans(corpus, decoded) == {"ner": [sorted(document.entities)], "triggers": [sorted(document.triggers)]}


def test_decode_reads_padded_logit_rows(tokenizer):
    """Logit rows as the Trainer returns them, padded to the batch's longest window."""
    words = mixed_words(120, seed=3)
    ner, triggers = spans_everywhere(120, seed=4)
    feat = featurizer(tokenizer, max_length=16, stride=4)
    corpus = feat.encode([make_doc(words, ner, triggers)])
    logits = oracle_logits(corpus, SCHEMES)
    longest = max(len(w.input_ids) for w in corpus.windows)
    padded = {task: [np.pad(row, ((0, longest - len(row)), (0, 0)), constant_values=9.0) for row in rows]
              for task, rows in logits.items()}
    assert feat.decode(corpus, padded) == corpus.gold_tags


def test_window_owned_words_choose_the_most_context_in_overlap(tokenizer):
    """Hand-checked: capacity 6, stride 3, words of 1, 1, 2, 1, 1, 1, 1, 1 subwords."""
    # WordPiece training may break ties differently from run to run: take a word of two subwords
    candidates = ["درعاال", "قواتال", "بلدةال", "قصفتال", "درعان", "قواتن"]
    two = next((w for w in candidates if len(pieces(tokenizer, w)) == 2), None)
    assert two is not None, [tokenizer.convert_ids_to_tokens(pieces(tokenizer, w)) for w in candidates]
    words = ["قصفت", "قوات", two, "بلدة", "نوى", "في", "ريف", "درعا"]
    feat = featurizer(tokenizer, max_length=8, stride=3)
    corpus = feat.encode([make_doc(words)], with_labels=False)
    ranges = [window_range(w, [pieces(tokenizer, x) for x in words]) for w in corpus.windows]
    # window 0: words 0-4 (6 subwords); the next starts at word 3, the first word within 3
    # subwords of window 0's end (word 2 starts 4 subwords back), and holds words 3-7 (5 subwords).
    assert ranges == [(0, 5), (3, 8)]
    # word 3: min(4, 1) = 1 in window 0, min(0, 4) = 0 in window 1 -> window 0
    # word 4: min(5, 0) = 0 in window 0, min(1, 3) = 1 in window 1 -> window 1
    assert corpus.windows[0].words == [0, 1, 2, 3]
    assert corpus.windows[1].words == [4, 5, 6, 7]
    assert corpus.windows[1].positions == [2, 3, 4, 5]


@pytest.mark.timeout(20)  # an uncut word would never fit a window: windowing would loop forever
def test_word_longer_than_a_window_is_cut_but_predicted(tokenizer):
    long_word = "ق" * 20
    assert len(pieces(tokenizer, long_word)) > 14
    words = ["قصفت", "قوات", long_word, "بلدة", "نوى"]
    document = make_doc(words, ner=[(1, 2, "ORG"), (2, 4, "LOC")], triggers=[(0, 1, "ATTACK")])
    feat = featurizer(tokenizer, max_length=16, stride=4)
    corpus = feat.encode([document])
    assert corpus.stats["words longer than a window (subwords cut)"] == 1
    holder = [w for w in corpus.windows if 2 in w.words]
    assert len(holder) == 1
    (window,) = holder
    assert len(window.input_ids) == 16
    assert window.input_ids[1:15] == pieces(tokenizer, long_word)[:14]
    assert window.positions[window.words.index(2)] == 1
    assert sorted(word for w in corpus.windows for word in w.words) == [0, 1, 2, 3, 4]
    assert all(len(w.input_ids) <= 16 for w in corpus.windows)
    decoded = feat.decode(corpus, oracle_logits(corpus, SCHEMES))
    assert decoded["ner"] == [["O", "B-ORG", "B-LOC", "I-LOC", "O"]]
    assert feat.spans(corpus, decoded) == {"ner": [document.entities], "triggers": [document.triggers]}


def test_empty_document_has_no_windows_and_decodes_to_nothing(tokenizer):
    feat = featurizer(tokenizer, max_length=16, stride=4)
    empty = Document("e", "")
    corpus = feat.encode([empty])
    assert corpus.windows == [] and corpus.words == [[]]
    assert corpus.gold_tags == {"ner": [[]], "triggers": [[]]}
    assert feat.decode(corpus, {"ner": [], "triggers": []}) == {"ner": [[]], "triggers": [[]]}
    assert feat.spans(corpus, {"ner": [[]], "triggers": [[]]}) == {"ner": [[]], "triggers": [[]]}


def test_empty_documents_among_others_keep_document_indices(tokenizer):
    feat = featurizer(tokenizer, max_length=16, stride=4)
    document = make_doc(mixed_words(40, seed=5), *spans_everywhere(40, seed=6), doc_id="full")
    corpus = feat.encode([Document("e1", ""), document, Document("e2", "")])
    assert corpus.stats["documents"] == 3 and corpus.stats["words"] == 40
    assert corpus.windows and all(w.document == 1 for w in corpus.windows)
    decoded = feat.decode(corpus, oracle_logits(corpus, SCHEMES))
    assert decoded["ner"][0] == [] and decoded["ner"][2] == []
    assert decoded == corpus.gold_tags
    spans = feat.spans(corpus, decoded)
    assert spans["ner"] == [[], sorted(document.entities), []]


def test_several_documents_are_windowed_separately(tokenizer):
    feat = featurizer(tokenizer, max_length=16, stride=4)
    documents = [make_doc(mixed_words(n, seed=n), *spans_everywhere(n, seed=n + 1), doc_id=str(n)) for n in (7, 60, 33)]
    corpus = feat.encode(documents)
    numbers = [w.document for w in corpus.windows]
    assert numbers == sorted(numbers) and set(numbers) == {0, 1, 2}
    for index, document in enumerate(documents):
        owned = sorted(word for w in corpus.windows if w.document == index for word in w.words)
        assert owned == list(range(len(corpus.words[index])))
    decoded = feat.decode(corpus, oracle_logits(corpus, SCHEMES))
    assert decoded == corpus.gold_tags
    assert feat.spans(corpus, decoded)["ner"] == [sorted(d.entities) for d in documents]


def test_decode_raises_when_a_word_has_no_prediction(tokenizer):
    feat = featurizer(tokenizer, max_length=16, stride=4)
    corpus = feat.encode([make_doc(mixed_words(50))])
    logits = oracle_logits(corpus, SCHEMES)
    with pytest.raises(RuntimeError, match="got no prediction"):
        feat.decode(corpus, {task: rows[:-1] for task, rows in logits.items()})


def test_document_of_1894_words_loses_no_word(tokenizer, monkeypatch):
    # a pretrained tokenizer has a model_max_length; it must not truncate a whole document
    monkeypatch.setattr(tokenizer, "model_max_length", 128)
    sentence = "قصفت قوات النظام بلدة نوى في ريف درعا الغربي صباح اليوم المدافع".split()
    words = (sentence * 200)[:1894]
    n = len(sentence)
    ner = [(i, i + 2, "ORG") for i in range(1, 1894 - 2, n)] + [(i, i + 2, "LOC") for i in range(3, 1894 - 2, n)]
    triggers = [(i, i + 1, "ATTACK") for i in range(0, 1894, n)]
    document = make_doc(words, ner, triggers)
    feat = featurizer(tokenizer, max_length=128, stride=32)
    corpus = feat.encode([document])
    assert corpus.stats["words"] == 1894 and len(corpus.words[0]) == 1894
    assert len(corpus.windows) > 1
    assert all(len(w.input_ids) <= 128 for w in corpus.windows)
    assert sorted(word for w in corpus.windows for word in w.words) == list(range(1894))
    decoded = feat.decode(corpus, oracle_logits(corpus, SCHEMES))
    assert len(decoded["ner"][0]) == 1894 and None not in decoded["ner"][0]
    assert decoded == corpus.gold_tags
    assert feat.spans(corpus, decoded) == {"ner": [sorted(document.entities)], "triggers": [sorted(document.triggers)]}


def test_sample_brat_documents_round_trip_through_small_windows():
    from arabic_ie.data.formats import read_brat
    from arabic_ie.data.labels import tags_to_spans

    root = Path(__file__).resolve().parents[1] / "data" / "sample"
    documents, _ = read_brat(root / "train")
    documents = documents[:8]
    normalizer = ArabicNormalizer()
    segmenter = WordSegmenter.from_documents(documents, split_proclitics=True)
    words = [normalizer(d.text[s:e]) or d.text[s:e] for d in documents for s, e in segmenter.words(d.text)]
    tokenizer = train_wordpiece(words, vocab_size=2000, min_frequency=1)
    schemes = {"ner": LabelScheme.from_documents("ner", documents), "triggers": LabelScheme.from_documents("triggers", documents)}
    feat = Featurizer(tokenizer, segmenter, normalizer, schemes, max_length=32, stride=8)
    corpus = feat.encode(documents)
    assert corpus.stats["words with no subword (fed as [UNK])"] == 0
    unk = sum(ids.count(tokenizer.unk_token_id) for ids in (w.input_ids for w in corpus.windows))
    assert unk == 0  # every character of the training text is in the vocabulary
    for index, document in enumerate(documents):
        owned = sorted(word for w in corpus.windows if w.document == index for word in w.words)
        assert owned == list(range(len(corpus.words[index])))
    decoded = feat.decode(corpus, oracle_logits(corpus, schemes))
    assert decoded == corpus.gold_tags
    spans = feat.spans(corpus, decoded)
    for task in schemes:
        for tags, words_, predicted in zip(corpus.gold_tags[task], corpus.words, spans[task]):
            assert predicted == tags_to_spans(tags, words_)[0]
    # spans that line up with words come back exactly
    aligned = total = 0
    for index, document in enumerate(documents):
        starts = {a for a, _ in corpus.words[index]}
        ends = {b for _, b in corpus.words[index]}
        for span in document.entities:
            total += 1
            if span.start in starts and span.end in ends:
                aligned += 1
                assert span in spans["ner"][index]
    assert aligned > 0.8 * total


# --------------------------------------------------------------------------------------------
# collator and configuration


def test_collator_pads_inputs_masks_and_labels():
    import torch

    collate = Collator(pad_token_id=0)
    batch = collate([
        {"input_ids": [2, 7, 3], "labels_ner": [-100, 1, -100], "labels_triggers": [-100, 0, -100], "window_id": 4},
        {"input_ids": [2, 7, 8, 9, 3], "labels_ner": [-100, 0, 2, 1, -100], "labels_triggers": [-100, 1, 0, 0, -100], "window_id": 1},
    ])
    assert set(batch) == {"input_ids", "attention_mask", "labels_ner", "labels_triggers", "window_id"}
    assert batch["input_ids"].tolist() == [[2, 7, 3, 0, 0], [2, 7, 8, 9, 3]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]
    assert batch["labels_ner"].tolist() == [[-100, 1, -100, -100, -100], [-100, 0, 2, 1, -100]]
    assert batch["labels_triggers"].tolist() == [[-100, 0, -100, -100, -100], [-100, 1, 0, 0, -100]]
    assert batch["window_id"].tolist() == [4, 1]
    for key in batch:
        assert batch[key].dtype == torch.long


def test_collator_without_labels_or_window_ids():
    batch = Collator(pad_token_id=5)([{"input_ids": [1]}, {"input_ids": [1, 2, 3]}])
    assert set(batch) == {"input_ids", "attention_mask"}
    assert batch["input_ids"].tolist() == [[1, 5, 5], [1, 2, 3]]
    assert batch["attention_mask"].tolist() == [[1, 0, 0], [1, 1, 1]]


def test_collator_on_encoded_windows(tokenizer):
    feat = featurizer(tokenizer, max_length=16, stride=4)
    corpus = feat.encode([make_doc(mixed_words(80, seed=7), *spans_everywhere(80, seed=8))])
    examples = corpus.examples()
    lengths = [len(e["input_ids"]) for e in examples]
    assert len(set(lengths)) > 1
    batch = Collator(tokenizer.pad_token_id)(examples)
    longest = max(lengths)
    assert batch["input_ids"].shape == (len(examples), longest)
    assert batch["window_id"].tolist() == list(range(len(examples)))
    for row, example in enumerate(examples):
        n = len(example["input_ids"])
        assert batch["input_ids"][row].tolist() == example["input_ids"] + [tokenizer.pad_token_id] * (longest - n)
        assert batch["attention_mask"][row].tolist() == [1] * n + [0] * (longest - n)
        assert batch["labels_ner"][row].tolist() == example["labels_ner"] + [IGNORE_INDEX] * (longest - n)


@pytest.mark.parametrize("max_length, stride, message", [
    (16, 14, r"stride \(window overlap\) 14 must be in \[0, 14\)"),
    (16, 20, r"stride \(window overlap\) 20 must be in \[0, 14\)"),
    (16, -1, r"stride \(window overlap\) -1 must be in \[0, 14\)"),
    (2, 0, "max_length 2 leaves no room besides the special tokens"),
    (1, 0, "max_length 1 leaves no room besides the special tokens"),
])
def test_featurizer_rejects_bad_window_settings(tokenizer, max_length, stride, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        featurizer(tokenizer, max_length=max_length, stride=stride)


@pytest.mark.parametrize("max_length, stride", [(16, 13), (16, 0), (3, 0)])
def test_featurizer_accepts_window_settings_below_capacity(tokenizer, max_length, stride):
    feat = featurizer(tokenizer, max_length=max_length, stride=stride)
    assert feat.capacity == max_length - 2 and feat.stride == stride
    assert (feat.prefix, feat.suffix) == ([tokenizer.cls_token_id], [tokenizer.sep_token_id])


def test_stride_zero_gives_disjoint_windows(tokenizer):
    words = [KNOWN[i % len(KNOWN)] for i in range(30)]
    feat = featurizer(tokenizer, max_length=12, stride=0)
    corpus = feat.encode([make_doc(words)], with_labels=False)
    assert [w.words for w in corpus.windows] == [list(range(0, 10)), list(range(10, 20)), list(range(20, 30))]


def test_wordpiece_training_is_reproducible():
    """The plain tokenizers trainer gives a different vocabulary on almost every call on this data
    (huggingface/tokenizers#1794); train_wordpiece must not."""
    from arabic_ie.data.formats import read_brat

    documents, _ = read_brat(Path(__file__).resolve().parents[1] / "data" / "sample" / "train")
    words = [w for d in documents for w in d.text.split()]
    vocabularies = {tuple(sorted(train_wordpiece(words, 16000, 2).get_vocab().items())) for _ in range(4)}
    assert len(vocabularies) == 1
    (vocabulary,) = vocabularies
    tokenizer = train_wordpiece(words, 16000, 2)
    assert tokenizer.all_special_tokens and all(not t.startswith("##") for t in tokenizer.all_special_tokens)
    assert "##ت" in dict(vocabulary)
