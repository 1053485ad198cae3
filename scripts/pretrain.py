"""Masked-LM pretraining of an Arabic encoder on a raw text corpus; see configs/pretrain.yaml and
docs/pretraining.md.

    python scripts/pretrain.py                                         # the recipe on SaudiNewsNet
    python scripts/pretrain.py corpus=local corpus.path=/my/news corpus.name=mynews
    python scripts/pretrain.py init_from=/path/or/hub-id trainer.learning_rate=5e-5   # continued pretraining
    python scripts/pretrain.py hydra.run.dir=outputs/pretrain/RUN       # resume a run
"""

import os

# OpenMP threads that wait for each other sleep instead of spinning. On 2 cores shared with other
# jobs, spinning made 2 torch threads 2.4-3.6x slower than 1 thread (docs/pretraining.md); passive
# waiting brings 2 threads back to at least 1 thread's speed. Must be set before torch loads;
# export OMP_WAIT_POLICY=ACTIVE to override.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import _bootstrap  # noqa: E402,F401  (sets PROJECT_ROOT before Hydra reads the configs)
import hydra  # noqa: E402
from hydra.core.hydra_config import HydraConfig  # noqa: E402

from arabic_ie.pretraining import pretrain  # noqa: E402


@hydra.main(version_base="1.3", config_path=_bootstrap.CONFIG_DIR, config_name="pretrain")
def main(cfg) -> float | None:
    summary = pretrain(cfg, HydraConfig.get().runtime.output_dir)
    return summary["heldout_loss"]  # what a Hydra sweeper would minimise


if __name__ == "__main__":
    main()
