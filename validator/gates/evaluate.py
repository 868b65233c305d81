"""Evaluate gates on the results of one simulated dataset.

A gate's path is looked up among the typed metric values that the simulated
dataset's check records yield (:class:`validator.checks.record.MetricValue`; the
paths are those of the JSON layout of docs/results-json.md). The value compared is the estimate, or the lower or
upper bound of its interval (``on``). A failed gate says by how much it missed,
and whether the miss is beyond sampling noise: whether the metric's whole
interval lies on the failing side of the threshold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from validator.checks.record import MetricValue
from validator.gates.records import Gate, GateResult, threshold_text


def lookup(values: Mapping[str, MetricValue], path: str) -> MetricValue | None:
    """The metric at ``path`` among one simulated dataset's metric values, or None."""
    return values.get(path)


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


def evaluate_gate(gate: Gate, values: Mapping[str, MetricValue]) -> GateResult:
    """The outcome of one gate on one simulated dataset's metric values."""
    value = lookup(values, gate.path)
    estimate, low, high = (value.estimate, value.low, value.high) if value is not None else (None, None, None)
    observed = {"estimate": estimate, "lower": low, "upper": high}[gate.on]
    if value is None:
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
        return GateResult(gate, observed, estimate, low, high, True, None, f"{shown}{interval} is {threshold_text(gate)}")
    beyond = _beyond_noise(gate, low, high)
    if beyond is None:
        noise = "no interval to judge sampling noise"
    elif beyond:
        noise = "beyond sampling noise: the whole interval fails"
    else:
        noise = "within sampling noise: the interval reaches the passing side"
    message = f"{shown}{interval} is not {threshold_text(gate)} (misses by {_miss(gate, observed):.4g}; {noise})"
    return GateResult(gate, observed, estimate, low, high, False, beyond, message)


def evaluate_gates(gates: Sequence[Gate], values: Mapping[str, MetricValue]) -> tuple[GateResult, ...]:
    """Every gate on one simulated dataset, in declaration order."""
    return tuple(evaluate_gate(gate, values) for gate in gates)
