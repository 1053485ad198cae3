"""Hydra glue: a schema of every `transformers.TrainingArguments` field for the `trainer` group.

With the schema, `trainer.<field>=value` works for any field without Hydra's `+` prefix, and a
misspelt field is an error instead of being silently ignored.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from hydra.core.config_store import ConfigStore
from transformers import TrainingArguments

# Set by the code from the run directory, never from a config.
MANAGED = ("output_dir", "seed", "label_names", "remove_unused_columns")


def _plain(value):
    return value.value if isinstance(value, enum.Enum) else value


def training_arguments_defaults() -> dict:
    defaults = {}
    for f in dataclasses.fields(TrainingArguments):
        if f.name in MANAGED or not f.init:
            continue
        if f.default is not dataclasses.MISSING:
            defaults[f.name] = _plain(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            defaults[f.name] = _plain(f.default_factory())
        else:
            defaults[f.name] = None
    return defaults


def register_configs() -> None:
    defaults = training_arguments_defaults()
    schema = dataclasses.make_dataclass(
        "TrainingArgumentsSchema",
        [(name, Any, dataclasses.field(default_factory=lambda v=value: v)) for name, value in defaults.items()],
    )
    ConfigStore.instance().store(group="trainer", name="training_arguments", node=schema)


def training_arguments_kwargs(trainer_cfg) -> dict:
    """The trainer config's fields that differ from TrainingArguments' own defaults."""
    from omegaconf import OmegaConf

    values = OmegaConf.to_container(trainer_cfg, resolve=True) if not isinstance(trainer_cfg, dict) else dict(trainer_cfg)
    for name in MANAGED:
        if name in values and values[name] is not None:
            raise ValueError(f"trainer.{name} is set by arabic_ie itself; remove it from the config")
    defaults = training_arguments_defaults()
    return {k: v for k, v in values.items() if k not in MANAGED and (k not in defaults or v != defaults[k])}
