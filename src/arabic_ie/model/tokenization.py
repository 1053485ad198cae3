"""Tokenizers: a WordPiece vocabulary trained here (for models built from scratch), or a
pretrained model's own tokenizer. Either way the result is a fast tokenizer with word ids."""

from __future__ import annotations

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

SPECIAL_TOKENS = {"pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]", "mask_token": "[MASK]"}


def train_wordpiece(words, vocab_size: int, min_frequency: int) -> PreTrainedTokenizerFast:
    """Train a BERT-style WordPiece tokenizer on an iterable of (already normalised) words.

    Built with `tokenizers` and wrapped with `tokenizer_object=`: transformers 5 no longer reads a
    `vocab_file` given to the fast BERT tokenizer (it would silently map every word to [UNK]).

    The trainer gives `##c` continuation tokens ids in hash-map order, which changes merges on
    count ties from run to run (huggingface/tokenizers#1794). Declaring every `##c` up front, in
    sorted order, makes the vocabulary reproducible; the final tokenizer is then rebuilt from the
    vocabulary so that those tokens are ordinary, not special.
    """
    words = list(words)
    alphabet = sorted({c for word in words for c in word})
    specials = list(SPECIAL_TOKENS.values())
    scratch = Tokenizer(models.WordPiece(unk_token=SPECIAL_TOKENS["unk_token"]))
    scratch.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=min_frequency, initial_alphabet=alphabet,
                                        special_tokens=specials + [f"##{c}" for c in alphabet])
    scratch.train_from_iterator(words, trainer=trainer)

    backend = Tokenizer(models.WordPiece(vocab=scratch.get_vocab(), unk_token=SPECIAL_TOKENS["unk_token"]))
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.decoder = decoders.WordPiece()
    backend.add_special_tokens(specials)
    cls, sep = SPECIAL_TOKENS["cls_token"], SPECIAL_TOKENS["sep_token"]
    backend.post_processor = processors.TemplateProcessing(
        single=f"{cls} $A {sep}", pair=f"{cls} $A {sep} $B:1 {sep}:1",
        special_tokens=[(cls, backend.token_to_id(cls)), (sep, backend.token_to_id(sep))],
    )
    return PreTrainedTokenizerFast(tokenizer_object=backend, **SPECIAL_TOKENS)


def load_tokenizer(name_or_path: str):
    tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    if not getattr(tokenizer, "is_fast", True) or not hasattr(tokenizer("x"), "word_ids"):
        raise ValueError(f"{name_or_path}: a fast tokenizer (with word ids) is needed for alignment")
    return tokenizer
