"""Train static word vectors on a raw corpus (gensim FastText) for `model.word_vectors`; see
configs/word_vectors.yaml and docs/accuracy.md.

    python scripts/word_vectors.py                                   # SaudiNewsNet -> models/arabic-news-vectors
"""

import _bootstrap  # noqa: F401
import hydra

from arabic_ie.data.arabic import ArabicNormalizer
from arabic_ie.data.texts import CorpusReport, corpus_files
from arabic_ie.pretraining.preprocess import Preprocessor
from arabic_ie.pretraining.vectors import read_sentences, train_word_vectors


@hydra.main(version_base="1.3", config_path=_bootstrap.CONFIG_DIR, config_name="word_vectors")
def main(cfg) -> None:
    preprocessor = Preprocessor(ArabicNormalizer(**cfg.normalizer), split_proclitics=cfg.split_proclitics)
    report = CorpusReport()
    sentences = read_sentences(corpus_files(cfg.corpus.path), preprocessor, cfg.corpus.text_field, cfg.corpus.txt_unit,
                               cfg.corpus.max_documents, report)
    min_n, max_n = cfg.char_ngrams
    vectors = train_word_vectors(sentences, dim=cfg.dim, window=cfg.window, min_count=cfg.min_count, epochs=cfg.epochs,
                                 max_words=cfg.max_words, seed=cfg.seed, workers=cfg.workers, min_n=min_n, max_n=max_n)
    vectors.info.update({"corpus": cfg.corpus.name, "corpus_license": cfg.corpus.get("license"),
                         "documents": report.documents, "skipped_empty": report.skipped_empty,
                         "preprocessing": preprocessor.settings()})
    folder = vectors.save(cfg.output_dir)
    print(f"wrote {folder}: {len(vectors.words):,} words x {vectors.dim} (of {vectors.info['vocabulary_with_min_count']:,} "
          f"seen {cfg.min_count}+ times in {vectors.info['corpus_words']:,} words; {report.skipped_empty} empty documents skipped)")


if __name__ == "__main__":
    main()
