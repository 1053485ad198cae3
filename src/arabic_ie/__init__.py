"""arabic_ie: named entities and event triggers in Arabic news with Hugging Face encoders."""

from arabic_ie.documents import Document, Span, TASKS

__all__ = ["Document", "Span", "TASKS", "load"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # `load` is imported on first use so that `import arabic_ie` stays light (no torch, no transformers)
    if name == "load":
        from arabic_ie.inference import load

        return load
    raise AttributeError(f"module 'arabic_ie' has no attribute {name!r}")
