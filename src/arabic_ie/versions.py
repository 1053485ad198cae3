"""The versions of Python and of the libraries a run or a package was made with."""

from __future__ import annotations

import platform
from importlib import metadata


def library_versions(names) -> dict:
    """{"python": ..., NAME: version or None (not installed)} for the given distribution names."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions
