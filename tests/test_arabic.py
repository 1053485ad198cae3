"""Arabic normalisation and word segmentation (offsets into the original text, proclitics)."""

from __future__ import annotations

import pytest

from arabic_ie.data.arabic import ArabicNormalizer, WordSegmenter, bare
from arabic_ie.data.documents import Document, Span

# ---------------------------------------------------------------------------------------------
# ArabicNormalizer
# ---------------------------------------------------------------------------------------------


def test_normalizer_defaults_remove_diacritics_and_tatweel_only():
    normalize = ArabicNormalizer()
    assert normalize("مُحَمَّدٌ") == "محمد"
    assert normalize("هٰذا") == "هذا"  # superscript alef
    assert normalize("العـــربية") == "العربية"
    assert normalize("سُـــورِيَّة") == "سورية"
    # letters are kept by default
    assert normalize("أإآى ة") == "أإآى ة"


def test_normalizer_letters():
    normalize = ArabicNormalizer(normalize_letters=True)
    assert normalize("أحمد إدلب آذار ٱلله") == "احمد ادلب اذار الله"
    assert normalize("مستشفى") == "مستشفي"
    assert normalize("مدرسة") == "مدرسه"
    assert normalize("إِسْلامِيّة") == "اسلاميه"


def test_normalizer_switches_off():
    assert ArabicNormalizer(remove_diacritics=False)("مُحَمَّد") == "مُحَمَّد"
    assert ArabicNormalizer(remove_tatweel=False)("العـربية") == "العـربية"
    assert ArabicNormalizer(remove_diacritics=False, remove_tatweel=False)("قـَصف") == "قـَصف"


def test_bare():
    assert bare("نَوى") == "نوى"
    assert bare("الـجيش") == "الجيش"
    assert bare("أحمد") == "أحمد"  # no letter normalisation in the lexicon skeleton


# ---------------------------------------------------------------------------------------------
# WordSegmenter.words: offsets into the original text
# ---------------------------------------------------------------------------------------------


def strings(text, words):
    return [text[s:e] for s, e in words]


def test_punctuation_and_quotes_are_words_of_their_own():
    text = "قال فصيل “شباب السنة”: نعم."
    words = WordSegmenter().words(text)
    assert words == [(0, 3), (4, 8), (9, 10), (10, 14), (15, 20), (20, 21), (21, 22), (23, 26), (26, 27)]
    assert strings(text, words) == ["قال", "فصيل", "“", "شباب", "السنة", "”", ":", "نعم", "."]


def test_digits_brackets_and_arabic_punctuation():
    text = "موقع «حوران 24» (المحلي)، الخميس؟\nنعم"
    words = WordSegmenter().words(text)
    assert strings(text, words) == ["موقع", "«", "حوران", "24", "»", "(", "المحلي", ")", "،", "الخميس", "؟", "نعم"]
    assert words[3] == (12, 14) and words[-1] == (34, 37)


def test_diacritics_and_tatweel_stay_inside_the_word():
    text = "قَصَفَ العـــدو"
    assert WordSegmenter().words(text) == [(0, 6), (7, 15)]
    assert strings(text, WordSegmenter().words(text)) == ["قَصَفَ", "العـــدو"]


def test_offsets_index_original_text_with_crlf_and_multiple_spaces():
    text = "  نوى\r\n\r\nوبصرى   الشام  "
    words = WordSegmenter().words(text)
    assert words == [(2, 5), (9, 14), (17, 22)]
    assert strings(text, words) == ["نوى", "وبصرى", "الشام"]


# ---------------------------------------------------------------------------------------------
# Proclitic splitting (span rule 1 of the annotation scheme)
# ---------------------------------------------------------------------------------------------


def split(word, lexicon=(), **kwargs):
    segmenter = WordSegmenter(split_proclitics=True, lexicon=set(lexicon), **kwargs)
    return strings(word, segmenter.words(word))


@pytest.mark.parametrize(
    "word, lexicon, parts",
    [
        ("ونوى", {"نوى"}, ["و", "نوى"]),  # stem seen standalone
        ("ونوى", set(), ["ونوى"]),  # ... and not seen: kept whole
        ("وزير", {"نوى"}, ["وزير"]),
        ("بلدة", {"نوى"}, ["بلدة"]),
        ("بالقرب", set(), ["ب", "القرب"]),  # definite article after the proclitic
        ("والمدينة", set(), ["و", "المدينة"]),
        ("للتفاوض", set(), ["ل", "لتفاوض"]),  # ل + ال contraction: only the first ل goes
        ("وبالقرب", set(), ["و", "ب", "القرب"]),  # two proclitics
        ("وللتفاوض", set(), ["و", "ل", "لتفاوض"]),
        ("وقصفت", {"قصفت"}, ["و", "قصفت"]),
        ("بانسحاب", {"انسحاب"}, ["ب", "انسحاب"]),
        ("لاتفاق", {"اتفاق"}, ["ل", "اتفاق"]),
        ("لاتفاق", set(), ["لاتفاق"]),
        ("لوكالة", {"وكالة"}, ["ل", "وكالة"]),  # the و of وكالة is not a second proclitic
        ("والي", set(), ["والي"]),  # ال + one letter is too short to be a stem
        ("ولد", {"لد"}, ["ولد"]),  # stem shorter than min_stem_length
        ("و2022", {"2022"}, ["و2022"]),  # a stem must start with a letter
        ("فبالتالي", set(), ["ف", "ب", "التالي"]),
    ],
)
def test_proclitic_cases(word, lexicon, parts):
    assert split(word, lexicon) == parts


