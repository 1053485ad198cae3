"""Learning rates per parameter group: the Trainer's optimizer with the argument head at its own
rate and, optionally, layer-wise learning-rate decay over the encoder.

- `head_learning_rate`: a freshly initialised MLP over pooled spans learns slowly at an encoder's
  fine-tuning rate (Adam's steps do not grow with a loss weight), so it gets its own.
- `layer_lr_decay` (d < 1): encoder layer i of L gets lr * d^(L-1-i), the embeddings lr * d^L,
  the heads lr (as in ELECTRA and BEiT fine-tuning: lower layers, which hold the pretrained
  knowledge, move less).
"""

from __future__ import annotations

import re

LAYER = re.compile(r"(?:^|\.)layers?\.(\d+)\.")


def learning_rate_scale(name: str, n_layers: int, decay: float) -> float:
    """The factor on the base learning rate of the encoder parameter `name` (a name inside the
    encoder module, e.g. "encoder.layer.3.attention.self.query.weight", "embeddings.word_embeddings.weight")."""
    found = LAYER.search(name)
    if found:
        return decay ** (n_layers - 1 - int(found.group(1)))
    if "embeddings" in name:
        return decay**n_layers
    return 1.0  # e.g. a pooler above the last layer


def parameter_groups_trainer(trainer_cls, head_learning_rate: float | None = None, layer_lr_decay: float | None = None):
    """`trainer_cls` whose optimizer applies the two rules above (None: that rule is off; both off:
    the Trainer as it is). The Trainer's weight-decay split of its groups is kept."""
    if not head_learning_rate and not layer_lr_decay:
        return trainer_cls
    if layer_lr_decay is not None and not 0 < layer_lr_decay <= 1:
        raise ValueError(f"layer_lr_decay must be in (0, 1], got {layer_lr_decay}")

    class ParameterGroupsTrainer(trainer_cls):
        def create_optimizer(self, model=None):
            optimizer = super().create_optimizer(model)
            if any(g.get("arabic_ie_group") for g in optimizer.param_groups):
                return optimizer  # already split (create_optimizer is called again on resume)
            module = model or self.model
            rates = {}
            if layer_lr_decay:
                n_layers = module.encoder.config.num_hidden_layers
                for name, parameter in module.encoder.named_parameters():
                    rates[id(parameter)] = ("scale", learning_rate_scale(name, n_layers, layer_lr_decay))
            if head_learning_rate and getattr(module, "argument_head", None) is not None:
                for parameter in module.argument_head.parameters():
                    rates[id(parameter)] = ("lr", float(head_learning_rate))
            groups = []
            for group in optimizer.param_groups:
                by_rate: dict = {}
                for parameter in group["params"]:
                    kind, value = rates.get(id(parameter), ("scale", 1.0))
                    by_rate.setdefault(value * group["lr"] if kind == "scale" else value, []).append(parameter)
                for lr, parameters in by_rate.items():
                    groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": parameters, "lr": lr,
                                   "arabic_ie_group": True})
            optimizer.param_groups.clear()
            for group in groups:
                optimizer.add_param_group(group)
            return optimizer

    return ParameterGroupsTrainer
