"""Evaluate gates on the results of one simulated dataset.

A gate's path is looked up in the simulated dataset's results (the JSON block of
docs/results-json.md). The value compared is the estimate, or the lower or
upper bound of its interval (``on``). A failed gate says by how much it missed,
and whether the miss is beyond sampling noise: whether the metric's whole
interval lies on the failing side of the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from validator.gates.records import Gate, GateResult


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def resolve(block: Mapping[str, Any], path: str) -> tuple[float | None, float | None, float | None, bool]:
    """(estimate, low, high, found) of ``path`` in one simulated dataset's results block."""
    node: Any = block
    parts = path.split(".")
    for part in parts:
        if not isinstance(node, Mapping) or part not in node:
            return None, None, None, False
        node = node[part]
    if isinstance(node, Mapping):
        if "estimate" in node:
            return _float(node.get("estimate")), _float(node.get("low")), _float(node.get("high")), True
        if "mean" in node:
            return _float(node.get("mean")), _float(node.get("low")), _float(node.get("high")), True
        return None, None, None, False
    low = high = None
    if parts[0] == "recovery" and len(parts) == 2:
        intervals = block.get("recovery", {}).get("intervals") or {}
        interval = intervals.get(parts[1]) or {}
        low, high = _float(interval.get("low")), _float(interval.get("high"))
    return _float(node), low, high, True


def _passes(gate: Gate, value: float) -> bool:
    t, tol = gate.threshold, gate.tolerance
    if gate.comparison == ">=":
        return value >= float(t) - tol  # type: ignore[arg-type]
    if gate.comparison == "<=":
        return value <= float(t) + tol  # type: ignore[arg-type]
    if gate.comparison == "==":
        return abs(value - float(t)) <= tol  # type: ignore[arg-type]
    low, high = t  # type: ignore[misc]
    return low - tol <= value <= high + tol


def _threshold_text(gate: Gate) -> str:
    if isinstance(gate.threshold, tuple):
        return f"between {gate.threshold[0]:g} and {gate.threshold[1]:g}"
    return f"{gate.comparison} {gate.threshold:g}"


def _miss(gate: Gate, value: float) -> float:
    if isinstance(gate.threshold, tuple):
        low, high = gate.threshold
        return low - value if value < low else value - high
    return abs(value - gate.threshold)


def _beyond_noise(gate: Gate, low: float | None, high: float | None) -> bool | None:
    """True when no value in the interval would pass the gate."""
    if low is None or high is None:
        return None
    if gate.comparison == ">=":
        return high < float(gate.threshold) - gate.tolerance  # type: ignore[arg-type]
    if gate.comparison == "<=":
        return low > float(gate.threshold) + gate.tolerance  # type: ignore[arg-type]
    if gate.comparison == "==":
        t = float(gate.threshold)  # type: ignore[arg-type]
        return high < t - gate.tolerance or low > t + gate.tolerance
    t_low, t_high = gate.threshold  # type: ignore[misc]
    return high < t_low - gate.tolerance or low > t_high + gate.tolerance


def evaluate_gate(gate: Gate, block: Mapping[str, Any]) -> GateResult:
    """The outcome of one gate on one simulated dataset's results block."""
    estimate, low, high, found = resolve(block, gate.path)
    observed = {"estimate": estimate, "lower": low, "upper": high}[gate.on]
    if not found:
        message = f"{gate.path} is not in the results (a subgroup absent from both datasets, or a check not run)"
        return GateResult(gate, None, None, None, None, False, None, message)
    if observed is None:
        if gate.on == "estimate":
            message = f"{gate.path} has no value on this data (e.g. a ratio with a zero denominator)"
        else:
            message = f"{gate.path} has no {gate.on} interval bound on this data (are bootstrap intervals off, --bootstrap 0?)"
        return GateResult(gate, None, estimate, low, high, False, None, message)
    passed = _passes(gate, observed)
    shown = f"{gate.path} = {observed:.4g}" + (f" ({gate.on} bound)" if gate.on != "estimate" else "")
    interval = f" [{low:.4g}, {high:.4g}]" if low is not None and high is not None else ""
    if passed:
        return GateResult(gate, observed, estimate, low, high, True, None, f"{shown}{interval} is {_threshold_text(gate)}")
    beyond = _beyond_noise(gate, low, high)
    if beyond is None:
        noise = "no interval to judge sampling noise"
    elif beyond:
        noise = "beyond sampling noise: the whole interval fails"
    else:
        noise = "within sampling noise: the interval reaches the passing side"
    message = f"{shown}{interval} is not {_threshold_text(gate)} (misses by {_miss(gate, observed):.4g}; {noise})"
    return GateResult(gate, observed, estimate, low, high, False, beyond, message)


def evaluate_gates(gates: Sequence[Gate], block: Mapping[str, Any]) -> tuple[GateResult, ...]:
    """Every gate on one simulated dataset, in declaration order."""
    return tuple(evaluate_gate(gate, block) for gate in gates)
