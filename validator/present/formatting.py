"""Number formatting shared by every presenter (terminal, markdown, report)."""

from __future__ import annotations

import math


def fmt_number(value: float | int | None, digits: int = 3) -> str:
    """A number for a table: fixed digits, '-' for missing."""
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{digits}f}"


def fmt_p(value: float | None) -> str:
    """A p-value: three decimals, '<0.001' below that."""
    if value is None or math.isnan(value):
        return "-"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def fmt_estimate(estimate: float | None, significant: bool | None) -> str:
    """An estimate with a significance mark (``*`` when significant)."""
    text = fmt_number(estimate, 3)
    return f"{text}*" if significant else text
