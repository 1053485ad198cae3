"""Hugging Face datasets with a tokens column and an IOB2 tag column, as most Arabic NER sets on
the hub are laid out: read by hub name (`load_dataset`), from a folder written by
`save_to_disk` (`load_from_disk`), or from parquet files, into Documents.

Each row becomes one Document, as a CoNLL sentence does: its text is the tokens joined by single
spaces and its `words` are the tokens. Tags may be a ClassLabel sequence (ids, names taken from
the dataset's features) or strings. Needs the `datasets` package (the `train` extra).
"""

from __future__ import annotations

from pathlib import Path

from arabic_ie.data.documents import TASKS
from arabic_ie.data.formats.base import FormatError, ReadReport
from arabic_ie.data.formats.conll import tagged_tokens_document


def load_hf_split(source: str, split: str, config_name: str | None = None, revision: str | None = None):
    """One split of a dataset: a `save_to_disk` folder, parquet file(s) (a file, a folder of them
    or a glob), or anything `datasets.load_dataset` takes (a hub name, a local dataset folder)."""
    import datasets

    path = Path(source)
    if path.is_dir() and ((path / "dataset_dict.json").is_file() or (path / "state.json").is_file()):
        loaded = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            if split not in loaded:
                raise FormatError(source, f"no split {split!r}; the dataset has {sorted(loaded)}")
            return loaded[split]
        return loaded  # a single Dataset saved on its own: it is every split asked for
    parquet = sorted(path.glob("*.parquet")) if path.is_dir() else []
    if source.endswith(".parquet") or parquet:
        files = [str(p) for p in parquet] or source
        return datasets.load_dataset("parquet", data_files={split: files}, split=split)
    try:
        return datasets.load_dataset(source, name=config_name, split=split, revision=revision)
    except ValueError as err:  # e.g. an unknown split: datasets names the ones there are
        raise FormatError(source, f"split {split!r}: {err}") from None


def read_hf(source: str, split: str, tokens_column: str = "tokens", tags_columns: dict | None = None,
            config_name: str | None = None, revision: str | None = None) -> tuple[list, ReadReport]:
    """Documents of one split. `tags_columns` maps a task (ner, triggers) to its tag column
    (default {"ner": "ner_tags"})."""
    tags_columns = dict(tags_columns or {"ner": "ner_tags"})
    for task in tags_columns:
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r} for a tag column; expected one of {TASKS}")
    dataset = load_hf_split(source, split, config_name, revision)
    where = f"{source}[{split}]"
    missing = [c for c in [tokens_column, *tags_columns.values()] if c not in dataset.column_names]
    if missing:
        raise FormatError(where, f"no column(s) {missing}; the dataset has {dataset.column_names} "
                                 "(set data.tokens_column / data.tags_columns)")
    names = {task: _label_names(dataset.features[column]) for task, column in tags_columns.items()}
    report = ReadReport()
    documents = []
    has_id = "id" in dataset.column_names
    for row_number, row in enumerate(dataset):
        place = f"{where} row {row_number}"
        tokens = row[tokens_column]
        tags = {}
        for task, column in tags_columns.items():
            values = row[column]
            tags[task] = [names[task][v] if names[task] is not None else v for v in values]
            if len(values) != len(tokens):
                raise FormatError(where, f"row {row_number}: {len(tokens)} tokens but {len(values)} {column}")
        for position, token in enumerate(tokens):
            if not isinstance(token, str) or not token or token != token.strip() or len(token.split()) != 1:
                raise FormatError(where, f"row {row_number}: token {position} {token!r} is empty or holds whitespace")
        for task, task_tags in tags.items():
            for position, tag in enumerate(task_tags):
                prefix, _, kind = str(tag).partition("-")
                if not (tag == "O" or (prefix in ("B", "I") and kind)):
                    raise FormatError(where, f"row {row_number}: token {position} has tag {tag!r}, not IOB2 (O, B-TYPE, I-TYPE)")
        if not tokens:
            report.skip("row without tokens", place)
            continue
        doc_id = str(row["id"]) if has_id else f"{split}:{row_number}"
        documents.append(tagged_tokens_document(doc_id, list(tokens), tags, report, [place] * len(tokens)))
    return documents, report


def _label_names(feature) -> list[str] | None:
    """The tag names of a ClassLabel sequence column, or None when the column holds strings."""
    inner = getattr(feature, "feature", None)
    names = getattr(inner, "names", None)
    return list(names) if names else None
