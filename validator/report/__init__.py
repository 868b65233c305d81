"""Validation reports: a static Quarto document per simulated run, rendered to HTML and PDF.

``build_reports(result, "reports/")`` writes, per simulated dataset, the
``.qmd`` source, its figures and the JSON results, and renders them (Quarto
when installed, else Pandoc + Typst from Python packages). The report reads
the result records of :func:`validator.check`; it computes no statistic.
"""

from __future__ import annotations

from validator.report.build import COMPARISON, ReportOutput, ReportSet, build_reports, parse_formats, run_names
from validator.report.render import Renderer, RenderError, find_renderer

__all__ = [
    "COMPARISON",
    "RenderError",
    "Renderer",
    "ReportOutput",
    "ReportSet",
    "build_reports",
    "find_renderer",
    "parse_formats",
    "run_names",
]
