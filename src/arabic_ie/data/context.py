"""Document context for sentence-per-document data (CoNLL): consecutive sentences of a file joined
into one Document of up to `max_words` words, so that the encoder sees the neighbouring sentences.

The joined text separates sentences by a newline (tokens never hold one), so the sentence
boundaries stay recoverable from the Document alone: `sentence_bounds` gives them and
`split_sentences` cuts word tags back into sentences. Scoring on the sentences rather than the
joined documents keeps the scores exactly sentence-level: a predicted I-X at the start of a
sentence would otherwise continue a span X ending the previous sentence (gold spans never cross a
join: every sentence's spans start with B-).
"""

from __future__ import annotations

from arabic_ie.data.documents import Document, Span

SEPARATOR = "\n"


def join_sentences(documents: list[Document], max_words: int) -> list[Document]:
    """Greedily join consecutive documents (sentences, in file order) while the total stays within
    `max_words` words; a longer sentence stays alone. Every document must carry `words`."""
    if max_words < 1:
        return list(documents)
    groups: list[list[Document]] = []
    size = 0
    for document in documents:
        if document.words is None:
            raise ValueError(f"document {document.id!r}: joining sentences needs pre-tokenised words (CoNLL data)")
        if groups and size + len(document.words) <= max_words:
            groups[-1].append(document)
            size += len(document.words)
        else:
            groups.append([document])
            size = len(document.words)
    return [_join(group) for group in groups]


def _join(group: list[Document]) -> Document:
    if len(group) == 1:
        return group[0]
    text, words, entities, triggers = "", [], [], []
    for document in group:
        offset = len(text) + (len(SEPARATOR) if text else 0)
        text = text + SEPARATOR + document.text if text else document.text
        words += [(offset + s, offset + e) for s, e in document.words]
        entities += [Span(s.start + offset, s.end + offset, s.label) for s in document.entities]
        triggers += [Span(s.start + offset, s.end + offset, s.label) for s in document.triggers]
    return Document(f"{group[0].id}+{len(group) - 1}", text, entities, triggers, words)


def sentence_bounds(text: str, words: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(first word, end word) of each sentence: a new sentence starts at a word preceded by a
    newline since the previous word."""
    bounds, start = [], 0
    for index in range(1, len(words)):
        if SEPARATOR in text[words[index - 1][1] : words[index][0]]:
            bounds.append((start, index))
            start = index
    if words:
        bounds.append((start, len(words)))
    return bounds


def split_sentences(documents, all_words, tags: list[list[str]]) -> list[list[str]]:
    """Word tags per document -> word tags per sentence (documents in order)."""
    out = []
    for document, words, doc_tags in zip(documents, all_words, tags):
        out += [doc_tags[s:e] for s, e in sentence_bounds(document.text, words)] or [doc_tags]
    return out
