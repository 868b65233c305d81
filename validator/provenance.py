"""Where results came from: only written when asked for (``--provenance``).

Results are deterministic by default: no timestamps and no absolute paths. The
provenance block adds them for an audit trail.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from validator._version import __version__

PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "formulaic", "tabulate", "PyYAML", "matplotlib", "openai")


def display_path(path: str | os.PathLike[str]) -> str:
    """A path for results: relative to the working directory when inside it, else the file name."""
    text = os.fspath(path)
    if text == "-" or not os.path.isabs(text):
        return text
    try:
        return str(Path(text).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return Path(text).name


def package_versions(names: Sequence[str] = PACKAGES) -> dict[str, str]:
    """Installed versions of ``names`` ('not installed' where absent)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def provenance(files: Sequence[str], argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Absolute file paths, the command line, the time (UTC), Python, platform and package versions."""
    return {
        "simval_version": __version__,
        "command": list(sys.argv if argv is None else argv),
        "cwd": os.getcwd(),
        "files": {f: (f if f == "-" else str(Path(f).resolve())) for f in files},
        "timestamp": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
    }
