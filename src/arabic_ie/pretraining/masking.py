"""Blocks of packed tokens and (whole-word) masking for masked-LM pretraining.

`BlockDataset` cuts a packed stream into `[CLS] … [SEP]` blocks of `seq_length` tokens (the last
block may be shorter). `mask_tokens` selects words (whole-word masking: every subword of a chosen
word, as in BERT's `--do_whole_word_mask`) or single subwords with probability `rate` each, so
about `rate` of the tokens are selected; each selected token becomes `[MASK]` (80%), a random
token (10%) or stays (10%), decided per token as in BERT. Every block gets at least one selected
word, so no batch has an empty loss.

Training blocks are masked afresh each time they are drawn (dynamic masking, by the collator).
Held-out blocks get fixed masks (`BlockDataset(fixed_masks=...)`): block i is always masked with a
generator seeded from (seed, i), so held-out loss is comparable from one evaluation to the next
and between runs that use the same packed corpus.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

IGNORE_INDEX = -100


@dataclass(frozen=True)
class MaskingConfig:
    rate: float = 0.15
    whole_word: bool = True
    mask: float = 0.8  # of the selected tokens, this share becomes [MASK] …
    random: float = 0.1  # … this share a random token, the rest stays as it is

    def __post_init__(self):
        if not 0 < self.rate < 1:
            raise ValueError(f"masking rate must be in (0, 1), not {self.rate}")
        if self.mask < 0 or self.random < 0 or self.mask + self.random > 1:
            raise ValueError(f"mask ({self.mask}) + random ({self.random}) shares must lie in [0, 1]")


def mask_tokens(input_ids: torch.Tensor, word_starts: torch.Tensor, special: torch.Tensor, config: MaskingConfig,
                mask_id: int, vocab_size: int, generator: torch.Generator | None = None):
    """Masked inputs and labels (IGNORE_INDEX where nothing is predicted) for a [B, L] batch.

    `word_starts` is True at the first subword of each word; `special` is True at tokens never
    selected ([CLS], [SEP], [PAD], [UNK]); both are [B, L] booleans.
    """
    batch, length = input_ids.shape
    candidates = ~special
    draw = torch.rand(batch, length, generator=generator)
    if config.whole_word:
        # every token takes the draw of its word's first subword (a special token starts a word)
        positions = torch.arange(length).expand(batch, length)
        first = torch.where(word_starts | special, positions, 0).cummax(dim=1).values
        draw = draw.gather(1, first)
    selected = (draw < config.rate) & candidates
    empty = ~selected.any(dim=1) & candidates.any(dim=1)
    if empty.any():  # select the word (or token) with the lowest draw in blocks that got none
        lowest = draw.masked_fill(~candidates, 2.0)
        selected |= (lowest == lowest.min(dim=1, keepdim=True).values) & candidates & empty[:, None]
    labels = torch.where(selected, input_ids, IGNORE_INDEX)
    action = torch.rand(batch, length, generator=generator)
    to_mask = selected & (action < config.mask)
    to_random = selected & (action >= config.mask) & (action < config.mask + config.random)
    masked = input_ids.masked_fill(to_mask, mask_id)
    random_ids = torch.randint(vocab_size, (batch, length), generator=generator, dtype=input_ids.dtype)
    masked = torch.where(to_random, random_ids, masked)
    return masked, labels


class BlockDataset(torch.utils.data.Dataset):
    """`[CLS] + stream[i*(L-2):(i+1)*(L-2)] + [SEP]` for L = seq_length; the first token of a block
    always counts as a word start (a word cut by a block boundary is two words)."""

    def __init__(self, ids: np.ndarray, word_starts: np.ndarray, seq_length: int, cls_id: int, sep_id: int,
                 max_blocks: int | None = None, fixed_masks: "FixedMasks | None" = None):
        if seq_length < 3:
            raise ValueError(f"seq_length {seq_length} leaves no room besides [CLS] and [SEP]")
        self.ids, self.word_starts = ids, word_starts
        self.body = seq_length - 2
        self.cls_id, self.sep_id = cls_id, sep_id
        blocks = -(-len(ids) // self.body)
        self.blocks = blocks if max_blocks is None else min(blocks, max_blocks)
        self.fixed_masks = fixed_masks

    def __len__(self) -> int:
        return self.blocks

    def block(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not 0 <= index < self.blocks:
            raise IndexError(index)
        begin = index * self.body
        body = np.asarray(self.ids[begin : begin + self.body], dtype=np.int64)
        starts = np.asarray(self.word_starts[begin : begin + self.body], dtype=bool)
        input_ids = torch.from_numpy(np.concatenate([[self.cls_id], body, [self.sep_id]]))
        word_starts = torch.from_numpy(np.concatenate([[True], starts, [True]]))
        word_starts[1] = True
        return input_ids, word_starts

    def __getitem__(self, index: int) -> dict:
        input_ids, word_starts = self.block(index)
        if self.fixed_masks is None:
            return {"input_ids": input_ids, "word_starts": word_starts}
        masked, labels = self.fixed_masks(input_ids, word_starts, index)
        return {"input_ids": masked, "labels": labels}


@dataclass
class FixedMasks:
    """Masks that depend only on (seed, block index): the held-out set's."""

    config: MaskingConfig
    special_ids: tuple[int, ...]
    mask_id: int
    vocab_size: int
    seed: int = 1234

    def __call__(self, input_ids: torch.Tensor, word_starts: torch.Tensor, index: int):
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + index)
        special = torch.isin(input_ids, torch.tensor(self.special_ids))
        masked, labels = mask_tokens(input_ids[None], word_starts[None], special[None], self.config, self.mask_id,
                                     self.vocab_size, generator)
        return masked[0], labels[0]


@dataclass
class MaskingCollator:
    """Pads blocks to the longest in the batch; masks blocks that come unmasked (training), keeps
    the fixed masks of those that come with labels (held-out). `attention_mask` only when padded."""

    config: MaskingConfig
    special_ids: tuple[int, ...]
    mask_id: int
    pad_id: int
    vocab_size: int

    def __call__(self, examples: list[dict]) -> dict:
        length = max(len(e["input_ids"]) for e in examples)
        padded = any(len(e["input_ids"]) < length for e in examples)
        input_ids = torch.full((len(examples), length), self.pad_id, dtype=torch.long)
        attention = torch.zeros((len(examples), length), dtype=torch.long)
        for row, example in enumerate(examples):
            input_ids[row, : len(example["input_ids"])] = example["input_ids"]
            attention[row, : len(example["input_ids"])] = 1
        if "labels" in examples[0]:
            labels = torch.full((len(examples), length), IGNORE_INDEX, dtype=torch.long)
            for row, example in enumerate(examples):
                labels[row, : len(example["labels"])] = example["labels"]
        else:
            starts = torch.ones((len(examples), length), dtype=torch.bool)
            for row, example in enumerate(examples):
                starts[row, : len(example["word_starts"])] = example["word_starts"]
            special = torch.isin(input_ids, torch.tensor(self.special_ids)) | (attention == 0)
            input_ids, labels = mask_tokens(input_ids, starts, special, self.config, self.mask_id, self.vocab_size)
        batch = {"input_ids": input_ids, "labels": labels}
        if padded:
            batch["attention_mask"] = attention
        return batch
