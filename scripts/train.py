"""Fine-tune an encoder on the configured data and task(s); see configs/train.yaml.

    python scripts/train.py                                   # sample articles, joint, the shipped encoder
    python scripts/train.py data=anercorp task=ner seed=3 trainer.max_steps=20
"""

import _bootstrap  # noqa: F401  (sets PROJECT_ROOT before Hydra reads the configs)
import hydra
from hydra.core.hydra_config import HydraConfig

from arabic_ie.train.distributed import is_main_process
from arabic_ie.train.run import train


@hydra.main(version_base="1.3", config_path=_bootstrap.CONFIG_DIR, config_name="train")
def main(cfg) -> float:
    run_dir = HydraConfig.get().runtime.output_dir
    metrics = train(cfg, run_dir)
    if cfg.get("report") and is_main_process():
        from arabic_ie.analysis.report import write_report  # the `analysis` extra (matplotlib, nervaluate)

        write_report(run_dir)
        print(f"Report (bootstrap intervals, SemEval-2013 scores, plots): {run_dir}/report/report.md")
    dev = metrics.get("dev", {})
    # the value Hydra sweepers optimise: mean dev micro F1 over the span tasks and, with the events
    # head, argument classification on gold input
    scores = [t["default"]["micro"]["f1"] for t in dev.values() if "default" in t]
    scores += [t["classification"]["micro"]["f1"] for name, t in dev.items() if name == "arguments (gold input)"]
    return sum(scores) / max(len(scores), 1)


if __name__ == "__main__":
    main()
