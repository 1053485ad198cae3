"""Evaluate a trained run (RUN_DIR/model) on the splits of any data config; see configs/evaluate.yaml.

    python scripts/evaluate.py run_dir=outputs/sample-joint-tiny/DATE data=sample
    python scripts/evaluate.py run_dir=RUN data=anercorp data.test=/path/to/test.txt splits=[test]
"""

import _bootstrap  # noqa: F401
import hydra
from hydra.core.hydra_config import HydraConfig

from arabic_ie.training import evaluate_run


@hydra.main(version_base="1.3", config_path=_bootstrap.CONFIG_DIR, config_name="evaluate")
def main(cfg) -> None:
    evaluate_run(cfg.run_dir, cfg.data, list(cfg.splits), cfg.batch_size, HydraConfig.get().runtime.output_dir)


if __name__ == "__main__":
    main()
