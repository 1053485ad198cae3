"""Ship a pretraining run's encoder into models/ (fp16, with tokenizer and model card); see
configs/ship_model.yaml and docs/pretraining.md.

    python scripts/ship_model.py run_dir=outputs/pretrain/saudinewsnet-compact/recipe
"""

import _bootstrap  # noqa: F401
import hydra

from arabic_ie.pretraining.ship import ship_encoder


@hydra.main(version_base="1.3", config_path=_bootstrap.CONFIG_DIR, config_name="ship_model")
def main(cfg) -> None:
    summary = ship_encoder(cfg.run_dir, cfg.output_dir, name=cfg.name, dtype=cfg.dtype,
                           max_megabytes=float(cfg.max_megabytes), results=list(cfg.results), seed=cfg.seed,
                           earlier_phases=[dict(p) for p in cfg.earlier_phases], label=cfg.label)
    print(f"shipped {cfg.output_dir}: {summary['shipped']['megabytes']:.1f} MB ({cfg.dtype}), "
          f"{summary['steps']:,} pretraining steps, held-out MLM loss {summary['heldout_loss']:.4f}")


if __name__ == "__main__":
    main()
