"""Masked-language-model pretraining of Arabic encoders on raw text (scripts/pretrain.py).

preprocess.py  the words fine-tuning feeds the tokenizer (`Preprocessor`), for the text that
            data/texts.py streams (.txt / .jsonl / .jsonl.gz, a file or a folder)
packing.py  tokenizer (trained from scratch, cached) and the corpus tokenized once into packed,
            cached token streams with word-start flags (train and held-out)
masking.py  [CLS] … [SEP] blocks over the packed streams; (whole-word) masking; collator
model.py    BertForMaskedLM (or a checkpoint's MLM model) and the loss scored at masked positions only
run.py      the run: HF Trainer, held-out loss, checkpoints and resume, the saved model and its card
"""

from arabic_ie.data.texts import CorpusError, CorpusReport, corpus_files, iter_documents
from arabic_ie.pretraining.preprocess import Preprocessor
from arabic_ie.pretraining.masking import BlockDataset, FixedMasks, MaskingCollator, MaskingConfig, mask_tokens
from arabic_ie.pretraining.model import build_mlm_model, masked_lm_loss, mlm_head
from arabic_ie.pretraining.packing import CorpusSpec, PackedCorpus, pack_corpus, scratch_tokenizer

__all__ = [
    "BlockDataset", "CorpusError", "CorpusReport", "CorpusSpec", "FixedMasks", "MaskingCollator", "MaskingConfig", "PackedCorpus",
    "Preprocessor", "build_mlm_model", "corpus_files", "iter_documents", "mask_tokens", "masked_lm_loss",
    "mlm_head", "pack_corpus", "pretrain", "scratch_tokenizer",
]


def pretrain(cfg, run_dir):
    """See `arabic_ie.pretraining.run.pretrain` (imported lazily: it needs the train extra)."""
    from arabic_ie.pretraining.run import pretrain as run

    return run(cfg, run_dir)
