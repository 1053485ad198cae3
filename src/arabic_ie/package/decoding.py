"""How a package turns word logits into tags: argmax (no "decoding" entry, every package before
the CRF head) or Viterbi under a CRF's IOB2-constrained scores (the tasks of a run with
`model.head=crf`, or those a per-task `model.head` mapping gives a CRF; the others argmax).

crf.safetensors holds, per task, the constrained `<task>.transitions` (from, to),
`<task>.start_transitions` and `<task>.end_transitions` (float32); the manifest's "decoding"
names them. Every backend gives logits (the ONNX graph included); Viterbi runs in numpy after.
"""

from __future__ import annotations

from pathlib import Path

from arabic_ie.package.manifest import PackageError

CRF_FILE = "crf.safetensors"
CRF_FORMAT_VERSION = 2  # a package that decodes with a CRF: arabic-ie before it would decode by argmax
ARGMAX_FORMAT_VERSION = 1  # every other package stays readable by older arabic-ie


def write_decoding(model_dir: Path, folder: Path, meta: dict) -> dict | None:
    """Write crf.safetensors for a run with CRF heads and return the manifest's "decoding" entry,
    one per CRF task (None: argmax for every task)."""
    import torch
    from safetensors.torch import load_file, save_file

    from arabic_ie.model.multitask import task_heads
    from arabic_ie.model.viterbi import CRF_KEYS, constrain

    crf_tasks = [task for task, head in task_heads(meta.get("head", "linear"), meta["tasks"]).items() if head == "crf"]
    if not crf_tasks:
        return None
    raw = load_file(str(model_dir / CRF_FILE))
    tensors, decoding = {}, {}
    for task in crf_tasks:
        scores = constrain({key: raw[f"{task}.{key}"].float().numpy() for key in CRF_KEYS}, meta["schemes"][task]["labels"])
        tensors.update({f"{task}.{key}": torch.from_numpy(value).contiguous() for key, value in scores.items()})
        decoding[task] = {"type": "crf-viterbi", "file": CRF_FILE, **{key: f"{task}.{key}" for key in CRF_KEYS},
                          "note": "IOB2-constrained scores (forbidden transitions at -10000); Viterbi over a document's words"}
    save_file(tensors, str(folder / CRF_FILE), metadata={"format": "pt"})
    return decoding


def load_decoders(folder: str | Path, manifest: dict) -> dict:
    """Featurizer decoders per task from the manifest's "decoding" (empty: argmax for every task)."""
    decoding = manifest.get("decoding") or {}
    if not decoding:
        return {}
    from safetensors.numpy import load_file

    from arabic_ie.model.viterbi import CRF_KEYS, ViterbiDecoder

    decoders, loaded = {}, {}
    for task, spec in decoding.items():
        if spec.get("type") != "crf-viterbi":
            raise PackageError(f"{Path(folder) / 'manifest.json'}: unknown decoding {spec.get('type')!r} for {task}")
        if spec["file"] not in loaded:
            loaded[spec["file"]] = load_file(str(Path(folder) / spec["file"]))
        tensors = loaded[spec["file"]]
        size = len(manifest["label_schemes"][task]["labels"])
        scores = {key: tensors.get(spec[key]) for key in CRF_KEYS}
        if any(v is None for v in scores.values()) or scores["transitions"].shape != (size, size):
            raise PackageError(f"{Path(folder) / spec['file']}: no {task} CRF scores for {size} labels")
        decoders[task] = ViterbiDecoder(scores)
    return decoders


def check_decoding(reference, folder: Path, manifest: dict) -> None:
    """The package's CRF scores must be the run model's (a MultiHeadTagger, `reference`)."""
    import numpy as np

    expected, got = reference.decoders(), load_decoders(folder, manifest)
    if sorted(expected) != sorted(got):
        raise PackageError(f"{folder}: decoding for {sorted(got)}, the run's model decodes {sorted(expected)} with a CRF")
    for task, decoder in expected.items():
        for key, value in decoder.scores.items():
            if not np.allclose(value, got[task].scores[key], atol=1e-6):
                raise PackageError(f"{folder / CRF_FILE}: {task} {key} differ from the run's model")
