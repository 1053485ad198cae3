"""The package folder's contract: file names, the manifest, and SHA-256 verification.

A package is a folder that `arabic_ie.load(path)` reads and that Hugging Face loads as a
token-classification model:

    manifest.json           tasks, label schemes, preprocessing, window, versions, metrics, and
                            the SHA-256 and size of every other file (written last)
    config.json             a <Encoder>ForTokenClassification config with the first task's labels
    model.safetensors       encoder (`bert.*`) + the first task's head (`classifier.*`)
    heads.safetensors       the other tasks' heads (`<task>.weight`, `<task>.bias`); joint packages only
    crf.safetensors         (model.head=crf) per task the CRF scores Viterbi decodes with (package/decoding.py)
    word_vectors/           (model.word_vectors) vectors.safetensors, words.txt, vectors.json: the static
                            word vectors the heads read (every head then lives in heads.safetensors)
    tokenizer.json, tokenizer_config.json
    segmenter.json          the word segmenter (proclitic splitting and its lexicon)
    onnx/model.onnx, onnx/model.int8.onnx   (optional) the ONNX graphs, fp32 and dynamic int8
    README.md               the model card

Standard library only: reading a manifest never imports torch.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path, PurePosixPath

MANIFEST = "manifest.json"
FORMAT = "arabic-ie-package"
# 3: heads read static word vectors (word_vectors/); 2: may decode with a CRF (crf.safetensors,
# "decoding"); 1: argmax only. Every version up to this one is read; export writes the lowest that fits.
FORMAT_VERSION = 3
VECTORS_FORMAT_VERSION = 3  # arabic-ie before it would feed the heads the hidden state alone
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


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def relative_files(folder: Path) -> list[str]:
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
            for name in relative_files(folder) if name != MANIFEST}


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
    extra = [name for name in relative_files(folder) if name != MANIFEST and name not in listed]
    if extra:
        raise PackageError(f"{folder / extra[0]}: not listed in the manifest (unexpected: {extra[:5]}); "
                           "a package holds exactly the files its manifest lists")
    return manifest
