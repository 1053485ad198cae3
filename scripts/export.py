"""Export a trained run as a self-contained inference package; see configs/export.yaml.

    python scripts/export.py run_dir=outputs/sample-joint-embedded/DATE output_dir=packages/sample-joint-embedded
    python scripts/export.py run_dir=RUN output_dir=PKG export.wheel=true export.name=my_tagger
"""

import _bootstrap  # noqa: F401
import hydra

from arabic_ie.package.export import export_package


@hydra.main(version_base="1.3", config_path=_bootstrap.CONFIG_DIR, config_name="export")
def main(cfg) -> None:
    e = cfg.export
    path = export_package(cfg.run_dir, cfg.output_dir, name=e.name, version=str(e.version), onnx=e.onnx, wheel=e.wheel,
                          wheel_dir=e.wheel_dir, overwrite=e.overwrite, license=e.license, intended_use=e.intended_use)
    print(f"package: {path}")
    print(f"  from arabic_ie import load; tagger = load({str(path)!r}); tagger(text)")


if __name__ == "__main__":
    main()
