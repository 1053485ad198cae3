"""Export a trained run as an inference package: written into a temporary folder, checked
(every file hashed, the model reloaded and compared with the run's logits, ONNX parity), then
moved into place in one rename, so a package folder is either complete or absent.

Importing this module is cheap (standard library only); export pulls in torch and transformers.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

from arabic_ie.package.card import model_card
from arabic_ie.package.decoding import ARGMAX_FORMAT_VERSION, CRF_FORMAT_VERSION, write_decoding
from arabic_ie.package.files import _fsync_dir, _fsync_tree, _write_json_synced, publish_modes
from arabic_ie.package.manifest import (
    CARD_FILE,
    CONFIG_FILE,
    DEFAULT_LICENSE,
    FORMAT,
    HEADS_FILE,
    MANIFEST,
    RUNTIME_PACKAGES,
    SEGMENTER_FILE,
    TASK_KEYS,
    TOKENIZER_CONFIG,
    TOKENIZER_FILE,
    VECTORS_FORMAT_VERSION,
    WEIGHTS_FILE,
    PackageError,
    file_entries,
    relative_files,
)
from arabic_ie.package.events import package_events
from arabic_ie.package.verify import check_export
from arabic_ie.package.wheel import build_wheel
from arabic_ie.versions import library_versions

log = logging.getLogger(__name__)


def default_name(run_dir: Path, tagger_meta: dict) -> str:
    """arabic_ie_<data>_<task>_<model>, from the run's config.yaml where there is one."""
    data = tagger_meta.get("training_data") or "data"
    model = (tagger_meta.get("model") or "model").split()[0]
    task = "joint" if len(tagger_meta["tasks"]) > 1 else tagger_meta["tasks"][0]
    config = _read_run_config(run_dir)
    if config:
        data = config.get("data", {}).get("name", data)
        task = config.get("task", {}).get("name", task)
        model = config.get("model", {}).get("name", model)
    return python_name(f"arabic_ie_{data}_{task}_{model}")


def python_name(name: str) -> str:
    """A valid import (and distribution) name: lower case, [a-z0-9_], not starting with a digit."""
    name = re.sub(r"[^0-9a-zA-Z_]+", "_", name).strip("_").lower()
    if not name or name[0].isdigit():
        name = f"pkg_{name}"
    return name


def _read_run_config(run_dir: Path) -> dict | None:
    path = Path(run_dir) / "config.yaml"
    if not path.is_file():
        return None
    try:
        import yaml  # comes with omegaconf (the train extra); the config is optional for export
    except ImportError:
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _read_json(path: Path, default=None):
    if not path.is_file():
        if default is not None:
            return default
        raise FileNotFoundError(f"{path}: missing")
    return json.loads(path.read_text(encoding="utf-8"))


