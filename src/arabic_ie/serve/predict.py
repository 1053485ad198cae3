"""`scripts/predict.py`: tag files with a package through `arabic-ie tag`'s engine, texts kept."""

from __future__ import annotations

from pathlib import Path

from arabic_ie.infer.files import input_format as detect_input_format


def predict_files(tagger, input: str | Path, output: str | Path, input_format: str = "auto",
                  output_format_name: str = "auto", batch_size: int = 32, chunk: int = 64, progress: bool = True,
                  rejects: str | Path | None = None) -> dict:
    """Tag every document of `input` and write `output`; returns counts. Runs `arabic-ie tag`'s engine
    (`arabic_ie.serve.runner.run_tag`) with the texts kept in the JSONL: a bad file or line goes to the
    rejects file (OUT.rejects.jsonl) with its line and reason and the others are still tagged; a rerun
    skips the ids already in `output`."""
    from arabic_ie.serve.runner import run_tag

    read_as = detect_input_format(Path(input), input_format)
    counts = run_tag(None, [input], output, tagger=tagger, batch_size=batch_size, chunk_docs=chunk,
                     output_format_name=output_format_name, keep_text=True, rejects=rejects, progress=progress)
    counts["input_format"] = read_as
    counts["entities"] = counts["spans"].get("entities", 0)
    counts["triggers"] = counts["spans"].get("triggers", 0)
    return counts
