"""The model card (README.md) of a package: Hugging Face front matter, data, metrics, use, licence."""

from __future__ import annotations

from pathlib import Path


def model_card(manifest: dict, run_dir: Path | None = None, intended_use: str | None = None) -> str:
    """README.md of a package: Hugging Face front matter, data, metrics table, use and licence."""
    tasks, training = manifest["tasks"], manifest["training"]
    scores = manifest["metrics"]["scores"]
    lines = ["---", "language: ar", f"license: {manifest['license'].lower().replace(' ', '-')}", "library_name: transformers",
             "pipeline_tag: token-classification", "tags: [arabic, ner, event-extraction, arabic-ie]", "---", "",
             f"# {manifest['name']} {manifest['version']}", "",
             f"Arabic {' and '.join({'ner': 'named entities', 'triggers': 'event triggers'}[t] for t in tasks)} "
             f"tagger exported by arabic-ie from a trained run. Encoder: {manifest.get('model')}.", "",
             "## Use", "", "```python", "from arabic_ie import load", "", f"tagger = load(\"path/to/{manifest['name']}\")",
             "tagger(\"...\")  # {\"entities\": [{\"start\", \"end\", \"label\", \"text\", \"score\"}, ...], \"triggers\": [...]}",
             "```", "",
             "Offsets point into the original text (diacritics, tatweel, proclitics included): "
             "`text[start:end] == span[\"text\"]`. `load(path, backend=\"onnx\")` or `\"onnx-int8\"` run the ONNX graphs "
             "in `onnx/` when present; the default backend is PyTorch fp32.", "",
             "With Hugging Face tools: `AutoModelForTokenClassification.from_pretrained(path)` and "
             f"`pipeline(\"token-classification\", model=path)` load the `{tasks[0]}` head "
             f"(labels {manifest['label_schemes'][tasks[0]]['labels'][:3]}...)."]
    vectors = manifest.get("word_vectors")
    if vectors:
        lines[-1] = ("The heads also read static word vectors (`word_vectors/`, "
                     f"{vectors['words']:,} words x {vectors['dim']}) beside the encoder, which a Hugging Face "
                     "token-classification model cannot hold: its `classifier` in `model.safetensors` is only the "
                     "hidden-state half of the first head. Use `arabic_ie.load`.")
    elif len(tasks) > 1:
        lines.append(f"The other head(s) ({', '.join(tasks[1:])}) are in `heads.safetensors` as `<task>.weight` / "
                     "`<task>.bias`; `arabic_ie.hf_model(path, task)` returns a token-classification model "
                     "for any task (the same encoder, that task's head and labels).")
    lines += ["", "## Training data", "",
              f"Data config `{training.get('data')}`" + (f" ({training.get('data_format')})" if training.get("data_format") else "") + "."]
    for split, path in (training.get("splits") or {}).items():
        counts = (training.get("data_counts") or {}).get(split, {})
        detail = ", ".join(f"{v} {k}" for k, v in counts.items())
        lines.append(f"- {split}: `{path}`" + (f" ({detail})" if detail else ""))
    lines += ["", "## Evaluation", "", "Span-level scores of the run (seqeval on word tags, micro average; "
              "`scripts/evaluate.py package=...` adds character-exact span F1 on raw documents):", "",
              "| split | task | mode | precision | recall | F1 |", "|---|---|---|---:|---:|---:|"]
    for split, per_task in scores.items():
        for task, modes in per_task.items():
            # span tasks (strict, default), argument tasks (classification, identification: docs/events.md)
            for mode in ("strict", "default", "classification", "identification"):
                if mode in modes:
                    m = modes[mode]["micro"]
                    lines.append(f"| {split} | {task} | {mode} | {m['precision']:.4f} | {m['recall']:.4f} | {m['f1']:.4f} |")
    for split, per_task in scores.items():
        for task, modes in per_task.items():
            per_type = modes.get("default", {}).get("per_type", {})
            if per_type:
                lines += ["", f"Per type, {split} {task} (default mode):", "", "| type | precision | recall | F1 | support |",
                          "|---|---:|---:|---:|---:|"]
                lines += [f"| {t} | {s['precision']:.4f} | {s['recall']:.4f} | {s['f1']:.4f} | {s['support']} |" for t, s in per_type.items()]
    lines += ["", "## Intended use and limits", "",
              intended_use or ("Tagging Arabic news articles (Modern Standard Arabic) for research and monitoring, with "
                               "human review of the output. Trained on the data above only: expect lower accuracy on "
                               "other genres, dialects and types; scores are confidences, not calibrated probabilities."),
              "", "## Licence", "", f"{manifest['license']} ({manifest.get('license_origin', 'given at export')}). The training data's own licence also applies "
              "(the project's sample articles: Apache-2.0; ANERcorp: research use, cite Benajiba et al. 2007).", "",
              "## Files", "", "`manifest.json` lists every file with its SHA-256; `arabic_ie.load` refuses a package "
              "whose files are missing, altered or not listed.", ""]
    return "\n".join(lines)
