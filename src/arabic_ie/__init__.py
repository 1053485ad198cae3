"""arabic_ie: named entities and event triggers in Arabic news with Hugging Face encoders."""

from arabic_ie.data.documents import TASKS, Document, Span

__all__ = ["Document", "Span", "TASKS", "hf_model", "load"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # imported on first use so that `import arabic_ie` stays light (no torch, no transformers)
    if name == "load":
        from arabic_ie.infer.tagger import load

        return load
    if name == "hf_model":
        from arabic_ie.package.loading import hf_model

        return hf_model
    raise AttributeError(f"module 'arabic_ie' has no attribute {name!r}")
