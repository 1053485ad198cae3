"""Static word vectors (model.word_vectors): the folder format, FastText training, word rows in
the Featurizer, and a run with vectors exported as a package whose backends (PyTorch and the fp32
ONNX graph) give the training-time evaluation."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from test_inference import SAMPLE_DIR, make_run, rebuild_model, run_and_package_metrics

from arabic_ie.data.arabic import ArabicNormalizer, WordSegmenter
from arabic_ie.data.documents import Document
from arabic_ie.data.features import Collator, Featurizer
from arabic_ie.data.formats import read_brat
from arabic_ie.data.labels import LabelScheme
from arabic_ie.data.vectors import VectorsError, WordVectors
from arabic_ie.infer.tagger import load
from arabic_ie.model.multitask import MultiHeadTagger
from arabic_ie.package import PackageError, export_package
from arabic_ie.package.loading import hf_model
from arabic_ie.train.run import load_trained

NORMALIZER = ArabicNormalizer(remove_diacritics=True, remove_tatweel=True, normalize_letters=False)


def small_vectors(words, dim=4, seed=0) -> WordVectors:
    rng = np.random.default_rng(seed)
    matrix = np.concatenate([np.zeros((1, dim)), rng.normal(size=(len(words), dim))]).astype(np.float16)
    return WordVectors(list(words), matrix, {"trainer": "test"})


def test_the_folder_round_trips_and_unknown_words_are_row_zero(tmp_path):
    vectors = small_vectors(["قصف", "درعا", "الجيش"])
    vectors.save(tmp_path / "v")
    again = WordVectors.load(tmp_path / "v")
    assert again.words == ["قصف", "درعا", "الجيش"] and again.dim == 4
    assert np.array_equal(again.matrix, vectors.matrix) and again.matrix.dtype == np.float16
    assert again.fingerprint() == vectors.fingerprint()
    assert [again.lookup(w) for w in ("قصف", "الجيش", "دمشق")] == [1, 3, 0]
    info = json.loads((tmp_path / "v" / "vectors.json").read_text())
    assert info["words"] == 3 and info["fingerprint"] == vectors.fingerprint()


def test_a_broken_folder_is_refused_by_name(tmp_path):
    small_vectors(["قصف", "درعا"]).save(tmp_path / "v")
    (tmp_path / "v" / "words.txt").write_text("قصف\n", encoding="utf-8")
    with pytest.raises(VectorsError, match=r"v: 1 words need a \(2, dim\) matrix"):
        WordVectors.load(tmp_path / "v")
    (tmp_path / "v" / "vectors.safetensors").unlink()
    with pytest.raises(VectorsError, match=r"vectors\.safetensors: missing"):
        WordVectors.load(tmp_path / "v")
    with pytest.raises(VectorsError, match="repeats a word"):
        small_vectors(["قصف", "قصف"])


def test_fasttext_keeps_the_most_frequent_words_unit_normalised():
    pytest.importorskip("gensim")
    from arabic_ie.pretraining.vectors import train_word_vectors

    sentences = [["قصف", "درعا"]] * 10 + [["قصف", "الجيش", "درعا"]] * 20 + [["اعتقل", "الأمن", "درعا", "أمس"]] * 10 + [["أمس"]] * 4
    vectors = train_word_vectors(sentences, dim=8, window=2, min_count=5, epochs=2, max_words=3, seed=1, workers=1,
                                 min_n=2, max_n=3)
    assert vectors.words == ["درعا", "قصف", "الجيش"]  # counts 40, 30, 20, then 14 (أمس), 10, 10
    assert vectors.matrix.shape == (4, 8) and not vectors.matrix[0].any()
    assert np.allclose(np.linalg.norm(vectors.matrix[1:].astype(np.float32), axis=1), 1.0, atol=1e-3)
    assert vectors.info["vocabulary_with_min_count"] == 6 and vectors.info["corpus_words"] == 124


def test_every_subword_carries_its_words_row_and_padding_is_zero():
    from transformers import PreTrainedTokenizerFast
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "قصف": 4, "الجيش": 5, "در": 6, "##عا": 7}
    backend = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    from tokenizers.processors import TemplateProcessing
    backend.post_processor = TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                        sep_token="[SEP]")
    vectors = small_vectors(["درعا", "قصف"])
    featurizer = Featurizer(tokenizer, WordSegmenter(), NORMALIZER, {"ner": LabelScheme("ner", ("LOC",))}, 16, 2,
                            vectors=vectors)
    corpus = featurizer.encode([Document("d", "قصف الجيش درعـا")], with_labels=False)
    (window,) = corpus.windows
    assert window.input_ids == [2, 4, 5, 6, 7, 3]
    assert window.word_rows == [0, 2, 0, 1, 1, 0]  # [CLS] قصف الجيش(unknown) در ##عا(درعا after normalisation) [SEP]
    assert corpus.stats["words with a static vector"] == 2
    batch = Collator(0)([{"input_ids": [2, 4, 3], "word_rows": [0, 2, 0]}, {"input_ids": [2, 3], "word_rows": [0, 0]}])
    assert batch["word_rows"].tolist() == [[0, 2, 0], [0, 0, 0]]


def test_span_features_put_each_words_vector_beside_its_hidden_state():
    from arabic_ie.model.word_features import frozen_table, span_features

    table = frozen_table(small_vectors(["قصف", "درعا"], dim=2))
    hidden = torch.arange(6, dtype=torch.float32).view(1, 3, 2)
    rows = torch.tensor([[0, 2, 1]])
    features = span_features(hidden, table, rows)
    assert features.shape == (1, 3, 4)
    assert torch.equal(features[..., :2], hidden)
    assert features[0, 0, 2:].tolist() == [0.0, 0.0]  # row 0: special tokens and unknown words
    assert torch.equal(features[0, 1, 2:], table.weight[2]) and torch.equal(features[0, 2, 2:], table.weight[1])
    assert not table.weight.requires_grad  # frozen
    assert span_features(hidden, None, None) is hidden
    with pytest.raises(ValueError, match="read static word vectors: give each position's word row"):
        span_features(hidden, table, None)


@pytest.fixture(scope="module")
def vectors_run(tmp_path_factory):
    """(run_dir, package_dir): make_run's random model with random word vectors for the most
    frequent train words, scaled up so that they move the tags."""
    root = tmp_path_factory.mktemp("vectors")

    def with_vectors(plain, meta):
        segmenter = WordSegmenter.from_dict(meta["segmenter"])
        counts: dict[str, int] = {}
        for d in read_brat(SAMPLE_DIR / "train")[0]:
            for s, e in segmenter.words(d.text):
                word = NORMALIZER(d.text[s:e]) or d.text[s:e]
                counts[word] = counts.get(word, 0) + 1
        vectors = small_vectors(sorted(counts, key=lambda w: -counts[w])[:500], dim=8)
        vectors.matrix *= 20
        model = MultiHeadTagger(plain.encoder, plain.schemes, 0.0, arguments=plain.arguments, word_vectors=vectors)
        torch.manual_seed(5)
        with torch.no_grad():
            for head in model.heads.values():
                head.weight.normal_(0.0, 1.0)
        return model

    run = rebuild_model(make_run(root / "run"), with_vectors)
    return run, export_package(run, root / "pkg", name="test_vectors", onnx=True)


def test_the_package_carries_the_vectors_and_the_graph_reads_word_rows(vectors_run):
    run, pkg = vectors_run
    manifest = json.loads((pkg / "manifest.json").read_text())
    assert manifest["word_vectors"]["dim"] == 8 and manifest["word_vectors"]["words"] == 500
    assert manifest["format_version"] == 3  # an arabic-ie that does not know the vectors refuses the package
    assert {"word_vectors/vectors.safetensors", "word_vectors/words.txt"} <= set(manifest["files"])
    assert manifest["onnx"]["inputs"] == ["input_ids", "attention_mask", "word_rows"]
    assert manifest["weights"]["heads"]["ner"]["file"] == "heads.safetensors"  # [hidden; vector] heads
    with pytest.raises(PackageError, match="static word vectors"):
        hf_model(pkg)


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_every_backend_gives_the_training_time_evaluation(vectors_run, backend, tmp_path):
    run_metrics, _ = run_and_package_metrics(*vectors_run, tmp_path, backend)
    assert run_metrics["test"]["ner"]["default"]["micro"]["f1"] > 0  # the random model finds some right spans


def test_the_vectors_change_the_spans(vectors_run, sample_splits):
    run, pkg = vectors_run
    tagger = load(pkg, backend="torch")
    texts = [d.text for d in sample_splits["test"][0][:2]]
    with_vectors = tagger.tag_batch(texts)
    tagger.featurizer.vectors = WordVectors(["\u0000"], np.zeros((2, 8), np.float16))  # every word unknown: row 0
    assert tagger.tag_batch(texts) != with_vectors
    model, _, featurizer = load_trained(run)
    assert featurizer.vectors.fingerprint() == model.vectors.fingerprint()
