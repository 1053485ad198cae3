"""Span-level scores of word tags and spans: seqeval (strict and default modes) and exact character/word matches."""
