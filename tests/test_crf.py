"""The CRF output layer (model.head=crf): IOB2-valid decoding, the NLL against brute force, and
the Featurizer decoding a whole document's words."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from conftest import valid_iob2

from arabic_ie.data.labels import LabelScheme
from arabic_ie.model.crf import CRF, compact
from arabic_ie.model.multitask import task_heads
from arabic_ie.model.viterbi import ViterbiDecoder, constrain, iob2_masks, viterbi

LABELS = LabelScheme("ner", ("LOC", "PER")).labels  # O, B-LOC, I-LOC, B-PER, I-PER


def test_iob2_masks_forbid_exactly_the_invalid_transitions():
    allowed, start = iob2_masks(LABELS)
    for i, j in itertools.product(range(len(LABELS)), repeat=2):
        a, b = LABELS[i], LABELS[j]
        assert allowed[i, j] == (not b.startswith("I-") or (a != "O" and a[2:] == b[2:])), (a, b)
    assert start.tolist() == [True, True, False, True, False]


def test_viterbi_decodes_only_valid_iob2_even_when_emissions_prefer_invalid_tags():
    rng = np.random.default_rng(0)
    crf = CRF(LABELS)
    with torch.no_grad():
        crf.transitions.normal_()
    decoder = ViterbiDecoder(crf.export())
    for _ in range(200):
        emissions = rng.normal(size=(int(rng.integers(1, 12)), len(LABELS))) * 3
        emissions[:, [2, 4]] += 2.0  # I- tags favoured: argmax would often be invalid
        tags = [LABELS[i] for i in decoder(emissions)]
        assert valid_iob2(tags), tags


def brute_force(emissions, transitions, start, end):
    n, size = emissions.shape
    scores = {}
    for path in itertools.product(range(size), repeat=n):
        s = start[path[0]] + emissions[0, path[0]] + end[path[-1]]
        s += sum(transitions[a, b] + emissions[t + 1, b] for t, (a, b) in enumerate(zip(path, path[1:])))
        scores[path] = s
    return scores


def test_viterbi_and_the_nll_match_brute_force_over_every_path():
    torch.manual_seed(0)
    labels = ["O", "B-X", "I-X"]
    crf = CRF(labels)
    with torch.no_grad():
        for p in crf.parameters():
            p.normal_()
    emissions = torch.randn(1, 4, 3)
    gold = torch.tensor([[1, 2, 0, 1]])
    transitions, start, end = (t.detach().numpy().astype(np.float64) for t in crf.scores())
    scores = brute_force(emissions[0].numpy().astype(np.float64), transitions, start, end)
    best = max(scores, key=scores.get)
    assert viterbi(emissions[0].numpy(), transitions, start, end).tolist() == list(best)
    # the loss leaves start -> I-X allowed (windows may begin inside a span)
    start_loss = crf.start_transitions.detach().numpy().astype(np.float64)
    scores = brute_force(emissions[0].numpy().astype(np.float64), transitions, start_loss, end)
    log_z = np.log(np.sum(np.exp(list(scores.values()))))
    expected = log_z - scores[tuple(gold[0].tolist())]
    assert crf.nll(emissions, gold).item() == pytest.approx(expected / 4, rel=1e-5)  # per word


def test_the_nll_skips_ignored_positions_and_is_batched():
    torch.manual_seed(1)
    crf = CRF(LABELS)
    emissions = torch.randn(2, 6, len(LABELS), requires_grad=True)
    # window 0: words at positions 1, 2, 4 (others: continuation subwords); window 1: one word
    labels = torch.tensor([[-100, 1, 2, -100, 0, -100], [-100, -100, 3, -100, -100, -100]])
    compacted, tags, mask = compact(emissions, labels)
    assert tags.tolist() == [[1, 2, 0], [3, 0, 0]] and mask.tolist() == [[True] * 3, [True, False, False]]
    both = crf.nll(emissions, labels)
    one = crf.nll(emissions[:1], labels[:1])
    two = crf.nll(emissions[1:], labels[1:])
    assert both.item() == pytest.approx((3 * one.item() + two.item()) / 4, rel=1e-5)  # per word: 3 and 1 words
    both.backward()
    assert emissions.grad[0, 3].abs().sum() == 0 and emissions.grad[0, 1].abs().sum() > 0


def test_the_numpy_constraints_match_the_torch_ones():
    crf = CRF(LABELS)
    with torch.no_grad():
        for p in crf.parameters():
            p.normal_()
    raw = {k: v.detach().numpy() for k, v in crf.state_dict().items()}
    for key, value in constrain(raw, LABELS).items():
        assert np.allclose(value, crf.export()[key])


def test_model_head_is_one_name_or_a_name_per_span_task():
    assert task_heads("crf", ["ner", "triggers"]) == {"ner": "crf", "triggers": "crf"}
    # unnamed tasks are linear; a span task this run does not train (triggers) is ignored
    assert task_heads({"ner": "crf"}, ["ner", "triggers"]) == {"ner": "crf", "triggers": "linear"}
    assert task_heads({"ner": "crf", "triggers": "linear"}, ["ner"]) == {"ner": "crf"}
    with pytest.raises(ValueError, match=r"model.head names \['entities'\], which are not span tasks"):
        task_heads({"entities": "crf"}, ["ner"])
    with pytest.raises(ValueError, match="unknown model.head 'lstm' for triggers"):
        task_heads({"triggers": "lstm"}, ["ner", "triggers"])
    with pytest.raises(ValueError, match="unknown model.head 'softmax' for ner"):
        task_heads("softmax", ["ner"])
