"""Silver labels for self-training: tag unlabelled articles with a package, keep the sentences it is
sure of, write them as CoNLL for `data.silver`; see configs/silver_labels.yaml.

    python scripts/silver_labels.py package=PKG output=/tmp/silver.txt
    python scripts/silver_labels.py 'package=[PKG1,PKG2,PKG3]' output=/tmp/silver.txt   # an ensemble
"""

import _bootstrap  # noqa: F401
import hydra

from arabic_ie.infer.silver import read_articles, sample_articles, write_silver
from arabic_ie.infer.tagger import load


@hydra.main(version_base="1.3", config_path=_bootstrap.CONFIG_DIR, config_name="silver_labels")
def main(cfg) -> None:
    packages = [cfg.package] if isinstance(cfg.package, str) else list(cfg.package)
    taggers = [load(package, backend=cfg.backend) for package in packages]
    articles = sample_articles(read_articles(cfg.articles), cfg.max_articles, cfg.shuffle_seed)
    report = write_silver(taggers, articles, cfg.output, cfg.task, cfg.min_probability, cfg.min_words, cfg.max_words,
                          cfg.batch_size, progress=lambda r: print(f"{r.articles}/{len(articles)} articles, {r.kept} sentences kept", flush=True))
    print(f"{cfg.output}: {report.summary()}")


if __name__ == "__main__":
    main()
