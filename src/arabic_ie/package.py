"""Inference packages: the manifest, SHA-256 verification, and the atomic export of a trained run.

A package is a folder that `arabic_ie.load(path)` reads and that Hugging Face loads as a
token-classification model:

    manifest.json           tasks, label schemes, preprocessing, window, versions, metrics, and
                            the SHA-256 and size of every other file (written last)
    config.json             a <Encoder>ForTokenClassification config with the first task's labels
    model.safetensors       encoder (`bert.*`) + the first task's head (`classifier.*`)
    heads.safetensors       the other tasks' heads (`<task>.weight`, `<task>.bias`); joint packages only
    tokenizer.json, tokenizer_config.json
    segmenter.json          the word segmenter (proclitic splitting and its lexicon)
    onnx/model.onnx, onnx/model.int8.onnx   (optional) the ONNX graphs, fp32 and dynamic int8
    README.md               the model card

Importing this module is cheap (standard library only); export pulls in torch and transformers.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from arabic_ie.versions import library_versions

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = "arabic-ie-package"
FORMAT_VERSION = 1
DEFAULT_LICENSE = "Apache-2.0"  # the project's own; a pretrained encoder's licence (model.license) takes precedence
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
HEADS_FILE = "heads.safetensors"
TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG = "tokenizer_config.json"
SEGMENTER_FILE = "segmenter.json"
CARD_FILE = "README.md"
# Never loaded, whatever the manifest says: formats that can carry code (pickles, Python).
FORBIDDEN_SUFFIXES = frozenset({".py", ".pyc", ".pyo", ".so", ".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt",
                                ".joblib", ".npy", ".npz", ".h5", ".msgpack"})
RUNTIME_PACKAGES = ("arabic-ie", "torch", "transformers", "tokenizers", "safetensors", "numpy", "onnx", "onnxruntime")
TASK_KEYS = {"ner": "entities", "triggers": "triggers"}  # the output key of each task's spans


class PackageError(ValueError):
    """A package that cannot be trusted or used; the message names the file and what is wrong."""


# ---------------------------------------------------------------------------------------------
# hashing and verification


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _relative_files(folder: Path) -> list[str]:
    """Every file (and symlink) below `folder`, as POSIX paths relative to it, sorted."""
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            found.append(Path(root, name).relative_to(folder).as_posix())
    return sorted(found)


def file_entries(folder: str | Path) -> dict[str, dict]:
    """{relative path: {"sha256", "bytes"}} for every file in `folder` except the manifest."""
    folder = Path(folder)
    return {name: {"sha256": sha256_file(folder / name), "bytes": (folder / name).stat().st_size}
            for name in _relative_files(folder) if name != MANIFEST}


def _check_name(folder: Path, name: str) -> None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name or not name:
        raise PackageError(f"{folder / MANIFEST}: file name {name!r} points outside the package")
    if path.suffix.lower() in FORBIDDEN_SUFFIXES:
        raise PackageError(f"{folder / name}: {path.suffix} files can carry code (pickles, Python) and are never "
                           "loaded; a package holds safetensors, JSON, ONNX and text only")


def read_manifest(folder: str | Path) -> dict:
    """The parsed manifest of `folder`, or PackageError (no manifest means no finished export)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PackageError(f"{folder}: no such package folder")
    path = folder / MANIFEST
    if not path.is_file():
        raise PackageError(f"{path}: missing. {folder} is not an arabic-ie package, or its export did not finish "
                           "(the manifest is written last)")
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PackageError(f"{path}: not valid UTF-8 JSON ({err}); the manifest is truncated or altered") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
        raise PackageError(f"{path}: not an arabic-ie package manifest (expected \"format\": \"{FORMAT}\" and a \"files\" table)")
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise PackageError(f"{path}: package format {manifest.get('format_version')} is newer than this arabic-ie "
                           f"reads ({FORMAT_VERSION}); upgrade arabic-ie")
    return manifest


