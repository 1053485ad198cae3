"""The export self-check: a package just written is reloaded as users will load it and must give
the trained run's logits (PyTorch, and the fp32 ONNX graph when present)."""

from __future__ import annotations

from pathlib import Path

from arabic_ie.package.manifest import PackageError


def check_export(run_dir: Path, folder: Path, manifest: dict) -> None:
    """The package must compute what the run's model computes: compare logits on a sentence."""
    import numpy as np
    import torch
    from transformers.utils import logging as hf_logging

    from arabic_ie.model.multitask import MultiHeadTagger
    from arabic_ie.package.loading import load_torch_model

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()  # AutoModel reports the pooler it adds (unused for tagging) as missing
    hf_logging.disable_progress_bar()
    try:
        reference, _ = MultiHeadTagger.load(run_dir / "model")
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
    reference.eval()
    module = load_torch_model(folder, manifest)
    ids = torch.tensor([[2, 10, 11, 12, 13, 3], [2, 14, 15, 3, 0, 0]])
    mask = (torch.arange(6)[None, :] < torch.tensor([[6], [4]])).long()
    # with word vectors: rows of known words (1..) and of the unknown row 0
    rows = (torch.arange(12).view(2, 6) % reference.word_vectors.num_embeddings) if reference.word_vectors is not None else None
    extra = {"word_rows": rows} if rows is not None else {}
    with torch.inference_mode():
        expected = reference(input_ids=ids, attention_mask=mask, **extra)
        got = module(ids, mask, **extra)
    for task, logits in zip(manifest["tasks"], got):
        if not np.allclose(logits.numpy(), expected[f"logits_{task}"].numpy(), atol=1e-5):
            raise PackageError(f"{folder}: exported {task} logits differ from the run's model; the export is wrong")
    from arabic_ie.package.decoding import check_decoding

    check_decoding(reference, folder, manifest)  # model.head=crf: the same Viterbi scores
    if manifest.get("onnx"):
        from arabic_ie.package.onnx import OnnxRunner

        runner = OnnxRunner(folder / manifest["onnx"]["fp32"], manifest["tasks"], threads=1)
        outputs = runner(ids.numpy(), mask.numpy(), **{k: v.numpy() for k, v in extra.items()})
        for task, logits in zip(manifest["tasks"], got):
            gap = float(np.abs(outputs[task] - logits.numpy()).max())
            if gap > 1e-3:
                raise PackageError(f"{folder / manifest['onnx']['fp32']}: {task} logits differ from PyTorch by {gap:.2e}")
