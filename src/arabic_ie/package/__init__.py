"""Inference packages on disk: the manifest and its checksums (manifest), export of a trained run
(export), the model card (card), the wheel (wheel), ONNX graphs (onnx), and loading a package's
model and tokenizer (loading). Importing it is cheap: torch is imported only by export and loading."""

from arabic_ie.package.export import export_package
from arabic_ie.package.manifest import PackageError, read_manifest, sha256_file, verify
from arabic_ie.package.wheel import build_wheel

__all__ = ["PackageError", "build_wheel", "export_package", "read_manifest", "sha256_file", "verify"]
