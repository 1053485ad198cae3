"""Aggregate the runs of a sweep folder: mean ± std and per-seed span F1 per setting, split, task
and type, into SWEEP_DIR/aggregate.md and aggregate.csv; see configs/aggregate.yaml.

    python scripts/train.py -m seed=1,2,3 hydra.sweep.dir=outputs/sweeps/sample-joint-embedded
    python scripts/aggregate.py sweep_dir=outputs/sweeps/sample-joint-embedded
"""

import _paths
import hydra

from arabic_ie.analysis.aggregate import markdown_table, write_aggregate
from arabic_ie.analysis.runs import find_runs


@hydra.main(version_base="1.3", config_path=_paths.CONFIG_DIR, config_name="aggregate")
def main(cfg) -> None:
    runs = find_runs(cfg.sweep_dir)
    if not runs:
        raise SystemExit(f"{cfg.sweep_dir}: no run directory (metrics.json with .hydra/overrides.yaml or config.yaml)")
    ignored = tuple(cfg.ignore_overrides)
    intervals = dict(unit=cfg.unit, n_samples=cfg.n_samples, seed=cfg.seed, confidence=cfg.confidence) if cfg.intervals else None
    rows, _ = write_aggregate(runs, cfg.output_dir, tuple(cfg.splits), tuple(cfg.modes), ignored, cfg.name, intervals)
    print(markdown_table(rows, types=cfg.print_types))
    if cfg.plots:
        from arabic_ie.analysis.plots import plot_setting_bars

        keys = sorted({(r["split"], r["task"], r["mode"]) for r in rows})
        for split, task, mode in keys:
            table = [r for r in rows if (r["split"], r["task"], r["mode"], r["type"]) == (split, task, mode, "micro")]
            suffix = "" if mode == "default" else f"_{mode}"
            plot_setting_bars(table, f"{cfg.output_dir}/{cfg.name}_{split}_{task}{suffix}.png",
                              f"{split} / {task}: micro F1 ({mode} mode), mean ± std over seeds")
    print(f"{len(runs)} runs in {len({r['setting'] for r in rows})} setting(s); written {cfg.output_dir}/{cfg.name}.md and .csv")


if __name__ == "__main__":
    main()
