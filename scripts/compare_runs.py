"""Paired significance test (paired bootstrap, approximate randomization) between two runs, or two
groups of runs (seeds), on the same split; see configs/compare_runs.yaml.

    python scripts/compare_runs.py run_a=outputs/sweeps/sample-joint-tiny run_b=outputs/sweeps/sample-ner-tiny split=test 'tasks=[ner]'
"""

import json
from pathlib import Path

import _paths
import hydra
from omegaconf import ListConfig

from arabic_ie.analysis.compare import compare, markdown
from arabic_ie.analysis.runs import runs_from


def _as_paths(value):
    return [str(v) for v in value] if isinstance(value, (list, ListConfig)) else str(value)


@hydra.main(version_base="1.3", config_path=_paths.CONFIG_DIR, config_name="compare_runs")
def main(cfg) -> None:
    runs_a, runs_b = runs_from(_as_paths(cfg.run_a)), runs_from(_as_paths(cfg.run_b))
    result = compare(runs_a, runs_b, cfg.split, list(cfg.tasks) if cfg.tasks else None, cfg.mode, cfg.unit, cfg.n_samples,
                     cfg.seed, tuple(cfg.tests), cfg.per_type, cfg.per_seed, cfg.level)
    text = f"# Paired significance test on {cfg.split}\n\n" + markdown(result, str(cfg.name_a), str(cfg.name_b))
    print(text)
    if cfg.output_dir:
        out = Path(cfg.output_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "comparison.md").write_text(text, encoding="utf-8")
        (out / "comparison.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
        print(f"written {out}/comparison.md and comparison.json")


if __name__ == "__main__":
    main()
