"""``simval check --report DIR --format html,pdf``: the options and the step that writes the reports.

Kept apart from :mod:`validator.cli.main` so that adding the options costs that
module one line and imports nothing heavy.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from validator.errors import UsageError

if TYPE_CHECKING:
    from validator.outputs import OutputGuard


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--report DIR`` and ``--format FORMATS`` to the ``check`` subparser."""
    parser.add_argument(
        "--report",
        metavar="DIR",
        help="write a validation report per simulated dataset to DIR/<run>/ (report.qmd, figures, results.json, "
        "HTML and PDF), and DIR/comparison/ with several datasets",
    )
    parser.add_argument(
        "--format",
        dest="report_format",
        metavar="FORMATS",
        default=None,
        help="report outputs, comma-separated: html, pdf (default: html,pdf)",
    )


def _preload() -> None:
    # matplotlib's import (a few tenths of a second) overlaps the check instead of following it.
    try:
        import matplotlib.figure  # noqa: F401
    except Exception:  # noqa: BLE001 - the report step imports it again and reports any error there
        pass


def check_report_args(args: argparse.Namespace) -> tuple[str, ...]:
    """The requested report formats (empty without ``--report``); a bad ``--format`` fails before the check runs."""
    report = getattr(args, "report", None)
    formats = getattr(args, "report_format", None)
    if not report:
        if formats:
            raise UsageError("--format chooses the outputs of --report DIR; give --report too")
        return ()
    from validator.report.build import parse_formats

    parsed = parse_formats(formats or "html,pdf")
    threading.Thread(target=_preload, name="simval-preload-matplotlib", daemon=True).start()
    return parsed


def rendered_with(description: str, formats: tuple[str, ...]) -> str:
    """The renderer line for the formats actually rendered.

    The built-in route's description names Pandoc and Typst; Typst makes only the PDF, so an
    HTML-only render (``--format html``) was Pandoc's alone and must not claim Typst.
    """
    if "pdf" not in formats and description.startswith("built-in:"):
        return description.split(" and Typst", 1)[0]
    return description


def write_reports(args: argparse.Namespace, result: object, formats: tuple[str, ...], guard: OutputGuard | None = None) -> None:
    """Build and render the reports; say where they are (on standard error when stdout carries the JSON)."""
    from validator.report.build import COMPARISON, build_reports, run_names

    if guard is not None:
        # Each run folder is replaced whole: no input may live inside one.
        names = [*run_names(result.simulations), COMPARISON]  # type: ignore[attr-defined]
        guard.check_inside([Path(args.report) / name for name in names], "--report")
    reports = build_reports(result, args.report, formats=formats)  # type: ignore[arg-type]
    stream = sys.stderr if getattr(args, "json", None) == "-" else sys.stdout
    for line in reports.notes:
        stream.write(f"{line}\n")
    written = [*reports.runs, *([reports.comparison] if reports.comparison else [])]
    for output in written:
        files = [str(p) for p in (output.html, output.pdf) if p is not None]
        stream.write(f"report {output.name}: {', '.join(files) or output.qmd}\n")
    stream.write(f"  (rendered with {rendered_with(reports.renderer, formats)})\n")
    stream.flush()