def verify(folder: str | Path) -> dict:
    """Check every file the manifest lists (present, same size, same SHA-256) and that the folder
    holds nothing else; return the manifest. Raises PackageError naming the offending file."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    listed = manifest["files"]
    for name in sorted(listed):
        _check_name(folder, name)
        entry = listed[name]
        path = folder / name
        if path.is_symlink():
            raise PackageError(f"{path}: a symbolic link; a package holds plain files only")
        if not path.is_file():
            raise PackageError(f"{path}: missing (the manifest lists it)")
        size = path.stat().st_size
        if size != entry.get("bytes"):
            raise PackageError(f"{path}: {size} bytes where the manifest says {entry.get('bytes')}: truncated or altered")
        if sha256_file(path) != entry.get("sha256"):
            raise PackageError(f"{path}: SHA-256 differs from the manifest: the file was altered or corrupted")
    extra = [name for name in _relative_files(folder) if name != MANIFEST and name not in listed]
    if extra:
        raise PackageError(f"{folder / extra[0]}: not listed in the manifest (unexpected: {extra[:5]}); "
                           "a package holds exactly the files its manifest lists")
    return manifest


# ---------------------------------------------------------------------------------------------
# export


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
    schemes = {task: meta["schemes"][task] for task in tasks}
    name = python_name(name) if name else default_name(run_dir, meta)
    license_origin = ("given at export" if license else
                      "the fine-tuned encoder's licence, which every model built on it inherits" if meta.get("model_license")
                      else "the project's default")
    license = license or meta.get("model_license") or DEFAULT_LICENSE
    primary = tasks[0]

    # 1. weights: a standard token-classification model for the first task, other heads beside it
    classifier = _token_classification_model(model_dir, schemes[primary]["labels"])
    heads = load_file(str(model_dir / "heads.safetensors"))
    with torch.no_grad():
        classifier.classifier.weight.copy_(heads[f"{primary}.weight"])
        classifier.classifier.bias.copy_(heads[f"{primary}.bias"])
    classifier.save_pretrained(folder, safe_serialization=True)
    for leftover in sorted(set(_relative_files(folder)) - {CONFIG_FILE, WEIGHTS_FILE}):
        (folder / leftover).unlink()  # e.g. generation_config.json: nothing a tagger reads
    others = {key: tensor.contiguous() for key, tensor in heads.items() if key.split(".", 1)[0] in tasks[1:]}
    if others:
        save_file(others, str(folder / HEADS_FILE), metadata={"format": "pt"})

    # 2. tokenizer (with the Arabic normalisation inside, for Hugging Face users) and segmenter
    special_tokens, training_normalizer = _write_tokenizer(model_dir, folder, meta)
    (folder / SEGMENTER_FILE).write_text(json.dumps(meta["segmenter"], ensure_ascii=False, indent=1), encoding="utf-8")

    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": name,
        "version": str(version),
        "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "tasks": tasks,
        "label_schemes": {task: {"types": list(s["types"]), "labels": list(s["labels"])} for task, s in schemes.items()},
        "output_keys": {task: TASK_KEYS[task] for task in tasks},
        "weights": {
            "config": CONFIG_FILE,
            "architecture": type(classifier).__name__,
            "heads": {task: ({"file": WEIGHTS_FILE, "weight": "classifier.weight", "bias": "classifier.bias"} if task == primary
                             else {"file": HEADS_FILE, "weight": f"{task}.weight", "bias": f"{task}.bias"}) for task in tasks},
        },
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
        "window": {"max_length": int(meta["window"]["max_length"]), "stride": int(meta["window"]["stride"])},
        "onnx": None,
        "default_backend": "torch",
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
        from arabic_ie import onnx_backend
        from arabic_ie.inference import load_torch_model

        module = load_torch_model(folder, manifest)
        onnx_backend.export_onnx(module, tasks, folder / onnx_backend.FP32_FILE)
        onnx_backend.quantize_int8(folder / onnx_backend.FP32_FILE, folder / onnx_backend.INT8_FILE)
        manifest["onnx"] = {"fp32": onnx_backend.FP32_FILE, "int8": onnx_backend.INT8_FILE,
                            "inputs": list(onnx_backend.INPUTS), "outputs": tasks,
                            "quantization": "onnxruntime quantize_dynamic, QInt8 weights of MatMul/Gemm"}

    (folder / CARD_FILE).write_text(model_card(manifest, run_dir, intended_use), encoding="utf-8")
    _self_check(run_dir, folder, manifest)
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

    from arabic_ie.arabic import DIACRITICS, LETTER_MAP, TATWEEL

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


def _self_check(run_dir: Path, folder: Path, manifest: dict) -> None:
    """The package must compute what the run's model computes: compare logits on a sentence."""
    import numpy as np
    import torch

    from arabic_ie.inference import load_torch_model
    from arabic_ie.modeling import MultiHeadTagger

    from transformers.utils import logging as hf_logging

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
    with torch.inference_mode():
        expected = reference(input_ids=ids, attention_mask=mask)
        got = module(ids, mask)
    for task, logits in zip(manifest["tasks"], got):
        if not np.allclose(logits.numpy(), expected[f"logits_{task}"].numpy(), atol=1e-5):
            raise PackageError(f"{folder}: exported {task} logits differ from the run's model; the export is wrong")
    if manifest.get("onnx"):
        from arabic_ie.onnx_backend import OnnxRunner

        runner = OnnxRunner(folder / manifest["onnx"]["fp32"], manifest["tasks"], threads=1)
        outputs = runner(ids.numpy(), mask.numpy())
        for task, logits in zip(manifest["tasks"], got):
            gap = float(np.abs(outputs[task] - logits.numpy()).max())
            if gap > 1e-3:
                raise PackageError(f"{folder / manifest['onnx']['fp32']}: {task} logits differ from PyTorch by {gap:.2e}")


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
    if len(tasks) > 1:
        lines.append(f"The other head(s) ({', '.join(tasks[1:])}) are in `heads.safetensors` as `<task>.weight` / "
                     "`<task>.bias`; `arabic_ie.inference.hf_model(path, task)` returns a token-classification model "
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
            for mode in ("strict", "default"):
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


def _write_json_synced(path: Path, data: dict) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())


