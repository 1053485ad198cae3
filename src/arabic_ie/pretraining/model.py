"""The masked-LM model and its loss scored only at the masked positions.

The model is a standard `BertForMaskedLM` (or, when continuing from a checkpoint, whatever
`AutoModelForMaskedLM` loads): its output layer is tied to the input embeddings, and the saved
folder loads with `AutoModelForMaskedLM` (to continue pretraining) and with `AutoModel` (the
encoder alone, as fine-tuning loads it: `model=local model.path=...`).

`masked_lm_loss` runs the encoder, gathers the hidden states of the masked positions only and
applies the MLM head to those: with 15% masking this skips 85% of the [positions x vocabulary]
output layer, which on a small encoder costs more than the encoder itself. The loss is the same
cross-entropy `BertForMaskedLM` computes over every position with ignored labels (checked in
tests/test_pretraining.py). Architectures whose head is not one position-wise module fall back to
scoring every position.
"""

from __future__ import annotations

import logging

import torch
from torch import nn
from transformers import AutoModelForMaskedLM, BertConfig, BertForMaskedLM

from arabic_ie.pretraining.masking import IGNORE_INDEX

log = logging.getLogger(__name__)
# Position-wise MLM heads (hidden states -> vocabulary logits) by attribute name:
# BERT-like models (cls), RoBERTa / XLM-R / CamemBERT-like models (lm_head).
HEAD_ATTRIBUTES = ("cls", "lm_head")


def build_mlm_model(architecture: dict | None, tokenizer, init_from: str | None = None):
    """`BertForMaskedLM` from scratch with `architecture` (BertConfig fields), or the masked-LM model
    of `init_from` (hub id or folder) in float32, its embeddings resized if the tokenizer grew."""
    if init_from:
        model = AutoModelForMaskedLM.from_pretrained(init_from, dtype=torch.float32)
        if model.get_input_embeddings().num_embeddings < len(tokenizer):
            model.resize_token_embeddings(len(tokenizer))
        return model
    config = BertConfig(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id, **dict(architecture or {}))
    return BertForMaskedLM(config)


def mlm_head(model) -> nn.Module | None:
    """The position-wise head of a masked-LM model, or None when it has none we know."""
    for name in HEAD_ATTRIBUTES:
        head = getattr(model, name, None)
        if isinstance(head, nn.Module):
            return head
    return None


def masked_lm_loss(model, input_ids: torch.Tensor, labels: torch.Tensor, attention_mask: torch.Tensor | None = None,
                   reduction: str = "mean", masked_only: bool = True) -> torch.Tensor:
    """Cross-entropy of the labelled (masked) positions; `masked_only=False` scores every position
    with the full model, as `BertForMaskedLM(labels=...)` does (for comparison and benchmarks)."""
    head = mlm_head(model) if masked_only else None
    if head is None:
        logits = model(input_ids=input_ids, attention_mask=attention_mask).logits
        return nn.functional.cross_entropy(logits.flatten(0, 1).float(), labels.flatten(), ignore_index=IGNORE_INDEX,
                                           reduction=reduction)
    hidden = model.base_model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    selected = labels != IGNORE_INDEX
    logits = head(hidden[selected])
    return nn.functional.cross_entropy(logits.float(), labels[selected], reduction=reduction)


def sinusoidal_positions_(model, scale: float) -> None:
    """Overwrite the learned absolute position embeddings with the sinusoidal table of Vaswani et al.
    (2017), each row scaled to `scale` times the mean norm of the word embeddings.

    Why: a BERT trained from scratch sits on the MLM loss plateau (about unigram entropy) until its
    attention learns to use positions; its randomly initialised position embeddings are small and
    unstructured, and on our budget they had barely moved after 2,450 steps (docs/pretraining.md).
    A sinusoidal table makes relative offsets a linear function of the embeddings from the start.
    """
    embeddings = model.base_model.embeddings
    positions = embeddings.position_embeddings.weight
    count, width = positions.shape
    index = torch.arange(count, dtype=torch.float32)[:, None]
    frequencies = torch.exp(torch.arange(0, width, 2, dtype=torch.float32) * (-torch.log(torch.tensor(10000.0)) / width))
    table = torch.zeros(count, width)
    table[:, 0::2] = torch.sin(index * frequencies)
    table[:, 1::2] = torch.cos(index * frequencies)
    target = scale * embeddings.word_embeddings.weight.detach().norm(dim=1).mean()
    with torch.no_grad():
        positions.copy_(table / table.norm(dim=1, keepdim=True) * target)
