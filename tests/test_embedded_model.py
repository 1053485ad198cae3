"""The shipped encoder (models/compact-arabic-bert, `model=embedded`, the default): small enough for
plain git, loads offline in float32 through the training code, and its tokenizer covers Arabic news
words with offsets back into the text."""

from __future__ import annotations

import json
import os

import torch
from safetensors import safe_open

from conftest import REPO_ROOT

os.environ.setdefault("PROJECT_ROOT", str(REPO_ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from arabic_ie.data.arabic import ArabicNormalizer, WordSegmenter  # noqa: E402
from arabic_ie.model.multitask import build_encoder  # noqa: E402
from arabic_ie.model.tokenization import load_tokenizer  # noqa: E402
from test_training import config  # noqa: E402

FOLDER = REPO_ROOT / "models" / "compact-arabic-bert"
# Written for this test (not from any corpus): a news-style sentence with a date, a number,
# punctuation, a proclitic and diacritics on one word.
TEXT = "أعلنت وزارة الداخلية في الرياض، مساء الثلاثاء، القبض على 12 شخصاً وضبط أسلحة قرب الحدود الشمالية للمملكة."


def test_the_folder_is_small_fp16_and_states_its_licence():
    files = {p.name: p.stat().st_size for p in FOLDER.iterdir()}
    assert set(files) == {"README.md", "config.json", "loss_curve.png", "model.safetensors", "pretraining.json",
                          "tokenizer.json", "tokenizer_config.json"}
    weights_and_tokenizer = files["model.safetensors"] + files["tokenizer.json"] + files["tokenizer_config.json"]
    assert weights_and_tokenizer <= 25e6
    with safe_open(str(FOLDER / "model.safetensors"), "pt") as weights:
        assert {weights.get_tensor(k).dtype for k in weights.keys()} == {torch.float16}
    card = (FOLDER / "README.md").read_text(encoding="utf-8")
    for text in (card, (FOLDER / "pretraining.json").read_text(encoding="utf-8")):
        assert str(REPO_ROOT) not in text and "../shared/data/saudinewsnet/articles.jsonl.gz" in text  # no machine paths
    assert "license: cc-by-nc-sa-4.0" in card and "CC BY-NC-SA 4.0" in card and "SaudiNewsNet" in card
    assert "## Fine-tuning results" in card and "## Loss curve" in card
    summary = json.loads((FOLDER / "pretraining.json").read_text(encoding="utf-8"))
    assert summary["corpus"]["name"] == "saudinewsnet" and summary["steps"] == 10972
    # past the masked-LM plateau (about 7 nats, docs/pretraining.md): an encoder stuck there fine-tunes no
    # better than random initialisation and must not be shipped
    assert summary["loss_history"][-1]["heldout"][0][1] > 7.0 and summary["heldout_loss"] < 4.2


def test_the_default_model_loads_offline_in_float32(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model_cfg = config().model
    assert model_cfg.name == "embedded" and model_cfg.pretrained == str(FOLDER)
    encoder = build_encoder(model_cfg, vocab_size=0, pad_token_id=0)  # both unused for a pretrained model
    assert encoder.dtype == torch.float32 and encoder.config.num_hidden_layers == 4
    tokenizer = load_tokenizer(model_cfg.pretrained)
    assert len(tokenizer) == encoder.config.vocab_size == 16000
    batch = tokenizer([TEXT], return_tensors="pt")
    with torch.no_grad():
        hidden = encoder(**batch).last_hidden_state
    assert hidden.shape == (1, batch["input_ids"].shape[1], 256) and torch.isfinite(hidden).all()


def test_the_tokenizer_round_trips_arabic_news_with_offsets():
    tokenizer = load_tokenizer(str(FOLDER))
    encoded = tokenizer(TEXT, return_offsets_mapping=True)
    tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"])
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and "[UNK]" not in tokens
    for token, (start, end) in zip(tokens[1:-1], encoded["offset_mapping"][1:-1]):
        assert TEXT[start:end] == token.removeprefix("##")  # every subword points at its characters
    # frequent news words are whole tokens; rarer ones split into pieces that rejoin exactly
    assert all(len(tokenizer.tokenize(w)) == 1 for w in ["وزارة", "الرياض", "الثلاثاء", "الحدود"])
    assert tokenizer.decode(encoded["input_ids"], skip_special_tokens=True).replace(" ", "") == TEXT.replace(" ", "")

    # the words fine-tuning feeds it: normalised (diacritics removed), offsets into the original text
    text = TEXT.replace("شخصاً", "شَخْصاً")
    words = WordSegmenter().words(text)
    normalizer = ArabicNormalizer()
    encoded = tokenizer([normalizer(text[start:end]) for start, end in words], is_split_into_words=True)
    ids = encoded.word_ids()
    assert sorted(set(ids) - {None}) == list(range(len(words)))  # every word has at least one subword
    assert tokenizer.unk_token_id not in encoded["input_ids"]
    person = next(i for i, (start, end) in enumerate(words) if text[start:end] == "شَخْصاً")
    pieces = [encoded["input_ids"][k] for k, i in enumerate(ids) if i == person]
    assert tokenizer.decode(pieces) == "شخصا"
