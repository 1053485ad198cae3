"""Masked-LM pretraining (arabic_ie.pretraining, scripts/pretrain.py) on a tiny corpus written here:
corpus reading and its errors, whole-word masking, masked-only scoring against BertForMaskedLM,
the packed-corpus cache, a few training steps through Hydra, the saved folder, resuming, and
fine-tuning the result with `model=local`."""

from __future__ import annotations

import gzip
import json
import logging
import math
import os
import shutil
import subprocess
import sys

import pytest
import torch
from hydra import compose, initialize_config_dir
from transformers import AutoModel, AutoModelForMaskedLM, AutoTokenizer, BertConfig, BertForMaskedLM

from conftest import REPO_ROOT

os.environ.setdefault("PROJECT_ROOT", str(REPO_ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from arabic_ie.data.arabic import ArabicNormalizer  # noqa: E402
from arabic_ie.train.config import register_configs  # noqa: E402
from arabic_ie.pretraining import packing  # noqa: E402
from arabic_ie.pretraining import (  # noqa: E402
    BlockDataset, CorpusError, FixedMasks, MaskingCollator, MaskingConfig, Preprocessor, CorpusReport, corpus_files,
    iter_documents, mask_tokens, masked_lm_loss, pretrain,
)

# Sentences written for these tests (not from any corpus); one has diacritics and tatweel.
SENTENCES = [
    "أعلنت وزارة الصحة في الرياض اليوم عن افتتاح مستشفى جديد في مدينة جدة.",
    "التقى وزير الخارجية نظيره الفرنسي في باريس لبحث العلاقات الثنائية.",
    "شهدت الأسواق المالية ارتفاعا ملحوظا خلال الأسبوع الماضي، وفق التقرير.",
    "قالت الشرطة إنها اعتقلت ثلاثة أشخاص بعد هجوم على مركز تجاري.",
    "وقّعت الحكومة اتفاقية تعاون مع شركة للطاقة المتجددة.",
    "تظاهر مئات الطلاب أمام الجامعة احتجاجا على رفع الرسوم.",
    "أكد المتحدث باسم التحالف أن المفاوضات ستستأنف الأسبوع المقبل.",
    "كَتَبَ الصحفيُّ مقالـــا طويلا عن الاقتصاد والاستثمار في المملكة.",
]


def document(i: int) -> str:
    return " ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(3))


def body(i: int) -> str:
    """c.jsonl.gz's other field: a text unlike `document(i)`, so that reading it shows which field was read."""
    return f"{SENTENCES[i % len(SENTENCES)]} ({i})"


def write_corpus(folder):
    """12 documents in .txt (blank-line paragraphs), 12 in .jsonl (+ one empty text), 12 in .jsonl.gz."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.txt").write_text("\n\n".join(document(i) for i in range(12)) + "\n", encoding="utf-8")
    lines = [json.dumps({"id": i, "text": document(i)}, ensure_ascii=False) for i in range(12, 24)]
    lines.insert(3, json.dumps({"id": "empty", "text": "  "}))
    (folder / "b.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with gzip.open(folder / "c.jsonl.gz", "wt", encoding="utf-8") as handle:
        for i in range(24, 36):
            handle.write(json.dumps({"id": i, "body": body(i), "text": document(i)}, ensure_ascii=False) + "\n")
    return folder


TINY = [
    "architecture.hidden_size=32", "architecture.num_hidden_layers=1", "architecture.num_attention_heads=2",
    "architecture.intermediate_size=64", "architecture.max_position_embeddings=64",
    "vocabulary.size=300", "vocabulary.min_frequency=1", "vocabulary.training_words=100000",
    "seq_length=32", "heldout.every=6", "heldout.max_blocks=8", "show_progress=false",
    "trainer.max_steps=4", "trainer.eval_steps=2", "trainer.save_steps=2", "trainer.logging_steps=1",
    "trainer.per_device_train_batch_size=4", "trainer.per_device_eval_batch_size=8",
    "trainer.disable_tqdm=true", "trainer.report_to=[]",
]


def config(corpus, cache, *overrides):
    register_configs()
    with initialize_config_dir(config_dir=str(REPO_ROOT / "configs"), version_base="1.3"):
        return compose("pretrain", overrides=["corpus=local", f"corpus.path={corpus}", "corpus.name=tiny",
                                              f"cache_dir={cache}", *TINY, *overrides])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def pretrained(corpus, tmp_path_factory):
    """A first run through the script (Hydra entry point) and its run directory."""
    root = tmp_path_factory.mktemp("pretrain")
    run_dir, cache = root / "run", root / "cache"
    overrides = ["corpus=local", f"corpus.path={corpus}", "corpus.name=tiny", f"cache_dir={cache}", *TINY,
                 f"hydra.run.dir={run_dir}"]
    result = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "pretrain.py"), *overrides],
                            capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    return run_dir, cache


def test_default_config_is_the_saudinewsnet_recipe():
    register_configs()
    with initialize_config_dir(config_dir=str(REPO_ROOT / "configs"), version_base="1.3"):
        cfg = compose("pretrain")
        assert cfg.corpus.name == "saudinewsnet" and cfg.corpus.path.endswith("saudinewsnet/articles.jsonl.gz")
        assert cfg.corpus.license_id == "cc-by-nc-sa-4.0" and "NonCommercial-ShareAlike" in cfg.corpus.license_note
        assert cfg.init_from is None and cfg.mlm_head == "masked_only" and cfg.masking.whole_word
        assert cfg.trainer.bf16 is True and cfg.trainer.max_steps > 0
        with pytest.raises(Exception, match="max_stepz"):
            compose("pretrain", overrides=["trainer.max_stepz=3"])


def test_reader_streams_txt_jsonl_and_gzip_and_counts_empty_texts(corpus):
    report = CorpusReport()
    texts = list(iter_documents(corpus_files(corpus), report=report))
    assert texts == [document(i) for i in range(36)]
    assert (report.files, report.documents, report.skipped_empty) == (3, 36, 1)
    assert report.skipped_examples == [f"{corpus / 'b.jsonl'}:4"]
    assert list(iter_documents([corpus / "a.txt"], txt_unit="file")) == ["\n\n".join(document(i) for i in range(12))]
    assert list(iter_documents([corpus / "c.jsonl.gz"], text_field="body")) == [body(i) for i in range(24, 36)]
    assert list(iter_documents([corpus / "c.jsonl.gz"])) == [document(i) for i in range(24, 36)]
    # the corpus config's text_field reaches the reader (corpus.text_field -> CorpusSpec)
    spec = packing.CorpusSpec(path=str(corpus / "c.jsonl.gz"), text_field="body", heldout_every=6)
    assert [text for _, text in spec.documents()] == [body(i) for i in range(24, 36)]
    assert [held for held, _ in spec.documents()] == [i % 6 == 5 for i in range(12)]


def test_reader_errors_name_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "خبر"}\n{"text": "خبر\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad\.jsonl:2: invalid JSON"):
        list(iter_documents([bad]))
    bad.write_text('{"text": "خبر"}\n\n{"body": "خبر"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad\.jsonl:3: no 'text' field \(fields: body\)"):
        list(iter_documents([bad]))
    bad.write_text('{"text": 3}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad\.jsonl:1: field 'text' is a int"):
        list(iter_documents([bad]))
    (tmp_path / "latin1.txt").write_bytes("ok\n\xe9\n".encode("latin-1"))
    with pytest.raises(CorpusError, match=r"latin1\.txt:2: not UTF-8"):
        list(iter_documents([tmp_path / "latin1.txt"]))
    with pytest.raises(CorpusError, match="no such file or folder"):
        corpus_files(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match=r"empty: no \.jsonl, .* files in this folder"):
        corpus_files(tmp_path / "empty")


def test_words_are_fed_as_in_fine_tuning():
    words = Preprocessor(ArabicNormalizer())("كَتَبَ مقالـــا، وبالقرب وزير")
    assert words == ["كتب", "مقالا", "،", "وبالقرب", "وزير"]  # normalised; punctuation alone; no proclitic split
    split = Preprocessor(ArabicNormalizer(), split_proclitics=True)("كَتَبَ مقالـــا، وبالقرب وزير")
    assert split == ["كتب", "مقالا", "،", "و", "ب", "القرب", "وزير"]  # rules only: وزير stays whole


def _masking_batch(generator, batch=64, words=30, max_pieces=4, length=125):
    """Rows of [CLS], `words` words of 1..max_pieces random subwords, [SEP], padding ([PAD] = 0):
    ids, word starts, and the word each token belongs to (-1 for special tokens)."""
    rows_ids, rows_starts, rows_words = [], [], []
    for _ in range(batch):
        ids, starts, owner = [2], [True], [-1]  # [CLS]
        for word in range(words):
            pieces = int(torch.randint(1, max_pieces + 1, (1,), generator=generator))
            ids += torch.randint(10, 100, (pieces,), generator=generator).tolist()
            starts += [True] + [False] * (pieces - 1)
            owner += [word] * pieces
        padding = length - len(ids) - 1
        rows_ids.append(ids + [3] + [0] * padding)
        rows_starts.append(starts + [True] * (padding + 1))
        rows_words.append(owner + [-1] * (padding + 1))
    return torch.tensor(rows_ids), torch.tensor(rows_starts), torch.tensor(rows_words)


def test_whole_word_masking_selects_every_subword_of_a_chosen_word():
    generator = torch.Generator().manual_seed(0)
    ids, starts, owner = _masking_batch(generator)
    special = (ids == 0) | (ids == 2) | (ids == 3)
    config = MaskingConfig(rate=0.15, whole_word=True)
    masked, labels = mask_tokens(ids, starts, special, config, mask_id=4, vocab_size=100, generator=generator)
    selected = labels != -100
    assert not selected[special].any()
    chosen_multi_piece = 0
    for row in range(ids.shape[0]):
        for word in owner[row].unique().tolist():
            if word < 0:
                continue
            in_word = owner[row] == word
            flags = selected[row][in_word]
            assert flags.all() or not flags.any(), f"row {row} word {word}: only some subwords selected"
            chosen_multi_piece += bool(flags.all() and in_word.sum() > 1)
    assert chosen_multi_piece > 10
    assert torch.equal(labels[selected], ids[selected])
    share = selected.sum() / (~special).sum()
    assert 0.12 < share < 0.18
    replaced = masked[selected] == 4
    assert 0.75 < replaced.float().mean() < 0.85
    unchanged_elsewhere = masked[~selected] == ids[~selected]
    assert unchanged_elsewhere.all()
    # subword masking picks tokens independently: some words end up partly selected
    _, labels = mask_tokens(ids, starts, special, MaskingConfig(rate=0.3, whole_word=False), 4, 100, generator)
    assert any(0 < ((labels[r] != -100) & (owner[r] == w)).sum() < (owner[r] == w).sum()
               for r in range(ids.shape[0]) for w in range(10))


def test_every_block_gets_a_prediction_and_held_out_masks_are_fixed():
    generator = torch.Generator().manual_seed(1)
    ids = torch.tensor([[2, 50, 51, 3]] * 200)
    starts = torch.ones_like(ids, dtype=torch.bool)
    _, labels = mask_tokens(ids, starts, (ids == 2) | (ids == 3), MaskingConfig(rate=0.01), 4, 100, generator)
    assert ((labels != -100).sum(dim=1) >= 1).all()

    import numpy as np

    stream = np.arange(10, 110, dtype=np.uint16)
    flags = (np.arange(100) % 3 == 0).astype(np.uint8)
    fixed = FixedMasks(MaskingConfig(), (0, 1, 2, 3, 4), mask_id=4, vocab_size=120, seed=7)
    heldout = BlockDataset(stream, flags, seq_length=16, cls_id=2, sep_id=3, fixed_masks=fixed)
    assert len(heldout) == 8  # 100 tokens in bodies of 14: the last block is shorter
    first = [heldout[i] for i in range(len(heldout))]
    again = [heldout[i] for i in reversed(range(len(heldout)))][::-1]
    for a, b in zip(first, again):
        assert torch.equal(a["input_ids"], b["input_ids"]) and torch.equal(a["labels"], b["labels"])
    batch = MaskingCollator(MaskingConfig(), (0, 1, 2, 3, 4), 4, 0, 120)(first[-2:])
    assert batch["input_ids"].shape == (2, 16) and batch["attention_mask"][1].sum() == len(first[-1]["input_ids"])
    assert torch.equal(batch["labels"][1, : len(first[-1]["labels"])], first[-1]["labels"])


def test_masked_only_scoring_gives_the_loss_of_full_bert_for_masked_lm():
    torch.manual_seed(0)
    model = BertForMaskedLM(BertConfig(vocab_size=500, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                       intermediate_size=64, max_position_embeddings=64)).eval()
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight  # tied
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 500, (6, 40), generator=generator)
    attention = torch.ones_like(ids)
    attention[4:, 30:] = 0
    ids[attention == 0] = 0
    starts = torch.rand(6, 40, generator=generator) < 0.6
    special = attention == 0
    masked, labels = mask_tokens(ids, starts, special, MaskingConfig(), mask_id=4, vocab_size=500, generator=generator)
    with torch.no_grad():
        reference = model(input_ids=masked, attention_mask=attention, labels=labels).loss
        ours = masked_lm_loss(model, masked, labels, attention)
        summed = masked_lm_loss(model, masked, labels, attention, reduction="sum")
        full = masked_lm_loss(model, masked, labels, attention, masked_only=False)
    assert torch.allclose(ours, reference, atol=1e-5, rtol=1e-5)
    assert torch.allclose(full, reference, atol=1e-5, rtol=1e-5)
    assert torch.allclose(summed / (labels != -100).sum(), reference, atol=1e-5, rtol=1e-5)
    # and the gradients agree
    model.zero_grad()
    model(input_ids=masked, attention_mask=attention, labels=labels).loss.backward()
    reference_grad = model.bert.embeddings.word_embeddings.weight.grad.clone()
    model.zero_grad()
    masked_lm_loss(model, masked, labels, attention).backward()
    assert torch.allclose(model.bert.embeddings.word_embeddings.weight.grad, reference_grad, atol=1e-6)


def test_pretraining_run_saves_a_model_that_loads_and_tokenizes_arabic(pretrained):
    run_dir, _ = pretrained
    folder = run_dir / "model"
    summary = json.loads((folder / "pretraining.json").read_text(encoding="utf-8"))
    assert summary["steps"] == 4 and math.isfinite(summary["train_loss"]) and math.isfinite(summary["heldout_loss"])
    assert summary["documents"] == {"train": 30, "heldout": 6} and summary["mlm_head"] == "masked_only"
    report = json.loads((run_dir / "data_report.json").read_text(encoding="utf-8"))
    assert report["read"]["skipped_empty"] == 1 and report["cache_reused"] is False
    assert (run_dir / "checkpoints" / "checkpoint-4").is_dir() and not (folder / "training_args.bin").exists()
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "license: other" in card and "python scripts/train.py model=local" in card
    assert summary["device"] == "CPU" and summary["optimisation"]["per_device_train_batch_size"] == 4
    assert summary["optimisation"]["lr_scheduler_type"] == "linear" and summary["optimisation"]["seed"] == 42
    assert "batch 4 x 32 tokens, peak lr 0.001, linear schedule, warm-up 0.06, weight decay 0.01, seed 42" in card

    encoder = AutoModel.from_pretrained(folder)
    mlm = AutoModelForMaskedLM.from_pretrained(folder)
    assert type(mlm).__name__ == "BertForMaskedLM" and encoder.config.hidden_size == 32
    assert torch.equal(encoder.embeddings.word_embeddings.weight, mlm.bert.embeddings.word_embeddings.weight)
    assert mlm.cls.predictions.decoder.weight is mlm.bert.embeddings.word_embeddings.weight

    tokenizer = AutoTokenizer.from_pretrained(folder)
    words = Preprocessor(ArabicNormalizer())(" ".join(SENTENCES))
    for word in words:
        pieces = tokenizer.tokenize(word)
        assert tokenizer.unk_token not in pieces, word
        assert tokenizer.convert_tokens_to_string(pieces) == word
    assert any(len(tokenizer.tokenize(w)) > 1 for w in words)  # a real subword vocabulary
    encoded = tokenizer(["كتب", "مقالا"], is_split_into_words=True)
    assert encoded.word_ids()[0] is None and encoded["input_ids"][0] == tokenizer.cls_token_id


def test_packed_cache_is_reused_and_rebuilt_when_the_vocabulary_changes(pretrained, corpus, tmp_path, monkeypatch):
    _, cache = pretrained

    def no_tokenizing(*args, **kwargs):
        raise AssertionError("the corpus was tokenized again")

    with monkeypatch.context() as patch:
        patch.setattr(packing, "_pack", no_tokenizing)
        patch.setattr(packing, "train_wordpiece", no_tokenizing)
        summary = pretrain(config(corpus, cache, "trainer.max_steps=1", "trainer.eval_strategy=no", "trainer.save_strategy=no"),
                           tmp_path / "again")
    assert summary["cache_reused"] and summary["tokenizer"].endswith("(cached)")

    calls = []
    original = packing._pack
    monkeypatch.setattr(packing, "_pack", lambda *a, **k: calls.append(1) or original(*a, **k))
    summary = pretrain(config(corpus, cache, "vocabulary.size=250", "trainer.max_steps=1", "trainer.eval_strategy=no",
                              "trainer.save_strategy=no"), tmp_path / "other_vocab")
    assert calls and not summary["cache_reused"] and summary["vocab_size"] <= 250
    assert len(list(cache.glob("packed-*"))) == 2 and not list(cache.glob(".*tmp*"))


def test_pretraining_resumes_from_the_last_checkpoint(pretrained, corpus, tmp_path, caplog):
    _, cache = pretrained
    run_dir = tmp_path / "run"
    first = pretrain(config(corpus, cache, "trainer.max_steps=2"), run_dir)
    assert first["steps"] == 2 and (run_dir / "checkpoints" / "checkpoint-2").is_dir()
    with caplog.at_level(logging.INFO, logger="arabic_ie.pretraining.run"):
        second = pretrain(config(corpus, cache, "trainer.max_steps=4"), run_dir)
    assert second["resumed_from"].endswith("checkpoint-2") and second["steps"] == 4
    assert "resuming from" in caplog.text and (run_dir / "checkpoints" / "checkpoint-4").is_dir()
    state = json.loads((run_dir / "checkpoints" / "checkpoint-4" / "trainer_state.json").read_text())
    assert [e["step"] for e in state["log_history"] if "loss" in e] == [1, 2, 3, 4]


def test_the_pretrained_folder_fine_tunes_with_model_local(pretrained, tmp_path):
    from arabic_ie.train.run import train

    run_dir, _ = pretrained
    with initialize_config_dir(config_dir=str(REPO_ROOT / "configs"), version_base="1.3"):
        cfg = compose("train", overrides=["model=local", f"model.path={run_dir / 'model'}", "task=ner",
                                          "trainer.max_steps=2", "trainer.eval_strategy=steps", "trainer.eval_steps=2",
                                          "trainer.save_strategy=steps", "trainer.save_steps=2", "trainer.disable_tqdm=true",
                                          "trainer.report_to=[]", "window.max_length=64", "window.stride=16",
                                          "evaluate_test=false"])
    metrics = train(cfg, tmp_path / "finetune")
    assert "ner" in metrics["dev"]
    tagger = json.loads((tmp_path / "finetune" / "model" / "tagger.json").read_text(encoding="utf-8"))
    assert str(run_dir / "model") in tagger["model"]


def test_continued_pretraining_starts_from_a_checkpoint_and_its_tokenizer(pretrained, corpus, tmp_path):
    run_dir, cache = pretrained
    start = AutoModelForMaskedLM.from_pretrained(run_dir / "model")
    summary = pretrain(config(corpus, cache, f"init_from={run_dir / 'model'}", "architecture.hidden_size=64",
                              "trainer.max_steps=1", "trainer.warmup_steps=0", "trainer.eval_strategy=no",
                              "trainer.save_strategy=no"),
                       tmp_path / "continued")
    assert summary["init_from"] == str(run_dir / "model") and summary["tokenizer"].startswith("the tokenizer of")
    assert summary["cache_reused"]  # same tokenizer, same packed corpus
    assert summary["architecture"]["hidden_size"] == 32  # the checkpoint's, not the config's
    continued = AutoModelForMaskedLM.from_pretrained(tmp_path / "continued" / "model")
    before, after = start.bert.encoder.layer[0].output.dense.weight, continued.bert.encoder.layer[0].output.dense.weight
    assert before.shape == after.shape and not torch.equal(before, after)
    assert "continued from" in (tmp_path / "continued" / "model" / "README.md").read_text(encoding="utf-8")


def test_freeze_encoder_trains_the_mlm_head_only(pretrained, corpus, tmp_path):
    run_dir, cache = pretrained
    start = AutoModelForMaskedLM.from_pretrained(run_dir / "model")
    summary = pretrain(config(corpus, cache, f"init_from={run_dir / 'model'}", "freeze_encoder=true",
                              "trainer.max_steps=2", "trainer.warmup_steps=0", "trainer.learning_rate=1e-2",
                              "trainer.eval_strategy=no", "trainer.save_strategy=no"),
                       tmp_path / "head")
    assert summary["freeze_encoder"]
    head = AutoModelForMaskedLM.from_pretrained(tmp_path / "head" / "model")
    encoder_after = head.bert.state_dict()
    for name, weight in start.bert.state_dict().items():
        assert torch.equal(weight, encoder_after[name]), name
    assert not torch.equal(start.cls.predictions.transform.dense.weight, head.cls.predictions.transform.dense.weight)
    assert not torch.equal(start.cls.predictions.bias, head.cls.predictions.bias)


def test_shipping_writes_an_fp16_encoder_with_tokenizer_card_and_loss_curve(pretrained, tmp_path):
    from safetensors import safe_open

    from arabic_ie.pretraining.ship import ship_encoder

    run_dir, _ = pretrained
    results = tmp_path / "results.md"
    results.write_text("| model | F1 |\n| --- | ---: |\n| tiny | 0.1234 |\n", encoding="utf-8")
    out = tmp_path / "models" / "shipped"
    phase1 = {"label": "phase 1", "trainer_state": run_dir / "checkpoints" / "checkpoint-2" / "trainer_state.json",
              "tokens_per_step": 100}
    summary = ship_encoder(run_dir, out, name="shipped", results=[results], earlier_phases=[phase1])
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md", "config.json", "loss_curve.png", "model.safetensors", "pretraining.json", "tokenizer.json",
        "tokenizer_config.json"]
    assert summary["shipped"]["dtype"] == "float16" and summary["steps"] == 4
    with safe_open(str(out / "model.safetensors"), "pt") as weights:
        keys = list(weights.keys())
        assert {weights.get_tensor(k).dtype for k in keys} == {torch.float16}
    assert not any(k.startswith("cls.") for k in keys) and "pooler.dense.weight" in keys  # no MLM head; full BertModel

    encoder = AutoModel.from_pretrained(out, dtype=torch.float32)
    assert encoder.dtype == torch.float32 and type(encoder).__name__ == "BertModel"
    trained = AutoModelForMaskedLM.from_pretrained(run_dir / "model").bert.embeddings.word_embeddings.weight
    assert torch.allclose(encoder.embeddings.word_embeddings.weight, trained, atol=1e-3)
    assert AutoTokenizer.from_pretrained(out).tokenize("الرياض") == AutoTokenizer.from_pretrained(run_dir / "model").tokenize("الرياض")

    card = (out / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\nlicense: other") and "# shipped: a compact Arabic BERT" in card
    assert "## Fine-tuning results" in card and "| tiny | 0.1234 |" in card and "![MLM loss](loss_curve.png)" in card
    assert card.count("peak lr 0.001") == 1  # the run card's recipe line, not repeated
    assert card.index("- **Whole history:** 2 phases") < card.index("## Licence and conditions of use")

    # a run made before pretraining.json recorded its optimiser: the card takes it from config.yaml
    old_run = tmp_path / "old_run"
    shutil.copytree(run_dir, old_run)
    recorded = json.loads((old_run / "model" / "pretraining.json").read_text(encoding="utf-8"))
    del recorded["optimisation"]
    (old_run / "model" / "pretraining.json").write_text(json.dumps(recorded), encoding="utf-8")
    run_card = (old_run / "model" / "README.md").read_text(encoding="utf-8")
    recipe = "batch 4 x 32 tokens, peak lr 0.001, linear schedule, warm-up 0.06, weight decay 0.01, seed 42, "
    assert recipe in run_card
    (old_run / "model" / "README.md").write_text(run_card.replace(recipe, ""), encoding="utf-8")
    ship_encoder(old_run, tmp_path / "models" / "old", name="old")
    old_card = (tmp_path / "models" / "old" / "README.md").read_text(encoding="utf-8")
    recipe = "- **Optimisation:** batch 4 x 32 tokens, peak lr 0.001, linear schedule, warm-up 0.06, weight decay 0.01, seed 42."
    assert recipe in old_card and old_card.count("peak lr") == 1 and old_card.index(recipe) < old_card.index("## Licence and conditions of use")
    phases = json.loads((out / "pretraining.json").read_text(encoding="utf-8"))["loss_history"]
    assert [p["label"] for p in phases] == ["phase 1", "seq 32, 128 tokens/step"]
    assert [step for step, _ in phases[0]["heldout"]] == [2] and [step for step, _ in phases[1]["heldout"]] == [2, 4]
    # tokens seen run on across phases: phase 1 trained 2 steps of 100 tokens, then 4 x 128
    assert f"| phase 1 | 2 | 200 | {phases[0]['heldout'][0][1]:.4f} |" in card
    assert f"| seq 32, 128 tokens/step | 4 | 712 | {phases[1]['heldout'][-1][1]:.4f} |" in card


def test_shipping_refuses_a_folder_over_the_size_limit_and_writes_nothing(pretrained, tmp_path):
    from arabic_ie.pretraining.ship import ship_encoder

    run_dir, _ = pretrained
    with pytest.raises(ValueError, match=r"over the 0.01 MB limit"):
        ship_encoder(run_dir, tmp_path / "big", name="big", max_megabytes=0.01)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(FileNotFoundError, match="pretraining.json is missing"):
        ship_encoder(tmp_path, tmp_path / "x", name="x")


def test_sinusoidal_position_embeddings_have_the_table_and_the_asked_scale():
    from arabic_ie.pretraining.model import sinusoidal_positions_

    model = BertForMaskedLM(BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                                       intermediate_size=16, max_position_embeddings=12))
    words = model.bert.embeddings.word_embeddings.weight.detach().clone()
    sinusoidal_positions_(model, scale=0.5)
    positions = model.bert.embeddings.position_embeddings.weight.detach()
    target = 0.5 * words.norm(dim=1).mean()
    assert torch.allclose(positions.norm(dim=1), target.expand(12), atol=1e-5)
    # position 0: sin(0) = 0 and cos(0) = 1 in alternate columns; position 1's first pair is (sin 1, cos 1)
    assert torch.allclose(positions[0] / positions[0].norm(), torch.tensor([0.0, 1.0] * 4) / 2.0, atol=1e-6)
    first = positions[1, :2] / positions[1].norm() * 2.0
    assert torch.allclose(first, torch.tensor([math.sin(1.0), math.cos(1.0)]), atol=1e-6)
    assert torch.equal(model.bert.embeddings.word_embeddings.weight, words)  # words untouched


def test_a_packed_folder_trains_without_the_corpus_and_refuses_a_partial_copy(pretrained, corpus, tmp_path):
    _, cache = pretrained
    (packed,) = [p for p in cache.glob("packed-*") if json.loads((p / "meta.json").read_text())["vocab_size"] > 250]
    moved = shutil.copytree(packed, tmp_path / "elsewhere" / "packed")
    gone = tmp_path / "no_corpus_here"  # as on a GPU host that holds only the packed folder
    summary = pretrain(config(gone, tmp_path / "empty_cache", f"packed_dir={moved}", "trainer.max_steps=2",
                              "trainer.save_strategy=no"), tmp_path / "from_packed")
    assert summary["steps"] == 2 and summary["heldout_loss"] is not None
    assert summary["tokenizer"] == f"WordPiece trained on the first 100,000 words of the training part (packed corpus {moved})"
    assert summary["tokens"]["train"] == json.loads((packed / "meta.json").read_text())["splits"]["train"]["tokens"]
    assert not (tmp_path / "empty_cache").exists()  # nothing tokenized or cached again
    saved = AutoTokenizer.from_pretrained(tmp_path / "from_packed" / "model")
    assert packing.tokenizer_fingerprint(saved) == json.loads((packed / "meta.json").read_text())["key"]["tokenizer"]

    with open(moved / "train.ids.bin", "r+b") as handle:
        handle.truncate(10)
    with pytest.raises(ValueError, match=r"train\.ids\.bin: expected .* bytes, found 10"):
        pretrain(config(gone, tmp_path / "empty_cache", f"packed_dir={moved}"), tmp_path / "partial")
    with pytest.raises(FileNotFoundError, match="not a packed corpus folder"):
        pretrain(config(gone, tmp_path / "empty_cache", f"packed_dir={tmp_path}"), tmp_path / "not_packed")


def test_a_packed_folder_refuses_a_checkpoint_with_another_tokenizer(pretrained, corpus, tmp_path):
    run_dir, _ = pretrained
    spec = packing.CorpusSpec(path=str(corpus), heldout_every=6)
    preprocess = Preprocessor(ArabicNormalizer())
    other, _ = packing.scratch_tokenizer(spec, preprocess, 200, 1, 100_000, tmp_path / "cache")
    folder = packing.pack_corpus(spec, other, preprocess, tmp_path / "cache", show_progress=False).folder
    with pytest.raises(ValueError, match="tokenized with another tokenizer than init_from="):
        pretrain(config(corpus, tmp_path / "cache", f"packed_dir={folder}", f"init_from={run_dir / 'model'}"),
                 tmp_path / "mismatch")


def test_shipped_files_name_repository_paths_not_machine_paths(monkeypatch):
    from arabic_ie.pretraining.ship import repository_relative

    monkeypatch.setenv("PROJECT_ROOT", str(REPO_ROOT))
    text = json.dumps({"corpus": f"{REPO_ROOT}/../shared/data/c.jsonl.gz", "also": f"{REPO_ROOT.parent}/shared/data/d",
                       "from": f"{REPO_ROOT}/outputs/pretrain/run/model", "other": "/elsewhere/x"})
    assert json.loads(repository_relative(text)) == {"corpus": "../shared/data/c.jsonl.gz", "also": "../shared/data/d",
                                                     "from": "outputs/pretrain/run/model", "other": "/elsewhere/x"}
