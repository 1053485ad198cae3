"""Bootstrap intervals, SemEval-2013 9.1 scores, error categories and PNG plots of one run, into
RUN_DIR/report/; see configs/report.yaml.

    python scripts/report.py run_dir=outputs/sample-joint-embedded/DATE
"""

import _paths
import hydra

from arabic_ie.analysis.report import write_report


@hydra.main(version_base="1.3", config_path=_paths.CONFIG_DIR, config_name="report")
def main(cfg) -> None:
    write_report(cfg.run_dir, cfg.output_dir, list(cfg.splits) if cfg.splits else None, cfg.n_samples, cfg.seed,
                 cfg.confidence, cfg.unit, cfg.mode, cfg.plots)
    print((__import__("pathlib").Path(cfg.output_dir) / "report.md").read_text(encoding="utf-8"))
    print(f"written {cfg.output_dir}")


if __name__ == "__main__":
    main()
