"""A pip-installable wheel carrying a package folder, written directly with zipfile."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import zipfile
from pathlib import Path

from arabic_ie.package.manifest import CARD_FILE, relative_files, verify


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
    entries += [(f"{name}/model/{rel}", package_dir / rel) for rel in relative_files(package_dir)]
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
