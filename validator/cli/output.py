"""Writing a command's text or JSON output to a path or standard output, never over an input."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable

from validator.outputs import OutputGuard, write_atomic


def write_text(path: str, text: str, *, what: str = "the output") -> None:
    """Write ``text`` to ``path`` atomically (``-`` is standard output); see :func:`validator.outputs.write_atomic`."""
    if path == "-":
        sys.stdout.write(text)
        return
    write_atomic(path, text, what=what, durable=False)


def spec_input(spec: object) -> str | None:
    """The spec argument as an input file path, or None for a bundled spec name."""
    if not isinstance(spec, (str, os.PathLike)):
        return None
    text = os.fspath(spec)
    return text if os.path.exists(text) else None


def guard_outputs(inputs: Iterable[str | None], outputs: Iterable[tuple[str | None, str]]) -> OutputGuard:
    """Refuse (UsageError) before any work when an output path, named by its option, is one of the inputs."""
    guard = OutputGuard(inputs)
    for path, option in outputs:
        guard.check(path, option)
    return guard


def check_inputs(args: argparse.Namespace) -> list[str | None]:
    """Every file ``simval check`` reads."""
    return [args.human, *args.sims, spec_input(args.spec), args.gates, getattr(args, "exclude_rows", None)]
