"""Print a Markdown table of a dataset's documents, words and spans per type and split.

    python scripts/describe_data.py data=sample
"""

import _bootstrap  # noqa: F401
import hydra

from arabic_ie.data.arabic import WordSegmenter
from arabic_ie.data.corpus import corpus_statistics, load_corpus


@hydra.main(version_base="1.3", config_path=_bootstrap.CONFIG_DIR, config_name="describe_data")
def main(cfg) -> None:
    corpus = load_corpus(cfg.data)
    segmenter = WordSegmenter.from_documents(corpus.splits["train"], cfg.data.split_proclitics)
    print(corpus_statistics(corpus, segmenter))
    for split, report in corpus.reports.items():
        print(f"{split}: {report.summary()}")


if __name__ == "__main__":
    main()
