"""The numpy side of the CRF head (model/crf.py): IOB2 transition masks, Viterbi decoding and the
decoder that Featurizer.decode calls per document; no torch, so packages decode with it whatever
their backend (the ONNX graph gives the emissions, Viterbi runs here after)."""

from __future__ import annotations

import numpy as np

FORBIDDEN = -1.0e4  # added to the score of a transition IOB2 forbids
CRF_KEYS = ("transitions", "start_transitions", "end_transitions")


def iob2_masks(labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(allowed[from, to], allowed_start[to]) for IOB2 labels such as O, B-PER, I-PER."""
    def kind(label):
        prefix, _, name = label.partition("-")
        return (prefix, name) if name else ("O", "")

    kinds = [kind(label) for label in labels]
    allowed = np.ones((len(labels), len(labels)), dtype=bool)
    for j, (prefix_to, type_to) in enumerate(kinds):
        if prefix_to != "I":
            continue
        for i, (prefix_from, type_from) in enumerate(kinds):
            allowed[i, j] = prefix_from in ("B", "I") and type_from == type_to
    start = np.array([prefix != "I" for prefix, _ in kinds])
    return allowed, start


def constrain(raw: dict[str, np.ndarray], labels: list[str]) -> dict[str, np.ndarray]:
    """Learned (transitions, start, end) -> the IOB2-constrained scores that decoding uses."""
    allowed, start = iob2_masks(labels)
    return {"transitions": (np.asarray(raw["transitions"]) + np.where(allowed, 0.0, FORBIDDEN)).astype(np.float32),
            "start_transitions": (np.asarray(raw["start_transitions"]) + np.where(start, 0.0, FORBIDDEN)).astype(np.float32),
            "end_transitions": np.asarray(raw["end_transitions"], dtype=np.float32)}


def viterbi(emissions: np.ndarray, transitions: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The best label ids of one sequence of emissions (n, L) under the (constrained) scores;
    vectorised over labels, one step per word."""
    emissions = np.asarray(emissions, dtype=np.float64)
    n = emissions.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    transitions = np.asarray(transitions, dtype=np.float64)
    score = np.asarray(start, dtype=np.float64) + emissions[0]
    back = np.zeros((n, emissions.shape[1]), dtype=np.int64)
    for t in range(1, n):
        candidates = score[:, None] + transitions
        back[t] = candidates.argmax(0)
        score = candidates.max(0) + emissions[t]
    path = np.zeros(n, dtype=np.int64)
    path[-1] = int((score + np.asarray(end, dtype=np.float64)).argmax())
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


class ViterbiDecoder:
    """A Featurizer decoder: a document's word emissions (n, L) -> label ids, by Viterbi."""

    def __init__(self, scores: dict[str, np.ndarray]):
        missing = [k for k in CRF_KEYS if k not in scores]
        if missing:
            raise ValueError(f"CRF scores lack {missing}")
        self.scores = {k: np.asarray(scores[k], dtype=np.float32) for k in CRF_KEYS}

    def __call__(self, emissions: np.ndarray) -> np.ndarray:
        return viterbi(emissions, self.scores["transitions"], self.scores["start_transitions"], self.scores["end_transitions"])
