"""The argument head in a package: its weights and spec beside the encoder (manifest "events"), the
second-stage module (encoder + argument head over candidate pairs), its ONNX graphs, their check
against the run's model, and the runners the Tagger calls through model.batching.predict_pairs.

A package without an "events" entry (exported before the head existed) loads as before and gives
no events.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from arabic_ie.data.pairs import PAIR_FIELDS, ArgumentSpec
from arabic_ie.package.manifest import PackageError

ARGUMENTS_FILE = "arguments.safetensors"  # the name model.arguments saves the head under

EVENTS_FP32 = "onnx/events.onnx"
EVENTS_INT8 = "onnx/events.int8.onnx"
PAIR_INPUTS = ("input_ids", "attention_mask", "pairs")


def write_arguments(model_dir: Path, folder: Path, meta: dict) -> dict | None:
    """Copy the run's argument head into the package; the manifest entry (None without a head)."""
    if not meta.get("arguments"):
        return None
    shutil.copyfile(model_dir / ARGUMENTS_FILE, folder / ARGUMENTS_FILE)
    spec = ArgumentSpec.from_dict(meta["arguments"])
    return {"file": ARGUMENTS_FILE, "spec": spec.to_dict(), "labels": spec.labels, "onnx": None,
            "pairs": f"{PAIR_FIELDS} int64 per (trigger, entity) pair: subword [start, end) of the trigger and of the "
                     "entity in the window, signed word-distance bucket, trigger type id, entity type id (data.pairs)"}


def argument_model(folder: Path, entry: dict, encoder):
    """ArgumentLogits (model.arguments) over `encoder` with the package's argument head."""
    from safetensors.torch import load_file

    from arabic_ie.model.arguments import ArgumentHead, ArgumentLogits

    spec = ArgumentSpec.from_dict(entry["spec"])
    head = ArgumentHead(encoder.config.hidden_size, spec, dropout=0.0)
    try:
        head.load_state_dict(load_file(str(Path(folder) / entry["file"])))
    except RuntimeError as err:
        raise PackageError(f"{Path(folder) / entry['file']}: does not fit the argument spec: {err}") from None
    return ArgumentLogits(encoder, head).eval()


def example_inputs(spec: ArgumentSpec, length: int = 16):
    import torch
    input_ids = torch.full((2, length), 5, dtype=torch.long)
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, length // 2 :] = 0
    pairs = torch.tensor([[[1, 2, 3, 5, 9, 0, 0, 3, 0, 1], [4, 5, 1, 3, 7, len(spec.trigger_types) - 1, len(spec.entity_types) - 1, 2, 3, 0],
                           [2, 3, 6, 7, 11, 0, 1 % len(spec.entity_types), 4, 1, 2]]] * 2, dtype=torch.long)
    return input_ids, attention_mask, pairs


def export_events_onnx(module, folder: Path) -> dict:
    """fp32 and int8 graphs (input_ids, attention_mask, pairs) -> events, beside the span graphs."""
    import logging
    import warnings

    import torch

    from arabic_ie.package.onnx import dedupe_initializers, quantize_int8

    path = Path(folder) / EVENTS_FP32
    path.parent.mkdir(parents=True, exist_ok=True)
    batch, sequence, pairs = torch.export.Dim("batch"), torch.export.Dim("sequence"), torch.export.Dim("pairs")
    quiet = [logging.getLogger(name) for name in ("onnx_ir", "onnxscript", "torch.onnx")]
    levels = [logger.level for logger in quiet]
    try:
        for logger in quiet:
            logger.setLevel(logging.WARNING)
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(module.eval(), example_inputs(module.head.spec), str(path), input_names=list(PAIR_INPUTS),
                              output_names=["events"],
                              dynamic_shapes={"input_ids": {0: batch, 1: sequence}, "attention_mask": {0: batch, 1: sequence},
                                              "pairs_events": {0: batch, 1: pairs}},
                              dynamo=True, external_data=False, verbose=False)
    finally:
        for logger, level in zip(quiet, levels):
            logger.setLevel(level)
    dedupe_initializers(path)
    quantize_int8(path, Path(folder) / EVENTS_INT8)
    return {"fp32": EVENTS_FP32, "int8": EVENTS_INT8, "inputs": list(PAIR_INPUTS), "outputs": ["events"]}


def check_arguments(run_dir: Path, folder: Path, manifest: dict) -> None:
    """The package's argument logits must be the run's (PyTorch, and the fp32 graph when present)."""
    import torch

    from arabic_ie.model.multitask import MultiHeadTagger
    from arabic_ie.package.loading import load_torch_model

    entry = manifest.get("events")
    if not entry:
        return
    reference, _ = MultiHeadTagger.load(run_dir / "model")
    module = argument_model(folder, entry, load_torch_model(folder, manifest).encoder)
    ids, mask, pairs = example_inputs(module.head.spec)
    with torch.inference_mode():
        rows = torch.zeros_like(ids) if reference.word_vectors is not None else None  # the span heads' input only
        expected = reference.eval()(input_ids=ids, attention_mask=mask, pairs_events=pairs, word_rows=rows)["logits_events"].numpy()
        got = module(ids, mask, pairs)[0].numpy()
    if not np.allclose(got, expected, atol=1e-5):
        raise PackageError(f"{folder}: exported argument logits differ from the run's model; the export is wrong")
    if entry.get("onnx"):
        runner = OnnxPairsRunner(Path(folder) / entry["onnx"]["fp32"], threads=1)
        gap = float(np.abs(np.maximum(runner(ids.numpy(), mask.numpy(), pairs.numpy())["events"], -1e4) - np.maximum(got, -1e4)).max())
        if gap > 1e-3:
            raise PackageError(f"{Path(folder) / entry['onnx']['fp32']}: argument logits differ from PyTorch by {gap:.2e}")


class OnnxPairsRunner:
    """The events graph under onnxruntime: (input_ids, attention_mask, pairs) -> {"events": logits}."""

    def __init__(self, path: str | Path, threads: int | None = None):
        import onnxruntime as ort

        from arabic_ie.package.onnx import session_options

        self.session = ort.InferenceSession(Path(path).read_bytes(), sess_options=session_options(threads),
                                            providers=["CPUExecutionProvider"])

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray, pairs: np.ndarray, **_) -> dict[str, np.ndarray]:
        # (word_rows, given for models with word vectors, are for the span heads only)
        (logits,) = self.session.run(["events"], {"input_ids": input_ids.astype(np.int64, copy=False),
                                                  "attention_mask": attention_mask.astype(np.int64, copy=False),
                                                  "pairs": pairs.astype(np.int64, copy=False)})
        return {"events": logits}


def package_events(run_dir: Path, folder: Path, meta: dict, manifest: dict, onnx: bool) -> dict | None:
    """Write the argument head (and, with `onnx`, its graphs) into `folder` and check them; returns
    the manifest's "events" entry (None for a run without the head)."""
    entry = write_arguments(Path(run_dir) / "model", Path(folder), meta)
    if entry is None:
        return None
    if onnx:
        from arabic_ie.package.loading import load_torch_model

        entry["onnx"] = export_events_onnx(argument_model(folder, entry, load_torch_model(folder, manifest).encoder), folder)
    check_arguments(run_dir, folder, {**manifest, "events": entry})
    return entry
