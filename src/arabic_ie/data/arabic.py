"""Arabic text handling: the normalisation pretrained models expect, and segmentation of the
original text into words (pre-tokens) with character offsets, proclitics optionally split off.

Normalisation is applied to each word's string only; words keep their offsets into the original
text, so predictions always map back to the text the user gave.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Harakat, tanween, shadda, sukun, superscript alef, Quranic marks.
DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed]")
TATWEEL = "\u0640"
LETTER_MAP = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
# A word is a run of letters, digits, combining marks or tatweel; any other visible character
# (punctuation, quotes, brackets, symbols) is a word of its own.
WORD = re.compile(r"[\w\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]+|[^\w\s]", re.UNICODE)
# Attached conjunctions and prepositions that the annotation scheme keeps outside spans.
PROCLITICS = frozenset("وفبلك")
DEFINITE_ARTICLE = "ال"


@dataclass(frozen=True)
class ArabicNormalizer:
    """What a model's pretraining text looked like: configurable per model config."""

    remove_diacritics: bool = True
    remove_tatweel: bool = True
    normalize_letters: bool = False  # أ إ آ ٱ -> ا, ى -> ي, ة -> ه (some models were trained so)

    def __call__(self, word: str) -> str:
        if self.remove_diacritics:
            word = DIACRITICS.sub("", word)
        if self.remove_tatweel:
            word = word.replace(TATWEEL, "")
        if self.normalize_letters:
            word = word.translate(LETTER_MAP)
        return word


def bare(word: str) -> str:
    """The skeleton used for lexicon look-ups: no diacritics, no tatweel."""
    return DIACRITICS.sub("", word).replace(TATWEEL, "")


def _is_contraction(clitic: str, rest: str) -> bool:
    """ل + ال contracts to لل (للتفاوض): only the first ل is a proclitic."""
    return clitic == "ل" and rest.startswith("ل") and len(rest) > 3


@dataclass
class WordSegmenter:
    """Splits text into words with offsets; optionally splits proclitics into their own words.

    A leading و ف ب ل ك is split off only when what remains is a plausible word on its own:
    it starts with the definite article (والمدينة, بالقرب), it continues a ل+ال contraction
    (للتفاوض -> ل + لتفاوض), or it is in the lexicon of words seen standalone in the training text
    (ونوى -> و + نوى when نوى occurs alone). This keeps وزير and بلدة whole. At most two proclitics
    are split (وبالقرب -> و + ب + القرب).
    """

    split_proclitics: bool = False
    lexicon: set[str] = field(default_factory=set)
    min_stem_length: int = 3

    def words(self, text: str, given: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
        """Word offsets for `text`; `given` are pre-tokenised word offsets (CoNLL) to refine."""
        spans = given if given is not None else [m.span() for m in WORD.finditer(text)]
        if not self.split_proclitics:
            return list(spans)
        out = []
        for start, end in spans:
            for cut in self.proclitic_cuts(text[start:end]):
                out.append((start, start + cut))
                start += cut
            out.append((start, end))
        return out

    def proclitic_cuts(self, word: str) -> list[int]:
        """Lengths of the proclitics to split off the front of `word`, in order."""
        cuts, position, previous = [], 0, None
        while len(cuts) < 2 and position < len(word) and word[position] in PROCLITICS:
            after = position + 1
            while after < len(word) and DIACRITICS.fullmatch(word[after]):
                after += 1
            rest = bare(word[after:])
            if not self._is_stem(rest, word[position], previous):
                break
            cuts.append(after - position)
            if _is_contraction(word[position], rest):
                break  # the second ل of لل is the article's: it stays with the stem
            previous, position = word[position], after
        return cuts

    def _is_stem(self, rest: str, clitic: str, previous: str | None) -> bool:
        if len(rest) < self.min_stem_length or not rest[0].isalpha():
            return False
        if rest.startswith(DEFINITE_ARTICLE) and len(rest) > len(DEFINITE_ARTICLE) + 1:
            return True
        if _is_contraction(clitic, rest):
            return True
        if rest in self.lexicon:
            return True
        return rest[0] in PROCLITICS and previous is None and self._is_stem(rest[1:], rest[0], clitic)

    @classmethod
    def from_documents(cls, documents, split_proclitics: bool, min_stem_length: int = 3) -> "WordSegmenter":
        """Lexicon: the bare words of the training texts, plus the stems that gold spans start at
        right after a proclitic (the annotation tells us those are words)."""
        lexicon: set[str] = set()
        if split_proclitics:
            for document in documents:
                for start, end in (document.words or [m.span() for m in WORD.finditer(document.text)]):
                    lexicon.add(bare(document.text[start:end]))
                for span in document.entities + document.triggers:
                    lexicon.add(bare(span.text_in(document.text).split()[0]))
        return cls(split_proclitics=split_proclitics, lexicon=lexicon, min_stem_length=min_stem_length)

    def to_dict(self) -> dict:
        return {"split_proclitics": self.split_proclitics, "min_stem_length": self.min_stem_length,
                "lexicon": sorted(self.lexicon)}

    @classmethod
    def from_dict(cls, data: dict) -> "WordSegmenter":
        return cls(split_proclitics=data["split_proclitics"], lexicon=set(data.get("lexicon", [])),
                   min_stem_length=data.get("min_stem_length", 3))
