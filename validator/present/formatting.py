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


def fmt_level(level: float) -> str:
    """An interval's coverage as a percentage: ``95%``, ``90%``, ``99.5%``.

    >>> fmt_level(0.95), fmt_level(0.9), fmt_level(0.995)
    ('95%', '90%', '99.5%')
    """
    return f"{100 * level:.10g}%"


def fmt_interval(low: float | int | None, high: float | int | None, digits: int = 3, scale: float = 1.0) -> str:
    """``[low, high]``, or '' when either bound is missing.

    >>> fmt_interval(0.1, 0.25)
    '[0.100, 0.250]'
    """
    if low is None or high is None:
        return ""
    return f"[{fmt_number(low * scale, digits)}, {fmt_number(high * scale, digits)}]"


def fmt_value(value: float | int | None, low: float | int | None = None, high: float | int | None = None, digits: int = 3, scale: float = 1.0) -> str:
    """An estimate with its interval when it has one: ``0.370 [0.347, 0.397]``; '-' when missing.

    >>> fmt_value(0.37, 0.347, 0.397), fmt_value(None)
    ('0.370 [0.347, 0.397]', '-')
    """
    if value is None:
        return "-"
    text = fmt_number(value * scale if not isinstance(value, int) or scale != 1.0 else value, digits)
    bounds = fmt_interval(low, high, digits, scale)
    return f"{text} {bounds}" if bounds else text
