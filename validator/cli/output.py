"""Writing a command's text or JSON output to a path or standard output."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from validator.errors import UsageError


def write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically (``-`` is standard output)."""
    if path == "-":
        sys.stdout.write(text)
        return
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"'{path}' is a directory; give a file name")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.exists():
        raise UsageError(f"cannot write '{path}': the folder '{parent}' does not exist")
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"cannot write '{path}': {exc.strerror}") from None
