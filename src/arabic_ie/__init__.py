"""arabic_ie: named entities and event triggers in Arabic news with Hugging Face encoders."""

from arabic_ie.documents import Document, Span, TASKS

__all__ = ["Document", "Span", "TASKS"]
__version__ = "0.1.0"