def publish_modes(folder: Path) -> None:
    """mkdtemp makes a private (0700) folder and some writers 0600 files: give the package the
    modes a normal folder would have under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    for root, dirs, files in os.walk(folder):
        os.chmod(root, 0o777 & ~umask)
        for name in files:
            os.chmod(os.path.join(root, name), 0o666 & ~umask)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                os.fsync(handle.fileno())
        _fsync_dir(Path(root))


# ---------------------------------------------------------------------------------------------
# wheel


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def build_wheel(package_dir: str | Path, dist_dir: str | Path) -> Path:
    """A pure-Python wheel `<name>-<version>-py3-none-any.whl` carrying the package folder as
    `<name>/model/`, with `<name>.load(**kwargs)` (spaCy-style). Written directly with zipfile
    (the format is a zip with METADATA, WHEEL and RECORD), so no build tool is needed."""
    package_dir, dist_dir = Path(package_dir), Path(dist_dir)
    manifest = verify(package_dir)
    name, version = manifest["name"], manifest["version"]
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)*([ab]|rc|\.post|\.dev)?[0-9]*", version):
        raise ValueError(f"version {version!r} is not a simple PEP 440 version (e.g. 0.1.0)")
    from arabic_ie import __version__ as library_version

    major_minor = ".".join(library_version.split(".")[:2])
    init = (f'"""arabic-ie model package {name} {version}: `import {name}; tagger = {name}.load()`."""\n\n'
            "from pathlib import Path\n\n"
            f"__version__ = {version!r}\n"
            "PATH = Path(__file__).resolve().parent / \"model\"\n\n\n"
            "def load(**kwargs):\n"
            "    \"\"\"The tagger in this package: arabic_ie.load(PATH, **kwargs) (backend=, threads=).\"\"\"\n"
            "    from arabic_ie import load as _load\n\n"
            "    return _load(PATH, **kwargs)\n")
    dist_info = f"{name}-{version}.dist-info"
    metadata = (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                f"Summary: arabic-ie tagger for {', '.join(manifest['tasks'])} ({manifest.get('model')})\n"
                f"License: {manifest.get('license')}\nRequires-Python: >=3.10\n"
                f"Requires-Dist: arabic-ie>={major_minor}\nDescription-Content-Type: text/markdown\n\n"
                + (package_dir / CARD_FILE).read_text(encoding="utf-8"))
    wheel_meta = "Wheel-Version: 1.0\nGenerator: arabic-ie\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    entries: list[tuple[str, bytes | Path]] = [(f"{name}/__init__.py", init.encode("utf-8"))]
    entries += [(f"{name}/model/{rel}", package_dir / rel) for rel in _relative_files(package_dir)]
    entries += [(f"{dist_info}/METADATA", metadata.encode("utf-8")), (f"{dist_info}/WHEEL", wheel_meta.encode("utf-8")),
                (f"{dist_info}/top_level.txt", f"{name}\n".encode("utf-8"))]
    dist_dir.mkdir(parents=True, exist_ok=True)
    target = dist_dir / f"{name}-{version}-py3-none-any.whl"
    partial = dist_dir / f".{target.name}.partial-{os.getpid()}"
    record = []
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for arcname, content in entries:
                data = content.read_bytes() if isinstance(content, Path) else content
                info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
                record.append(f"{arcname},{_record_hash(data)},{len(data)}")
            record.append(f"{dist_info}/RECORD,,")
            info = zipfile.ZipInfo(f"{dist_info}/RECORD", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, "\n".join(record) + "\n")
        os.replace(partial, target)
    finally:
        if partial.exists():
            partial.unlink()
    return target
