"""The words fine-tuning feeds the tokenizer, for pretraining text read by `data.texts`."""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache

from arabic_ie.data.arabic import ArabicNormalizer, WordSegmenter


class Preprocessor:
    """Text -> the word strings fine-tuning gives the tokenizer: `WordSegmenter` words normalised per
    the model's `ArabicNormalizer`, a word that normalises to nothing kept as it was (as
    `features.Featurizer`). Normalised forms are memoised: news text repeats its words.

    By default no proclitic is split (as for CoNLL data such as ANERcorp). `split_proclitics=True`
    applies the segmenter's rules with an empty lexicon (raw text has no annotation to learn one
    from): و ف ب ل ك split off before ال and in ل+ال contractions only, close to what the BRAT and
    JSONL data configs (`data.split_proclitics: true`) give fine-tuning."""

    def __init__(self, normalizer: ArabicNormalizer, split_proclitics: bool = False):
        self.normalizer = normalizer
        self.segmenter = WordSegmenter(split_proclitics=split_proclitics)
        normalize = normalizer

        @lru_cache(maxsize=1 << 20)
        def word(original: str) -> str:
            return normalize(original) or original

        self._word = word

    def __call__(self, text: str) -> list[str]:
        return [self._word(text[start:end]) for start, end in self.segmenter.words(text)]

    def settings(self) -> dict:
        return {"normalizer": asdict(self.normalizer), "split_proclitics": self.segmenter.split_proclitics}
