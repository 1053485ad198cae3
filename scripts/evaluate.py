"""Evaluate a trained run (RUN_DIR/model), or an exported package on raw documents, on the splits
of any data config; see configs/evaluate.yaml.

    python scripts/evaluate.py run_dir=outputs/sample-joint-embedded/DATE data=sample
    python scripts/evaluate.py run_dir=RUN data=anercorp data.test=/path/to/test.txt splits=[test]
    python scripts/evaluate.py package=packages/sample-joint-embedded data=sample   # char / word / seqeval F1
"""

import _bootstrap  # noqa: F401
import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import OmegaConf

from arabic_ie.train.run import evaluate_run

# the first of its arguments that is set (hydra.run.dir: inside run_dir, else under outputs/)
OmegaConf.register_new_resolver("first_set", lambda *values: next((v for v in values if v not in (None, "", "None")), None),
                                replace=True)


@hydra.main(version_base="1.3", config_path=_bootstrap.CONFIG_DIR, config_name="evaluate")
def main(cfg) -> None:
    if (cfg.run_dir is None) == (cfg.package is None):
        raise SystemExit("evaluate.py needs exactly one of run_dir=RUN_DIR or package=PACKAGE")
    output_dir = HydraConfig.get().runtime.output_dir
    if cfg.run_dir is not None:
        evaluate_run(cfg.run_dir, cfg.data, list(cfg.splits), cfg.batch_size, output_dir)
        return
    from arabic_ie.infer.evaluation import evaluate_package, summary_table

    metrics = evaluate_package(cfg.package, cfg.data, list(cfg.splits), cfg.batch_size, cfg.backend, output_dir)
    print("\nPackage scores on raw documents (micro F1; character-exact, word-level, seqeval on word tags):\n"
          + summary_table(metrics))
    print(f"Per type: {output_dir}/metrics.md")


if __name__ == "__main__":
    main()
