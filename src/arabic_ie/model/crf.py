"""A linear-chain CRF output layer over words (`model.head: crf`), IOB2-constrained.

The CRF runs over the words of a window, i.e. the positions of their first subwords (the only
labelled positions; continuation subwords and context words owned by another window carry
IGNORE_INDEX). Transitions that IOB2 forbids (O -> I-X, B-X/I-X -> I-Y with Y != X) get a fixed
-10,000 added to their score in the loss and in decoding (start -> I-X in decoding only: a
window after a document's first may start inside a span), so Viterbi only ever
returns valid IOB2 sequences. The loss is the negative log-likelihood (forward algorithm over
the batch, one step per word position, vectorised over windows and labels), divided by the number
of labelled words: per word, like the linear head's cross-entropy, so that `task.loss_weights`
weigh the tasks alike whichever head they have. (Divided by windows instead, a window's NLL of
some 80 words drowned the argument head's loss in joint training: Arg-C with gold input 0.651
against 0.689 for seed 42; docs/accuracy.md.)

At inference the logits (emissions) come from any backend (torch, ONNX) through the one batching
path; `viterbi` (numpy) then decodes the emissions of a whole document's words, gathered from
the windows that own them (Featurizer.decode with a decoder), so the sequence is valid across
window joins too. The numpy side (masks, Viterbi) is in model/viterbi.py, which packages use
without torch.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from arabic_ie.model.viterbi import CRF_KEYS, FORBIDDEN, iob2_masks


class CRF(nn.Module):
    """Transition scores (from, to), start and end scores; IOB2 constraints as a fixed penalty."""

    def __init__(self, labels: list[str]):
        super().__init__()
        n = len(labels)
        self.transitions = nn.Parameter(torch.zeros(n, n))
        self.start_transitions = nn.Parameter(torch.zeros(n))
        self.end_transitions = nn.Parameter(torch.zeros(n))
        allowed, start = iob2_masks(labels)
        self.register_buffer("penalty", torch.from_numpy(np.where(allowed, 0.0, FORBIDDEN).astype(np.float32)), persistent=False)
        self.register_buffer("start_penalty", torch.from_numpy(np.where(start, 0.0, FORBIDDEN).astype(np.float32)), persistent=False)

    def scores(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The constrained (transitions, start, end) used in the loss and in decoding."""
        return self.transitions + self.penalty, self.start_transitions + self.start_penalty, self.end_transitions

    def export(self) -> dict[str, np.ndarray]:
        """The constrained scores as float32 arrays (what `viterbi` takes)."""
        return {key: t.detach().float().cpu().numpy() for key, t in zip(CRF_KEYS, self.scores())}

    def nll(self, emissions: torch.Tensor, labels: torch.Tensor, ignore_index: int = -100) -> torch.Tensor:
        """The negative log-likelihood of the windows' tag sequences per labelled position (word).

        emissions (B, T, L) at every subword position; labels (B, T) with `ignore_index` where a
        position is no word of the window's own. Windows without a labelled position add 0."""
        emissions, tags, mask = compact(emissions.float(), labels, ignore_index)
        if emissions.shape[1] == 0:
            return emissions.sum() * 0.0
        transitions, _, end = self.scores()
        # a window after the first may start inside a span (I-X): no start constraint in the loss
        start = self.start_transitions
        batch = torch.arange(tags.shape[0], device=tags.device)
        safe = tags.clamp(min=0)
        maskf = mask.float()
        # score of the gold path
        gold = start[safe[:, 0]] + emissions[batch, 0, safe[:, 0]]
        step = transitions[safe[:, :-1], safe[:, 1:]] + emissions[:, 1:].gather(2, safe[:, 1:, None]).squeeze(2)
        gold = (gold + (step * maskf[:, 1:]).sum(1)) * maskf[:, 0]
        lengths = mask.sum(1)
        last = safe[batch, (lengths - 1).clamp(min=0)]
        gold = gold + end[last] * maskf[:, 0]
        # log partition: forward algorithm, one step per word position over the whole batch
        alpha = start + emissions[:, 0]
        for t in range(1, emissions.shape[1]):
            nxt = torch.logsumexp(alpha[:, :, None] + transitions[None] + emissions[:, t, None, :], dim=1)
            alpha = torch.where(mask[:, t, None], nxt, alpha)
        log_z = torch.logsumexp(alpha + end, dim=1) * maskf[:, 0]
        return (log_z - gold).sum() / mask.sum().clamp(min=1)


def compact(emissions: torch.Tensor, labels: torch.Tensor, ignore_index: int = -100):
    """Move each window's labelled positions to the front, in order: (emissions (B, W, L),
    tags (B, W), mask (B, W)) with W the most labelled positions of a window in the batch."""
    labelled = labels != ignore_index
    order = torch.argsort((~labelled).to(torch.int8), dim=1, stable=True)
    width = int(labelled.sum(1).max()) if labels.numel() else 0
    order = order[:, :width]
    tags = labels.gather(1, order)
    mask = labelled.gather(1, order)
    emissions = emissions.gather(1, order[:, :, None].expand(-1, -1, emissions.shape[-1]))
    return emissions, tags.masked_fill(~mask, 0), mask
