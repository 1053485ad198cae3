"""(trigger, entity) candidate pairs per window for the argument head, and their decoding to events.

A pair is scored in the window that owns the trigger's first word, when the trigger and the
entity both lie inside that window (a gold argument outside it cannot be predicted and is
counted in the features report). Each pair is 8 integers: the subword positions [start, end) of
the trigger and of the entity in the window, a bucket of their signed word distance, the trigger
type id, the entity type id, their signed sentence distance (clamped to +-3, shifted to 0..6),
how many other triggers lie nearer to the entity and how many other entities of its type lie
nearer to the trigger (both clamped to 0..3: the scheme links a filler to the nearest mention).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from arabic_ie.data.documents import Argument, Event

NONE_ROLE = "none"
PAIR_FIELDS = 10
RANK_BUCKETS = 4
SENTENCE_GAP = 3  # sentence distances beyond +-3 share a bucket
SENTENCE_BUCKETS = 2 * SENTENCE_GAP + 1
SENTENCE_END = frozenset({".", "!", "?", "؟", "…", "۔"})
DISTANCE_EDGES = (1, 2, 3, 4, 5, 8, 16, 32)  # |distance| buckets: 0, 1, 2, 3, 4, 5-7, 8-15, 16-31, 32+
DISTANCE_BUCKETS = 2 * len(DISTANCE_EDGES) + 1


def distance_bucket(distance: int) -> int:
    """Signed word distance (entity first word - trigger first word) -> 0 .. DISTANCE_BUCKETS-1."""
    magnitude = bisect.bisect_right(DISTANCE_EDGES, abs(distance))
    return len(DISTANCE_EDGES) + (magnitude if distance >= 0 else -magnitude)


@dataclass(frozen=True)
class ArgumentSpec:
    """What the argument head knows: its roles (index 0 is NONE_ROLE), the entity and trigger types
    it embeds and which roles annotation.conf allows for each (trigger type, entity type)."""

    roles: tuple[str, ...]
    entity_types: tuple[str, ...]
    trigger_types: tuple[str, ...]
    allowed: dict  # {event type: {role: [filler types]}}

    @property
    def labels(self) -> list[str]:
        return [NONE_ROLE, *self.roles]

    def mask(self) -> np.ndarray:
        """(trigger types, entity types, labels) booleans: none is always allowed."""
        table = np.zeros((len(self.trigger_types), len(self.entity_types), len(self.labels)), dtype=bool)
        table[..., 0] = True
        for t, trigger_type in enumerate(self.trigger_types):
            for role, fillers in self.allowed.get(trigger_type, {}).items():
                if role in self.roles:
                    for filler in fillers:
                        if filler in self.entity_types:
                            table[t, self.entity_types.index(filler), self.labels.index(role)] = True
        return table

    def to_dict(self) -> dict:
        return {"roles": list(self.roles), "entity_types": list(self.entity_types), "trigger_types": list(self.trigger_types),
                "allowed": {t: {r: sorted(f) for r, f in v.items()} for t, v in sorted(self.allowed.items())}}

    @classmethod
    def from_dict(cls, data: dict) -> "ArgumentSpec":
        return cls(tuple(data["roles"]), tuple(data["entity_types"]), tuple(data["trigger_types"]), data["allowed"])


def span_words(span, words) -> tuple[int, int] | None:
    """(first word, last word + 1) that a character span touches, None if it touches none."""
    ends = [w[1] for w in words]
    first = bisect.bisect_right(ends, span.start)
    last = first
    while last < len(words) and words[last][0] < span.end:
        last += 1
    return (first, last) if last > first else None


def sentence_numbers(text: str, words) -> list[int]:
    """The sentence of each word: a new one after . ! ? ؟ … and after a line break."""
    numbers, current = [], 0
    for i, (start, end) in enumerate(words):
        if i and (text[words[i - 1][0]:words[i - 1][1]] in SENTENCE_END or "\n" in text[words[i - 1][1]:start]):
            current += 1
        numbers.append(current)
    return numbers


def window_pairs(window, words, entities, triggers, spec: ArgumentSpec, gold_roles: dict | None = None, stats=None,
                 sentences: list[int] | None = None):
    """(pairs array (n, PAIR_FIELDS), [(trigger span, entity span)], role ids or None) of a window.

    `window` has `first_word` and `word_starts` (subword position of each of its words, plus the
    end); `gold_roles` maps (trigger span, entity span) to a role for training labels;
    `sentences` is sentence_numbers of the document (None: all in one sentence)."""
    lo, hi = window.first_word, window.first_word + len(window.word_starts) - 1
    owned = set(window.words)
    placed = []
    for kind, spans in (("trigger", triggers), ("entity", entities)):
        located = []
        for span in spans:
            range_ = span_words(span, words)
            if range_ is not None and lo <= range_[0] and range_[1] <= hi:
                located.append((span, range_))
        placed.append(located)
    rows, keys, labels = [], [], []
    role_ids = {role: i for i, role in enumerate(spec.labels)}
    trigger_starts = [t0 for _, (t0, _) in placed[0]]
    for trigger, (t0, t1) in placed[0]:
        if t0 not in owned or trigger.label not in spec.trigger_types:
            continue
        for entity, (e0, e1) in placed[1]:
            if entity.label not in spec.entity_types:
                continue
            nearer_triggers = sum(abs(other - e0) < abs(t0 - e0) for other in trigger_starts)
            nearer_entities = sum(abs(o0 - t0) < abs(e0 - t0) for other, (o0, _) in placed[1] if other.label == entity.label)
            rows.append((window.word_starts[t0 - lo], window.word_starts[t1 - lo], window.word_starts[e0 - lo],
                         window.word_starts[e1 - lo], distance_bucket(e0 - t0), spec.trigger_types.index(trigger.label),
                         spec.entity_types.index(entity.label),
                         SENTENCE_GAP + max(-SENTENCE_GAP, min(SENTENCE_GAP, sentences[e0] - sentences[t0])) if sentences else SENTENCE_GAP,
                         min(nearer_triggers, RANK_BUCKETS - 1), min(nearer_entities, RANK_BUCKETS - 1)))
            keys.append((trigger, entity))
            if gold_roles is not None:
                labels.append(role_ids.get(gold_roles.get((trigger, entity), NONE_ROLE), 0))
    if stats is not None and gold_roles is not None:
        stats["argument pairs"] += len(rows)
        stats["argument pairs with a role"] += sum(1 for label in labels if label)
    pairs = np.asarray(rows, dtype=np.int64).reshape(-1, PAIR_FIELDS)
    return pairs, keys, (labels if gold_roles is not None else None)


def gold_roles(document) -> dict:
    return {(e.trigger, a.span): a.role for e in document.events for a in e.arguments}


def decode_events(keys_per_window, logits_per_window, labels: list[str], documents_of_windows, n_documents: int) -> list[list[Event]]:
    """Events per document from each window's pair keys and (n_pairs, labels) logits."""
    arguments: list[dict] = [{} for _ in range(n_documents)]
    for keys, logits, document in zip(keys_per_window, logits_per_window, documents_of_windows):
        if not keys:
            continue
        for (trigger, entity), label in zip(keys, np.asarray(logits).argmax(-1).tolist()):
            if label:
                arguments[document].setdefault(trigger, []).append(Argument(labels[label], entity))
    return [[Event(trigger, tuple(sorted(args, key=lambda a: (a.span, a.role)))) for trigger, args in sorted(found.items())]
            for found in arguments]
