"""Static word vectors beside the subword encoder: a word list and its float16 matrix in one folder.

`WordVectors.lookup` maps the words a Featurizer feeds the tokenizer (normalised, proclitics as the
data config splits them) to rows of the matrix; row 0 is every word outside the list. A model
with `model.word_vectors` gathers each word's row at its subwords and gives it to the span heads
beside the encoder's hidden state (model/multitask.py). The folder holds `vectors.safetensors`
(`vectors`: (n + 1, dim) float16, row 0 zeros), `words.txt` (the n words, one a line, row i + 1)
and `vectors.json` (how they were trained); `scripts/word_vectors.py` writes it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

VECTORS_FILE = "vectors.safetensors"
WORDS_FILE = "words.txt"
INFO_FILE = "vectors.json"
UNKNOWN = 0  # the row of words outside the list (zeros)


class VectorsError(ValueError):
    """A word-vectors folder that cannot be used; the message names the file."""


class WordVectors:
    def __init__(self, words: list[str], matrix: np.ndarray, info: dict | None = None):
        if matrix.ndim != 2 or matrix.shape[0] != len(words) + 1:
            raise VectorsError(f"{len(words)} words need a ({len(words) + 1}, dim) matrix (row 0: unknown), got {matrix.shape}")
        self.words = list(words)
        self.matrix = matrix
        self.info = dict(info or {})
        self.index = {word: row for row, word in enumerate(self.words, 1)}
        if len(self.index) != len(self.words):
            raise VectorsError("the word list repeats a word")

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])

    def lookup(self, word: str) -> int:
        return self.index.get(word, UNKNOWN)

    def fingerprint(self) -> str:
        """Identifies the word list: a model must be fed the rows it was trained with."""
        return hashlib.sha256("\n".join(self.words).encode("utf-8")).hexdigest()[:16]

    def save(self, folder: str | Path) -> Path:
        from safetensors.numpy import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        save_file({"vectors": np.ascontiguousarray(self.matrix, dtype=np.float16)}, str(folder / VECTORS_FILE))
        (folder / WORDS_FILE).write_text("".join(w + "\n" for w in self.words), encoding="utf-8")
        info = {**self.info, "words": len(self.words), "dim": self.dim, "fingerprint": self.fingerprint()}
        (folder / INFO_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "WordVectors":
        from safetensors.numpy import load_file

        folder = Path(folder)
        for name in (VECTORS_FILE, WORDS_FILE):
            if not (folder / name).is_file():
                raise VectorsError(f"{folder / name}: missing (a word-vectors folder holds {VECTORS_FILE} and {WORDS_FILE})")
        matrix = load_file(str(folder / VECTORS_FILE)).get("vectors")
        if matrix is None:
            raise VectorsError(f"{folder / VECTORS_FILE}: no tensor named 'vectors'")
        words = (folder / WORDS_FILE).read_text(encoding="utf-8").split("\n")
        if words and words[-1] == "":
            words.pop()
        info = json.loads((folder / INFO_FILE).read_text(encoding="utf-8")) if (folder / INFO_FILE).is_file() else {}
        try:
            return cls(words, matrix, info)
        except VectorsError as error:
            raise VectorsError(f"{folder}: {error}") from None