def test_at_most_two_proclitics():
    # every stem is in the lexicon, yet only two proclitics are split: the third stays on the word
    assert split("وفبكمين", {"فبكمين", "بكمين", "كمين"}) == ["و", "ف", "بكمين"]
    assert split("وبكمين", {"بكمين", "كمين"}) == ["و", "ب", "كمين"]


def test_min_stem_length_is_configurable():
    assert split("ولد", {"لد"}, min_stem_length=2) == ["و", "لد"]


def test_diacritic_on_the_proclitic_stays_with_it():
    text = "وَالجيش"
    words = WordSegmenter(split_proclitics=True).words(text)
    assert words == [(0, 2), (2, 7)]
    assert strings(text, words) == ["وَ", "الجيش"]
    # with a diacritised stem looked up through its bare form
    text = "وَنَوى"
    assert strings(text, WordSegmenter(split_proclitics=True, lexicon={"نوى"}).words(text)) == ["وَ", "نَوى"]


def test_split_in_running_text_keeps_offsets():
    text = "قصفت القوات بالقرب من ونوى، والجيش"
    words = WordSegmenter(split_proclitics=True, lexicon={"نوى"}).words(text)
    assert words == [(0, 4), (5, 11), (12, 13), (13, 18), (19, 21), (22, 23), (23, 26), (26, 27), (28, 29), (29, 34)]
    assert strings(text, words) == ["قصفت", "القوات", "ب", "القرب", "من", "و", "نوى", "،", "و", "الجيش"]


def test_split_proclitics_false_leaves_words_whole():
    text = "وبالقرب من ونوى والجيش"
    segmenter = WordSegmenter(split_proclitics=False, lexicon={"نوى"})
    assert strings(text, segmenter.words(text)) == ["وبالقرب", "من", "ونوى", "والجيش"]


def test_contraction_keeps_the_article_when_stem_in_lexicon():
    assert split("للتفاوض", {"تفاوض"}) == ["ل", "لتفاوض"]


# ---------------------------------------------------------------------------------------------
# Given (CoNLL) words, lexicon, serialisation
# ---------------------------------------------------------------------------------------------


def test_given_words_are_respected():
    text = "د. سامر والجيش"
    given = [(0, 2), (3, 7), (8, 14)]  # "د." is one token here, the regex would make two
    assert WordSegmenter().words(text) == [(0, 1), (1, 2), (3, 7), (8, 14)]
    whole = WordSegmenter(split_proclitics=False).words(text, given)
    assert whole == given and whole is not given
    assert WordSegmenter(split_proclitics=True).words(text, given) == [(0, 2), (3, 7), (8, 9), (9, 14)]


def test_from_documents_lexicon():
    text = "قصفت ونَوى"
    documents = [Document("d", text, entities=[Span(6, 10, "LOC")], triggers=[Span(0, 4, "ATTACK")])]
    segmenter = WordSegmenter.from_documents(documents, split_proclitics=True)
    # the bare words of the text, plus the bare first word of each gold span (نوى after و)
    assert segmenter.lexicon == {"قصفت", "ونوى", "نوى"}
    assert segmenter.split_proclitics is True
    assert strings(text, segmenter.words(text)) == ["قصفت", "و", "نَوى"]
    # no splitting: no lexicon needed
    assert WordSegmenter.from_documents(documents, split_proclitics=False) == WordSegmenter()


def test_from_documents_uses_given_words():
    documents = [Document("d", "د.ت نوى", words=[(0, 3), (4, 7)])]
    segmenter = WordSegmenter.from_documents(documents, split_proclitics=True, min_stem_length=2)
    assert segmenter.lexicon == {"د.ت", "نوى"}
    assert segmenter.min_stem_length == 2


def test_to_dict_from_dict_round_trip():
    segmenter = WordSegmenter(split_proclitics=True, lexicon={"نوى", "القرب", "تفاوض"}, min_stem_length=4)
    data = segmenter.to_dict()
    assert data == {"split_proclitics": True, "min_stem_length": 4, "lexicon": ["القرب", "تفاوض", "نوى"]}
    restored = WordSegmenter.from_dict(data)
    assert restored == segmenter
    assert WordSegmenter.from_dict({"split_proclitics": False}) == WordSegmenter()
