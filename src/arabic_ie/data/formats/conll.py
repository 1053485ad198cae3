"""CoNLL-style columns: `token TAG [TAG ...]`, a blank line between sentences.

Each sentence becomes one `Document` whose text is its tokens joined by single spaces and whose
`words` are the tokens, so the pipeline keeps the given tokenisation. Tag names are kept as they
are in the data (ANERcorp's PERS, MISC, ...).
"""

from __future__ import annotations

from pathlib import Path

from arabic_ie.data.documents import TASKS, Document
from arabic_ie.data.formats.base import FormatError, ReadReport, read_text
from arabic_ie.data.labels import tags_to_spans


def read_conll(path: Path, columns=("ner",)) -> tuple[list[Document], ReadReport]:
    """`columns` names the task of each tag column after the token (ner, triggers)."""
    path = Path(path)
    columns = tuple(columns)
    for task in columns:
        if task not in TASKS:
            raise ValueError(f"unknown CoNLL column task {task!r}; expected one of {TASKS}")
    report = ReadReport()
    documents: list[Document] = []
    sentence: list[tuple[int, list[str]]] = []

    def close() -> None:
        if sentence:
            documents.append(_sentence_document(path, sentence, columns, report))
            sentence.clear()

    for number, line in enumerate(read_text(path).split("\n"), 1):
        line = line.rstrip("\r")
        if not line.strip():
            close()
            continue
        fields = line.split()
        if fields[0] == "-DOCSTART-":
            report.skip("-DOCSTART- line", f"{path.name}:{number}")
            close()
            continue
        if len(fields) != 1 + len(columns):
            raise FormatError(path, f"expected a token and {len(columns)} tag column(s) {list(columns)}, got {len(fields)} field(s): {line!r}", number)
        for tag in fields[1:]:
            prefix, _, kind = tag.partition("-")
            if not (tag == "O" or (prefix in ("B", "I") and kind)):
                raise FormatError(path, f"malformed IOB2 tag {tag!r}", number)
        sentence.append((number, fields))
    close()
    return documents, report


def _sentence_document(path: Path, sentence, columns, report: ReadReport) -> Document:
    tokens = [fields[0] for _, fields in sentence]
    tags = {task: [fields[column] for _, fields in sentence] for column, task in enumerate(columns, 1)}
    places = [f"{path.name}:{number}" for number, _ in sentence]
    return tagged_tokens_document(f"{path.name}:{sentence[0][0]}", tokens, tags, report, places)


def tagged_tokens_document(doc_id: str, tokens: list[str], tags: dict[str, list[str]], report: ReadReport,
                           places: list[str]) -> Document:
    """A Document from pre-tokenised words and their IOB2 tags per task: the text is the tokens
    joined by single spaces and `words` keeps the given tokenisation. `places` names where each
    token came from (for the repairs the report counts)."""
    words, offset = [], 0
    for token in tokens:
        words.append((offset, offset + len(token)))
        offset += len(token) + 1
    spans = {}
    for task, task_tags in tags.items():
        task_spans, repaired = tags_to_spans(task_tags, words)
        for index in repaired:
            report.repair("I- tag without B- (started a span)", places[index])
        spans[task] = task_spans
    return Document(id=doc_id, text=" ".join(tokens), entities=spans.get("ner", []),
                    triggers=spans.get("triggers", []), words=words)