def export_package(run_dir: str | Path, output_dir: str | Path, *, name: str | None = None, version: str = "0.1.0",
                   onnx: bool = True, wheel: bool = False, wheel_dir: str | Path | None = None,
                   overwrite: bool = False, license: str | None = None, intended_use: str | None = None) -> Path:
    """Export RUN_DIR/model as a self-contained package at `output_dir`, atomically.

    `license=None` takes the licence of the encoder the run fine-tuned (`model.license`, e.g. CC BY-NC-SA 4.0
    for an encoder pretrained on SaudiNewsNet, which binds derived models) or else Apache-2.0.

    Everything is written into a hidden sibling folder (`.NAME.partial-XXXX`), the manifest last,
    each file and the folder fsync'ed, and only then renamed to `output_dir`: an interrupted
    export leaves no folder at `output_dir` (and the partial folder has no manifest unless every
    file is complete). With `wheel=True` a wheel carrying the folder is written to `wheel_dir`
    (default: a `dist/` folder beside `output_dir`). Returns `output_dir`.
    """
    run_dir, output_dir = Path(run_dir), Path(output_dir).absolute()
    model_dir = run_dir / "model"
    if not (model_dir / "tagger.json").is_file():
        raise FileNotFoundError(f"{model_dir}: no trained model (tagger.json is written at the end of training)")
    if output_dir.exists() and not overwrite:
        raise FileExistsError(f"{output_dir} exists; choose another output_dir or pass overwrite (export.overwrite=true)")
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.partial-", dir=output_dir.parent))
    try:
        manifest = _write_package(run_dir, staging, name=name, version=version, onnx=onnx, license=license,
                                  intended_use=intended_use)
        publish_modes(staging)
        _fsync_tree(staging)
        if output_dir.exists():
            retired = output_dir.with_name(f".{output_dir.name}.old-{os.getpid()}")
            os.replace(output_dir, retired)
            os.replace(staging, output_dir)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, output_dir)
        _fsync_dir(output_dir.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("exported %s (%s) to %s", manifest["name"], ", ".join(manifest["tasks"]), output_dir)
    if wheel:
        path = build_wheel(output_dir, Path(wheel_dir) if wheel_dir else output_dir.parent / "dist")
        log.info("wheel: %s", path)
    return output_dir


def _write_package(run_dir: Path, folder: Path, *, name, version, onnx, license, intended_use) -> dict:
    import torch
    from safetensors.torch import load_file, save_file

    model_dir = run_dir / "model"
    meta = _read_json(model_dir / "tagger.json")
    tasks = list(meta["tasks"])
    if not tasks:
        raise ValueError(f"{model_dir}: a run without entity and trigger heads (task=events) cannot be exported: "
                         "events are found on predicted entities and triggers; train task=joint")
    schemes = {task: meta["schemes"][task] for task in tasks}
    name = python_name(name) if name else default_name(run_dir, meta)
    license_origin = ("given at export" if license else
                      "the fine-tuned encoder's licence, which every model built on it inherits" if meta.get("model_license")
                      else "the project's default")
    license = license or meta.get("model_license") or DEFAULT_LICENSE
    primary = tasks[0]

    # 1. weights: a standard token-classification model for the first task, other heads beside it.
    # With word vectors every head reads [hidden; vector] and lives in heads.safetensors; the
    # classifier of the Hugging Face view then holds only the hidden-state half of the first head
    # (hf_model refuses such a package; arabic_ie.load uses the whole heads).
    vectors = meta.get("word_vectors")
    classifier = _token_classification_model(model_dir, schemes[primary]["labels"])
    heads = load_file(str(model_dir / "heads.safetensors"))
    hidden = classifier.config.hidden_size
    with torch.no_grad():
        classifier.classifier.weight.copy_(heads[f"{primary}.weight"][:, :hidden])
        classifier.classifier.bias.copy_(heads[f"{primary}.bias"])
    classifier.save_pretrained(folder, safe_serialization=True)
    for leftover in sorted(set(relative_files(folder)) - {CONFIG_FILE, WEIGHTS_FILE}):
        (folder / leftover).unlink()  # e.g. generation_config.json: nothing a tagger reads
    in_heads_file = tasks if vectors else tasks[1:]
    others = {key: tensor.contiguous() for key, tensor in heads.items() if key.split(".", 1)[0] in in_heads_file}
    if others:
        save_file(others, str(folder / HEADS_FILE), metadata={"format": "pt"})

    decoding = write_decoding(model_dir, folder, meta)  # model.head=crf: the CRF scores for Viterbi
    if vectors:  # model.word_vectors: the frozen table and its words, as the run saved them
        shutil.copytree(model_dir / vectors["folder"], folder / vectors["folder"])

    # 2. tokenizer (with the Arabic normalisation inside, for Hugging Face users) and segmenter
    special_tokens, training_normalizer = _write_tokenizer(model_dir, folder, meta)
    (folder / SEGMENTER_FILE).write_text(json.dumps(meta["segmenter"], ensure_ascii=False, indent=1), encoding="utf-8")

    manifest = {
        "format": FORMAT,
        "format_version": VECTORS_FORMAT_VERSION if vectors else CRF_FORMAT_VERSION if decoding else ARGMAX_FORMAT_VERSION,
        "name": name,
        "version": str(version),
        "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "tasks": tasks,
        "label_schemes": {task: {"types": list(s["types"]), "labels": list(s["labels"])} for task, s in schemes.items()},
        "output_keys": {task: TASK_KEYS[task] for task in tasks},
        "weights": {
            "config": CONFIG_FILE,
            "architecture": type(classifier).__name__,
            "heads": {task: ({"file": WEIGHTS_FILE, "weight": "classifier.weight", "bias": "classifier.bias"}
                             if task == primary and not vectors
                             else {"file": HEADS_FILE, "weight": f"{task}.weight", "bias": f"{task}.bias"}) for task in tasks},
        },
        # static word vectors the heads read beside the encoder (model.word_vectors), or None
        "word_vectors": dict(vectors) if vectors else None,
        "tokenizer": {"file": TOKENIZER_FILE, "config": TOKENIZER_CONFIG, "special_tokens": special_tokens,
                      # tokenizer.json's normalizer is the model's Arabic normalisation followed by this one (the
                      # training tokenizer's): Hugging Face tools given raw text get both. arabic_ie.load puts this
                      # one back and normalises each word itself, exactly as in training (a word made only of
                      # tatweel or diacritics then still gets a token instead of vanishing).
                      "training_normalizer": training_normalizer},
        "preprocessing": {
            "normalizer": dict(meta["normalizer"]),
            "split_proclitics": bool(meta["segmenter"]["split_proclitics"]),
            "min_stem_length": meta["segmenter"].get("min_stem_length", 3),
            "segmenter": SEGMENTER_FILE,
            "lexicon_size": len(meta["segmenter"].get("lexicon", [])),
            "words": "runs of letters, digits and marks, and single punctuation marks, with their offsets in the "
                     "original text; a leading proclitic (و ف ب ل ك) split off when the rest is a known word",
        },
        "decoding": decoding,
        "window": {"max_length": int(meta["window"]["max_length"]), "stride": int(meta["window"]["stride"])},
        "onnx": None,
        "default_backend": "auto",
        "score": "per span: mean over its words of the softmax probability of the predicted tag at the word's "
                 "first subword, rounded to 4 decimals",
        "model": meta.get("model"),
        "training": _training_summary(run_dir, meta),
        "versions": {"training": _read_json(run_dir / "versions.json", {}), "export": library_versions(RUNTIME_PACKAGES)},
        "metrics": {"source": "the run's metrics.json: seqeval span scores on word tags",
                    "scores": _read_json(run_dir / "metrics.json", {})},
        "license": license,
        "license_origin": license_origin,
    }

    # 3. ONNX graphs, exported from the package's own weights as loaded back
    if onnx:
        from arabic_ie.package import onnx as onnx_backend
        from arabic_ie.package.loading import load_torch_model

        module = load_torch_model(folder, manifest)
        onnx_backend.export_onnx(module, tasks, folder / onnx_backend.FP32_FILE)
        onnx_backend.quantize_int8(folder / onnx_backend.FP32_FILE, folder / onnx_backend.INT8_FILE)
        manifest["onnx"] = {"fp32": onnx_backend.FP32_FILE, "int8": onnx_backend.INT8_FILE,
                            "inputs": onnx_backend.graph_inputs(module), "outputs": tasks,
                            "quantization": "onnxruntime quantize_dynamic, QInt8 weights (7-bit range) of MatMul/Gemm"}

    manifest["events"] = package_events(run_dir, folder, meta, manifest, onnx)  # the argument head, if the run has one
    (folder / CARD_FILE).write_text(model_card(manifest, run_dir, intended_use), encoding="utf-8")
    check_export(run_dir, folder, manifest)
    manifest["files"] = file_entries(folder)
    _write_json_synced(folder / MANIFEST, manifest)
    return manifest


def _token_classification_model(model_dir: Path, labels: list[str]):
    """<Encoder>ForTokenClassification holding the run's encoder weights (the pooler, unused for
    tagging, is dropped), with `labels` as id2label."""
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModelForTokenClassification

    config = AutoConfig.from_pretrained(model_dir, local_files_only=True)
    config.id2label = dict(enumerate(labels))
    config.label2id = {label: i for i, label in enumerate(labels)}
    config.architectures = None
    model = AutoModelForTokenClassification.from_config(config)
    base = getattr(model, model.base_model_prefix)
    encoder = load_file(str(model_dir / WEIGHTS_FILE))
    expected = set(base.state_dict())
    unused = sorted(k for k in encoder if k not in expected)
    if any(not k.startswith("pooler.") for k in unused):
        raise PackageError(f"{model_dir / WEIGHTS_FILE}: encoder weights {unused[:5]} have no place in {type(model).__name__}")
    base.load_state_dict({k: v for k, v in encoder.items() if k in expected}, strict=True)
    return model.eval()


def _write_tokenizer(model_dir: Path, folder: Path, meta: dict) -> dict:
    """Save the run's tokenizer with model_max_length = the window, and the model's Arabic
    normalisation prepended to its normalizer, so that Hugging Face tools given raw text see the
    strings the model was trained on (offsets still point into the raw text)."""
    from tokenizers import Regex, normalizers
    from transformers import AutoTokenizer

    from arabic_ie.data.arabic import DIACRITICS, LETTER_MAP, TATWEEL

    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    steps = []
    settings = meta["normalizer"]
    if settings.get("remove_diacritics", True):
        steps.append(normalizers.Replace(Regex(DIACRITICS.pattern), ""))
    if settings.get("remove_tatweel", True):
        steps.append(normalizers.Replace(TATWEEL, ""))
    if settings.get("normalize_letters", False):
        steps += [normalizers.Replace(chr(source), target) for source, target in sorted(LETTER_MAP.items())]
    backend = tokenizer.backend_tokenizer
    original = json.loads(backend.to_str()).get("normalizer")
    if steps:
        if backend.normalizer is not None:
            steps.append(backend.normalizer)
        backend.normalizer = normalizers.Sequence(steps)
    tokenizer.model_max_length = int(meta["window"]["max_length"])
    tokenizer.save_pretrained(folder)  # tokenizer.json + tokenizer_config.json (JSON only)
    config_path = folder / TOKENIZER_CONFIG
    config = json.loads(config_path.read_text(encoding="utf-8"))
    for key in ("is_local", "local_files_only", "name_or_path", "_commit_hash"):  # loading details, not settings
        config.pop(key, None)
    config_path.write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    special = {key: getattr(tokenizer, key) for key in ("pad_token", "unk_token", "cls_token", "sep_token", "mask_token")
               if getattr(tokenizer, key, None) is not None}
    return special, original


def _training_summary(run_dir: Path, meta: dict) -> dict:
    summary = {"data": meta.get("training_data"), "run": str(Path(run_dir).resolve().name)}
    config = _read_run_config(run_dir)
    if config:
        data = config.get("data", {})
        summary.update({
            "data_format": data.get("format"),
            "splits": {split: data.get(split) for split in ("train", "dev", "test") if data.get(split)},
            "seed": config.get("seed"),
            "task": config.get("task", {}).get("name"),
            "loss_weights": config.get("task", {}).get("loss_weights"),
            "model": config.get("model", {}).get("name"),
            "pretrained": config.get("model", {}).get("pretrained"),
            "learning_rate": config.get("trainer", {}).get("learning_rate"),
            "epochs": config.get("trainer", {}).get("num_train_epochs"),
        })
    report = _read_json(Path(run_dir) / "data_report.json", {})
    if report.get("features"):
        summary["data_counts"] = {split: {k: v for k, v in stats.items() if k in ("documents", "words") or k.endswith("spans")}
                                  for split, stats in report["features"].items()}
    return summary


