"""The manifest of a finetuning file: which human rows trained the model, so the check can leave them out.

A JSON object with ``simval_manifest: 1``, the human file's name and SHA-256,
the spec, the sampling settings, and ``rows``: the data row numbers (from 1,
in file order, as ``simval check`` numbers them) of the training rows, in
the order they were drawn. ``simval check --exclude-rows MANIFEST`` sets those
rows aside (reason ``excluded``) in the human data, and refuses a manifest
made from another human file.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator.errors import InputError, UsageError

__all__ = ["MANIFEST_VERSION", "Manifest", "read_manifest", "manifest_rows_for"]

MANIFEST_VERSION = 1


@dataclass(frozen=True)
class Manifest:
    """A manifest as read: where it came from, the human file's digest and the training rows."""

    source: str
    human_file: str
    human_sha256: str
    rows: tuple[int, ...]
    document: dict[str, Any]


def read_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read and validate a manifest written by ``simval finetune prepare``."""
    source = os.fspath(path)
    try:
        document = json.loads(Path(source).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("manifest not found", source=source) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"is not a readable JSON manifest ({exc})", source=source) from None
    if not isinstance(document, dict) or document.get("simval_manifest") != MANIFEST_VERSION:
        raise InputError("is not a simval manifest (no 'simval_manifest: 1'); give the file 'simval finetune prepare' wrote", source=source)
    rows = document.get("rows")
    if not isinstance(rows, list) or not all(isinstance(r, int) and not isinstance(r, bool) and r >= 1 for r in rows):
        raise InputError("'rows' must be a list of data row numbers (whole numbers from 1)", source=source)
    return Manifest(
        source=source,
        human_file=str(document.get("human_file", "")),
        human_sha256=str(document.get("human_sha256", "")),
        rows=tuple(rows),
        document=document,
    )


def manifest_rows_for(path: str | os.PathLike[str], human: str | os.PathLike[str]) -> tuple[int, ...]:
    """The rows to exclude from ``human``; a usage error when the manifest was made from another file.

    The human file is compared by the SHA-256 of its bytes; standard input
    (``-``) cannot be compared and is trusted.
    """
    manifest = read_manifest(path)
    if os.fspath(human) != "-" and manifest.human_sha256:
        try:
            digest = hashlib.sha256(Path(human).read_bytes()).hexdigest()
        except OSError:
            return manifest.rows  # the check itself reports the unreadable file
        if digest != manifest.human_sha256:
            raise UsageError(
                f"the manifest {manifest.source} lists rows of '{manifest.human_file}', a different file from "
                f"'{os.fspath(human)}' (their contents differ); excluding its rows here would drop the wrong ones"
            )
    return manifest.rows
