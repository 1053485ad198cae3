"""What the span heads read: the encoder's hidden state, and with static word vectors
(`model.word_vectors`, data/vectors.py) each position's word vector beside it. One definition for
training (model/multitask.py) and for exported packages (package/loading.py, and so ONNX)."""

from __future__ import annotations

import torch
from torch import nn

from arabic_ie.data.vectors import WordVectors


def frozen_table(vectors: WordVectors | None) -> nn.Embedding | None:
    """The vectors as a frozen embedding (float32; row 0, zeros, for words outside the list).
    Frozen: words unseen in fine-tuning keep the place the news corpus gave them."""
    if vectors is None:
        return None
    return nn.Embedding.from_pretrained(torch.from_numpy(vectors.matrix).float(), freeze=True)


def span_features(hidden: torch.Tensor, table: nn.Embedding | None, word_rows: torch.Tensor | None,
                  dropout: nn.Module | None = None) -> torch.Tensor:
    """[hidden; the word's vector] per position (B, L, H + dim), or `hidden` without a table;
    `dropout` applies to the vectors (the hidden state comes in already dropped out)."""
    if table is None:
        return hidden
    if word_rows is None:
        raise ValueError("this model's span heads read static word vectors: give each position's word row "
                         "(word_rows, as the Featurizer makes them)")
    vectors = table(word_rows).to(hidden.dtype)
    return torch.cat([hidden, dropout(vectors) if dropout is not None else vectors], -1)
