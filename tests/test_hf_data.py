"""data=hf: Hugging Face datasets with tokens and IOB2 tags (ClassLabel or strings), from a
save_to_disk folder or parquet files, into Documents with exact spans."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from arabic_ie.data.corpus import load_corpus
from arabic_ie.data.formats import FormatError
from arabic_ie.data.formats.hf import read_hf

datasets = pytest.importorskip("datasets")

NAMES = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
ROWS = {
    "tokens": [["زار", "أحمد", "الحريري", "مدينة", "درعا"], ["وصل", "الوفد", "إلى", "نوى"]],
    "ner_tags": [[0, 1, 2, 0, 3], [0, 0, 0, 3]],
}


def _dataset_dict(rows=ROWS, class_label=True):
    tags = datasets.Sequence(datasets.ClassLabel(names=NAMES)) if class_label else datasets.Sequence(datasets.Value("string"))
    features = datasets.Features({"tokens": datasets.Sequence(datasets.Value("string")), "ner_tags": tags})
    if not class_label:
        rows = {**rows, "ner_tags": [[NAMES[i] if isinstance(i, int) else i for i in row] for row in rows["ner_tags"]]}
    split = datasets.Dataset.from_dict(rows, features=features)
    return datasets.DatasetDict({"train": split, "validation": split.select([len(split) - 1])})


def _spans(document):
    return [(s.start, s.end, s.label, document.text[s.start : s.end]) for s in document.entities]


def test_a_saved_dataset_with_class_labels_becomes_documents_with_exact_spans(tmp_path):
    _dataset_dict().save_to_disk(str(tmp_path / "ds"))
    documents, report = read_hf(str(tmp_path / "ds"), "train")
    assert [d.id for d in documents] == ["train:0", "train:1"]
    assert documents[0].text == "زار أحمد الحريري مدينة درعا"
    assert _spans(documents[0]) == [(4, 16, "PER", "أحمد الحريري"), (23, 27, "LOC", "درعا")]
    assert _spans(documents[1]) == [(14, 17, "LOC", "نوى")]
    assert documents[1].words == [(0, 3), (4, 9), (10, 13), (14, 17)]  # the given tokens, kept whole
    assert report.summary() == "nothing repaired or skipped"


def test_string_tags_from_parquet_read_the_same_and_a_stray_inside_tag_is_repaired_and_counted(tmp_path):
    rows = {"tokens": ROWS["tokens"], "ner_tags": [[0, 2, 2, 0, 3], [0, 0, 0, 3]]}  # I-PER without B-PER
    _dataset_dict(rows, class_label=False)["train"].to_parquet(str(tmp_path / "train.parquet"))
    documents, report = read_hf(str(tmp_path / "train.parquet"), "train")
    assert _spans(documents[0]) == [(4, 16, "PER", "أحمد الحريري"), (23, 27, "LOC", "درعا")]
    assert report.repaired["I- tag without B- (started a span)"] == 1
    assert "train.parquet[train] row 0" in report.summary()


def test_the_data_config_reads_named_splits(tmp_path):
    _dataset_dict().save_to_disk(str(tmp_path / "ds"))
    cfg = OmegaConf.load("configs/data/hf.yaml")
    cfg.source, cfg.test = str(tmp_path / "ds"), None
    corpus = load_corpus(cfg)
    assert sorted(corpus.splits) == ["dev", "train"]
    assert [d.text for d in corpus.splits["dev"]] == ["وصل الوفد إلى نوى"]


def test_bad_datasets_are_refused_with_the_split_row_and_column(tmp_path):
    _dataset_dict().save_to_disk(str(tmp_path / "ds"))
    with pytest.raises(FormatError, match=r"no split 'test'; the dataset has \['train', 'validation'\]"):
        read_hf(str(tmp_path / "ds"), "test")
    with pytest.raises(FormatError, match=r"no column\(s\) \['labels'\]"):
        read_hf(str(tmp_path / "ds"), "train", tags_columns={"ner": "labels"})
    bad = {"tokens": [["زار", "درعا"]], "ner_tags": [["O", "LOC"]]}
    _dataset_dict(bad, class_label=False)["train"].to_parquet(str(tmp_path / "bad.parquet"))
    with pytest.raises(FormatError, match=r"row 0: token 1 has tag 'LOC', not IOB2"):
        read_hf(str(tmp_path / "bad.parquet"), "train")
    short = {"tokens": [["زار", "درعا"]], "ner_tags": [["O"]]}
    _dataset_dict(short, class_label=False)["train"].to_parquet(str(tmp_path / "short.parquet"))
    with pytest.raises(FormatError, match=r"row 0: 2 tokens but 1 ner_tags"):
        read_hf(str(tmp_path / "short.parquet"), "train")
    spaced = {"tokens": [["زار", "ريف درعا"]], "ner_tags": [["O", "B-LOC"]]}
    _dataset_dict(spaced, class_label=False)["train"].to_parquet(str(tmp_path / "spaced.parquet"))
    with pytest.raises(FormatError, match=r"token 1 'ريف درعا' is empty or holds whitespace"):
        read_hf(str(tmp_path / "spaced.parquet"), "train")
