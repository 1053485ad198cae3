"""The argument head: scores each (trigger, entity) pair of a window for every role or none.

Span representations are the mean of the encoder's hidden states over the span's subwords; a pair
is [trigger; entity; trigger * entity; the words between them; embeddings of the word distance, the
trigger type, the entity type, the sentence distance and the two nearest-mention ranks] through
a two-layer MLP. Roles that annotation.conf does not allow for the pair's (trigger type, entity
type) are masked out, in training and prediction alike.
"""

from __future__ import annotations

import torch
from torch import nn

from arabic_ie.data.pairs import DISTANCE_BUCKETS, RANK_BUCKETS, SENTENCE_BUCKETS, ArgumentSpec

ARGUMENTS_FILE = "arguments.safetensors"
EMBEDDING = 32


class ArgumentHead(nn.Module):
    def __init__(self, hidden: int, spec: ArgumentSpec, dropout: float):
        super().__init__()
        self.spec = spec
        self.distance = nn.Embedding(DISTANCE_BUCKETS, EMBEDDING)
        self.trigger_type = nn.Embedding(max(1, len(spec.trigger_types)), EMBEDDING)
        self.entity_type = nn.Embedding(max(1, len(spec.entity_types)), EMBEDDING)
        self.sentence = nn.Embedding(SENTENCE_BUCKETS, EMBEDDING)
        self.nearer_triggers = nn.Embedding(RANK_BUCKETS, EMBEDDING)
        self.nearer_entities = nn.Embedding(RANK_BUCKETS, EMBEDDING)
        self.mlp = nn.Sequential(nn.Linear(4 * hidden + 6 * EMBEDDING, hidden), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, len(spec.labels)))
        self.register_buffer("allowed", torch.from_numpy(spec.mask()), persistent=False)

    def forward(self, hidden: torch.Tensor, pairs: torch.Tensor) -> torch.Tensor:
        """hidden (B, L, H), pairs (B, P, PAIR_FIELDS) long -> logits (B, P, roles + 1)."""
        hidden = hidden.float()
        sums = torch.cat([hidden.new_zeros(hidden.shape[0], 1, hidden.shape[2]), hidden.cumsum(1)], 1)  # (B, L+1, H)

        def pooled(start, end):
            index = lambda p: p.unsqueeze(-1).expand(-1, -1, hidden.shape[2])  # noqa: E731
            total = sums.gather(1, index(end)) - sums.gather(1, index(start))
            return total / (end - start).clamp(min=1).unsqueeze(-1).to(total.dtype)

        trigger, entity = pooled(pairs[..., 0], pairs[..., 1]), pooled(pairs[..., 2], pairs[..., 3])
        # the words between the two spans (zero when they touch or overlap)
        between_start = torch.minimum(pairs[..., 1], pairs[..., 3])
        between_end = torch.maximum(torch.maximum(pairs[..., 0], pairs[..., 2]), between_start)
        between = pooled(between_start, between_end)
        features = torch.cat([trigger, entity, trigger * entity, between, self.distance(pairs[..., 4]),
                              self.trigger_type(pairs[..., 5]), self.entity_type(pairs[..., 6]), self.sentence(pairs[..., 7]),
                              self.nearer_triggers(pairs[..., 8]), self.nearer_entities(pairs[..., 9])], -1)
        logits = self.mlp(features)
        allowed = self.allowed[pairs[..., 5], pairs[..., 6]]  # (B, P, roles + 1)
        return logits.masked_fill(~allowed, torch.finfo(logits.dtype).min)


class ArgumentLogits(nn.Module):
    """Encoder + argument head: forward(input_ids, attention_mask, pairs_events) -> (logits,), the
    second stage of a package (model.batching.TorchRunner calls it with the pairs)."""

    def __init__(self, encoder: nn.Module, head: ArgumentHead):
        super().__init__()
        self.encoder = encoder
        self.head = head

    def forward(self, input_ids, attention_mask, pairs_events):
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return (self.head(hidden, pairs_events),)
