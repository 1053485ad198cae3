"""ONNX export of a package's model, dynamic int8 quantization, and an onnxruntime runner.

Export (at package time) needs torch's ONNX exporter (`onnx`, `onnxscript`); running needs only
`onnxruntime` (the `onnx` extra). The graph takes `input_ids` and `attention_mask` (int64,
dynamic batch and sequence axes), and `word_rows` for a model with static word vectors, and
returns one logits tensor per task, named after the task.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

ONNX_DIR = "onnx"
FP32_FILE = f"{ONNX_DIR}/model.onnx"
INT8_FILE = f"{ONNX_DIR}/model.int8.onnx"
INPUTS = ("input_ids", "attention_mask")
WORD_ROWS = "word_rows"  # the third input of a model with word vectors (data.vectors)


def graph_inputs(module) -> list[str]:
    """The graph's input names for `module` (package.loading.TaskLogits)."""
    return list(INPUTS) + ([WORD_ROWS] if getattr(module, "word_vectors", None) is not None else [])


def export_onnx(module, tasks: list[str], path: str | Path, example_length: int = 16) -> Path:
    """Export `module` (forward(input_ids, attention_mask[, word_rows]) -> one logits tensor per task)
    to `path`, a single self-contained .onnx file (weights inside, no external data)."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    module = module.eval()
    input_ids = torch.full((2, example_length), 5, dtype=torch.long)
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, example_length // 2 :] = 0
    names = graph_inputs(module)
    inputs = (input_ids, attention_mask) + ((torch.arange(input_ids.numel()).view_as(input_ids) % module.word_vectors.num_embeddings,) if WORD_ROWS in names else ())
    batch, sequence = torch.export.Dim("batch"), torch.export.Dim("sequence")
    quiet = [logging.getLogger(name) for name in ("onnx_ir", "onnxscript", "torch.onnx")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.WARNING)  # the exporter's passes log each step at INFO
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad(), _Restore(quiet, levels):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, inputs, str(path),
            input_names=names, output_names=list(tasks),
            dynamic_shapes={name: {0: batch, 1: sequence} for name in names},
            dynamo=True, external_data=False, verbose=False,
        )
    dedupe_initializers(path)
    return path


def dedupe_initializers(path: str | Path) -> int:
    """Keep one initializer per distinct tensor (same type, shape and values), rewiring the nodes
    that used a copy, so that the graph holds each weight once (a shared or tied weight, or a
    constant the exporter folded twice, would otherwise be stored twice). Returns how many
    copies were removed; the file is rewritten only when there were any."""
    import hashlib

    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    boundary = {v.name for v in graph.input} | {v.name for v in graph.output}
    first: dict[tuple, str] = {}
    rename: dict[str, str] = {}
    for tensor in graph.initializer:
        values = numpy_helper.to_array(tensor)
        key = (tensor.data_type, tuple(tensor.dims), hashlib.sha256(values.tobytes()).hexdigest())
        if key in first and tensor.name not in boundary:
            rename[tensor.name] = first[key]
        else:
            first.setdefault(key, tensor.name)
    if not rename:
        return 0
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in rename:
                node.input[i] = rename[name]
    kept = [tensor for tensor in graph.initializer if tensor.name not in rename]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return len(rename)


class _Restore:
    def __init__(self, loggers, levels):
        self.pairs = list(zip(loggers, levels))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for logger, level in self.pairs:
            logger.setLevel(level)


def quantize_int8(source: str | Path, target: str | Path) -> Path:
    """Dynamic int8 quantization of the weights of MatMul/Gemm (onnxruntime.quantization):
    activations stay float and are quantized on the fly; embeddings and LayerNorms stay fp32.
    Weights use 7 bits (`reduce_range`): a package runs on CPUs it was not exported on, and on
    x86 CPUs without VNNI (AVX2 only) onnxruntime's u8s8 kernels saturate with 8-bit weights (on
    such a CPU the int8 spans of the test model agreed with fp32 at F1 0.88 with 8 bits, above 0.95
    with 7)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target = Path(target)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer logs every tensor it leaves alone on the root logger
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gemm"],
                             reduce_range=True)
    finally:
        root.setLevel(level)
    return target


def session_options(threads: int | None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = int(threads or default_threads())
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return options


def default_threads() -> int:
    """The CPUs this process may run on (cgroup/affinity aware where the OS tells)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class OnnxRunner:
    """Runs an exported graph with onnxruntime on the CPU: logits per task as float32 arrays."""

    def __init__(self, path: str | Path, tasks: list[str], threads: int | None = None):
        try:
            import onnxruntime as ort
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError("backend 'onnx' needs onnxruntime: pip install 'arabic-ie[onnx]'") from err
        self.path = Path(path)
        self.tasks = list(tasks)
        # the bytes were hash-checked by the caller; hand them over directly so nothing re-reads the file
        self.session = ort.InferenceSession(self.path.read_bytes(), sess_options=session_options(threads),
                                            providers=["CPUExecutionProvider"])
        outputs = [o.name for o in self.session.get_outputs()]
        if sorted(outputs) != sorted(self.tasks):
            raise ValueError(f"{self.path}: graph outputs {outputs} differ from the package's tasks {self.tasks}")
        self.takes_word_rows = WORD_ROWS in {i.name for i in self.session.get_inputs()}

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray, word_rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        feed = {"input_ids": input_ids.astype(np.int64, copy=False), "attention_mask": attention_mask.astype(np.int64, copy=False)}
        if self.takes_word_rows:
            if word_rows is None:
                raise ValueError(f"{self.path}: this graph reads word vectors: give word_rows (the Featurizer makes them)")
            feed[WORD_ROWS] = word_rows.astype(np.int64, copy=False)
        return dict(zip(self.tasks, self.session.run(self.tasks, feed)))
