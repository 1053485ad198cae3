"""Tag a folder of .txt files, a JSONL file or a BRAT folder with an exported package, writing
JSONL or BRAT; see configs/predict.yaml.

    python scripts/predict.py package=PKG input=articles/ output=predictions.jsonl
    python scripts/predict.py package=PKG input=articles/ output=for_brat/ backend=onnx-int8
"""

import _bootstrap  # noqa: F401
import hydra

from arabic_ie.serve.predict import predict_files
from arabic_ie.infer.tagger import load


@hydra.main(version_base="1.3", config_path=_bootstrap.CONFIG_DIR, config_name="predict")
def main(cfg) -> None:
    tagger = load(cfg.package, backend=cfg.backend, threads=cfg.threads)
    counts = predict_files(tagger, cfg.input, cfg.output, cfg.input_format, cfg.output_format, cfg.batch_size,
                           progress=cfg.progress)
    print(f"{counts['documents']} documents ({counts['words']} words, {counts['input_format']}) -> {cfg.output} "
          f"({counts['output_format']}): {counts['entities']} entities, {counts['triggers']} triggers; "
          f"{counts['skipped']} skipped (already there), {counts['rejected']} rejected (-> {counts['rejects_file']})")
    for reject in counts["first_rejects"]:
        print(f"  rejected: {reject}")


if __name__ == "__main__":
    main()
