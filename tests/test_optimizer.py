"""Learning rates per parameter (layer-wise decay, the argument head's own rate) and label smoothing
of the span heads' loss."""

from __future__ import annotations

import math

import pytest
import torch
from transformers import BertConfig, BertModel, Trainer, TrainingArguments

from arabic_ie.data.labels import LabelScheme
from arabic_ie.data.pairs import ArgumentSpec
from arabic_ie.model.multitask import MultiHeadTagger
from arabic_ie.train.optimizer import learning_rate_scale, parameter_groups_trainer

SCHEMES = {"ner": LabelScheme("ner", ("LOC", "PER"))}
SPEC = ArgumentSpec(("Agent",), ("LOC", "PER"), ("ATTACK",), {"ATTACK": {"Agent": ["PER"]}})


def _model(**kwargs):
    torch.manual_seed(0)
    encoder = BertModel(BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=3, num_attention_heads=2,
                                   intermediate_size=16, max_position_embeddings=32))
    return MultiHeadTagger(encoder, SCHEMES, 0.0, arguments=kwargs.pop("arguments", None), **kwargs)


@pytest.mark.parametrize("name, scale", [
    ("encoder.layer.2.output.dense.weight", 1.0),  # the top layer of 3
    ("encoder.layer.1.attention.self.query.bias", 0.5),
    ("encoder.layer.0.intermediate.dense.weight", 0.25),
    ("embeddings.word_embeddings.weight", 0.125),
    ("pooler.dense.weight", 1.0),
])
def test_layer_decay_scales_each_encoder_parameter_by_its_depth(name, scale):
    assert learning_rate_scale(name, 3, 0.5) == scale


def _learning_rates(model, tmp_path, **rules):
    args = TrainingArguments(output_dir=str(tmp_path), learning_rate=1e-3, weight_decay=0.01, report_to=[], use_cpu=True)
    trainer = parameter_groups_trainer(Trainer, **rules)(model=model, args=args)
    optimizer = trainer.create_optimizer()
    rates = {id(p): (g["lr"], g["weight_decay"]) for g in optimizer.param_groups for p in g["params"]}
    assert len(rates) == sum(len(g["params"]) for g in optimizer.param_groups)  # each parameter in one group
    return {name: rates[id(p)] for name, p in model.named_parameters()}


def test_the_optimizer_gets_the_decayed_and_head_rates_and_keeps_weight_decay(tmp_path):
    model = _model(arguments=SPEC)
    rates = _learning_rates(model, tmp_path, head_learning_rate=5e-3, layer_lr_decay=0.5)
    assert set(rates) == {name for name, _ in model.named_parameters()}
    assert rates["encoder.encoder.layer.2.output.dense.weight"] == (1e-3, 0.01)
    assert rates["encoder.encoder.layer.0.output.dense.weight"] == (pytest.approx(2.5e-4), 0.01)
    assert rates["encoder.embeddings.word_embeddings.weight"] == (pytest.approx(1.25e-4), 0.01)
    assert rates["encoder.encoder.layer.0.output.LayerNorm.weight"] == (pytest.approx(2.5e-4), 0.0)  # no decay on norms
    assert rates["heads.ner.weight"] == (1e-3, 0.01)
    assert {rate[0] for name, rate in rates.items() if name.startswith("argument_head.")} == {5e-3}
    # both rules off: the Trainer's own optimizer, every parameter at the base rate
    assert parameter_groups_trainer(Trainer) is Trainer
    assert {rate for rate, _ in _learning_rates(_model(), tmp_path).values()} == {1e-3}
    with pytest.raises(ValueError, match=r"layer_lr_decay must be in \(0, 1\], got 1.5"):
        parameter_groups_trainer(Trainer, layer_lr_decay=1.5)


def test_label_smoothing_mixes_the_uniform_distribution_into_the_span_loss():
    ids = torch.tensor([[2, 5, 7, 3]])
    labels = torch.tensor([[-100, 1, 2, -100]])
    plain, smoothed = _model().eval(), _model(label_smoothing=0.2).eval()  # no dropout: the same logits
    logits = plain(ids, attention_mask=torch.ones_like(ids))["logits_ner"][0, 1:3]
    log_p = torch.log_softmax(logits, -1)
    nll = -log_p[[0, 1], [1, 2]].mean()
    uniform = -log_p.mean()  # cross-entropy against the uniform distribution over the 5 labels
    assert plain(ids, attention_mask=torch.ones_like(ids), labels_ner=labels)["loss"].item() == pytest.approx(nll.item(), rel=1e-5)
    expected = 0.8 * nll + 0.2 * uniform
    assert smoothed(ids, attention_mask=torch.ones_like(ids), labels_ner=labels)["loss"].item() == pytest.approx(expected.item(), rel=1e-5)
    assert not math.isclose(expected.item(), nll.item())
    with pytest.raises(ValueError, match="model.head=crf is trained on the CRF's likelihood"):
        _model(head="crf", label_smoothing=0.1)
