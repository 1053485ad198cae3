"""The one batching path: windows -> length-grouped padded batches -> a model -> logits per window.

Training-time prediction (`train.run`), package evaluation and every Tagger backend call
`predict_windows`. Windows are grouped by their own length rounded up to a multiple of
`PAD_MULTIPLE` and batched only with windows of that padded length, so a window's logits never
depend on its batch mates (the same whatever the batch size or the order of documents) and little
padding is computed. A runner is any callable `(input_ids, attention_mask) -> {task: logits}`
on int64 numpy arrays: `TorchRunner` wraps a torch module, the ONNX backend has its own. Windows
with static word vectors (`Window.word_rows`) also give the runner `word_rows=` (padded with 0).
`predict_pairs` is the same path for the argument head: the windows that have candidate pairs,
batched alike, the runner called with a third array `pairs` (B, P, PAIR_FIELDS), padded with zero pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

PAD_MULTIPLE = 8

Runner = Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]]


def padded_length(length: int, max_length: int) -> int:
    """`length` rounded up to a multiple of PAD_MULTIPLE, but never past the model's window limit
    (a window is at most max_length long; a longer one, which Featurizer never makes, keeps its own)."""
    return min(-(-length // PAD_MULTIPLE) * PAD_MULTIPLE, max(max_length, length))


def window_batches(windows: Sequence, batch_size: int, pad_token_id: int, max_length: int
                   ) -> Iterator[tuple[list[int], np.ndarray, np.ndarray, dict[str, np.ndarray]]]:
    """(window indices, input_ids, attention_mask, other inputs) per batch, shortest padded length
    first; the other inputs are {"word_rows": ...} for windows with word vectors, else empty."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    lengths = np.fromiter((len(w.input_ids) for w in windows), dtype=np.int64, count=len(windows))
    groups: dict[int, list[int]] = {}
    for index in np.argsort(lengths, kind="stable").tolist():
        groups.setdefault(padded_length(int(lengths[index]), max_length), []).append(index)
    for padded in sorted(groups):
        members = groups[padded]
        for begin in range(0, len(members), batch_size):
            chunk = members[begin : begin + batch_size]
            input_ids = np.full((len(chunk), padded), pad_token_id, dtype=np.int64)
            attention_mask = np.zeros((len(chunk), padded), dtype=np.int64)
            with_rows = windows[chunk[0]].word_rows is not None
            word_rows = np.zeros((len(chunk), padded), dtype=np.int64) if with_rows else None
            for row, index in enumerate(chunk):
                ids = windows[index].input_ids
                input_ids[row, : len(ids)] = ids
                attention_mask[row, : len(ids)] = 1
                if with_rows:
                    word_rows[row, : len(ids)] = windows[index].word_rows
            yield chunk, input_ids, attention_mask, ({"word_rows": word_rows} if with_rows else {})


def predict_windows(runner: Runner, windows: Sequence, tasks: Sequence[str], pad_token_id: int, batch_size: int,
                    max_length: int) -> dict[str, list[np.ndarray]]:
    """Logits per task per window (float32, one row per token of the window, padding cut off),
    in the order of `windows`."""
    out: dict[str, list] = {task: [None] * len(windows) for task in tasks}
    for chunk, input_ids, attention_mask, other in window_batches(windows, batch_size, pad_token_id, max_length):
        outputs = runner(input_ids, attention_mask, **other)
        for task in tasks:
            logits = np.asarray(outputs[task], dtype=np.float32)
            for row, index in enumerate(chunk):
                out[task][index] = logits[row, : len(windows[index].input_ids)]
    return out


def predict_pairs(runner, windows: Sequence, pad_token_id: int, batch_size: int, max_length: int) -> list[np.ndarray]:
    """Argument logits (n_pairs, labels) per window (an empty array for a window without pairs)."""
    with_pairs = [i for i, w in enumerate(windows) if w.pairs is not None and len(w.pairs)]
    out: list = [np.zeros((0, 0), dtype=np.float32)] * len(windows)
    subset = [windows[i] for i in with_pairs]
    for chunk, input_ids, attention_mask, other in window_batches(subset, batch_size, pad_token_id, max_length):
        most = max(len(subset[i].pairs) for i in chunk)
        pairs = np.zeros((len(chunk), most, subset[chunk[0]].pairs.shape[1]), dtype=np.int64)
        for row, index in enumerate(chunk):
            pairs[row, : len(subset[index].pairs)] = subset[index].pairs
        logits = np.asarray(runner(input_ids, attention_mask, pairs, **other)["events"], dtype=np.float32)
        for row, index in enumerate(chunk):
            out[with_pairs[index]] = logits[row, : len(subset[index].pairs)]
    return out


class TorchRunner:
    """A runner over a torch module whose forward takes (input_ids, attention_mask) and returns
    either a tuple of logits in `tasks` order (a package's TaskLogits) or a dict with
    `logits_<task>` (the training model, MultiHeadTagger). Runs on the module's device, in
    inference mode, optionally under bfloat16 autocast (CPU or CUDA)."""

    def __init__(self, module, tasks: Sequence[str], bf16: bool = False):
        import torch

        self.module = module.eval()
        self.tasks = list(tasks)
        self.bf16 = bf16
        self.device = next(module.parameters()).device  # after GPU training the model is still on the GPU
        # a package's argument stage (encoder + argument head) has no use for the word rows
        self.takes_word_rows = getattr(module, "word_vectors", None) is not None
        self._torch = torch

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray, pairs: np.ndarray | None = None,
                 word_rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        torch = self._torch
        kwargs = {"input_ids": torch.from_numpy(input_ids).to(self.device), "attention_mask": torch.from_numpy(attention_mask).to(self.device)}
        if pairs is not None:
            kwargs["pairs_events"] = torch.from_numpy(pairs).to(self.device)
        if word_rows is not None and self.takes_word_rows:
            kwargs["word_rows"] = torch.from_numpy(word_rows).to(self.device)
        with torch.inference_mode(), torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            outputs = self.module(**kwargs)
        tasks = self.tasks + (["events"] if pairs is not None else [])
        if isinstance(outputs, dict):
            outputs = [outputs[f"logits_{task}"] for task in tasks]
        return {task: logits.float().cpu().numpy() for task, logits in zip(tasks, outputs)}
