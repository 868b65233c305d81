"""Records of gates: what a spec or gates file declares, and how each gate came out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

Comparison = Literal[">=", "<=", "==", "between"]
Bound = Literal["estimate", "upper", "lower"]
Severity = Literal["error", "warning"]

COMPARISONS: tuple[str, ...] = get_args(Comparison)
BOUNDS: tuple[str, ...] = get_args(Bound)
SEVERITIES: tuple[str, ...] = get_args(Severity)


@dataclass(frozen=True)
class Gate:
    """A declared threshold on one metric path of the results."""

    name: str
    path: str
    comparison: Comparison
    threshold: float | tuple[float, float]
    on: Bound = "estimate"
    severity: Severity = "error"
    tolerance: float = 1e-9
    description: str = ""


@dataclass(frozen=True)
class GateResult:
    """How one gate came out on one simulated dataset.

    ``observed`` is the value compared (the estimate or the interval bound named
    by ``on``); ``estimate`` and ``low``/``high`` are the metric's point estimate
    and interval when it has one. ``beyond_noise`` says, for a failed gate,
    whether the whole interval lies on the failing side of the threshold (True),
    or the interval still reaches the passing side (False); None without an
    interval.
    """

    gate: Gate
    observed: float | None
    estimate: float | None
    low: float | None
    high: float | None
    passed: bool
    beyond_noise: bool | None
    message: str

    @property
    def severity(self) -> str:
        return self.gate.severity

    def to_dict(self) -> dict[str, Any]:
        g = self.gate
        return {
            "name": g.name,
            "path": g.path,
            "comparison": g.comparison,
            "threshold": list(g.threshold) if isinstance(g.threshold, tuple) else g.threshold,
            "on": g.on,
            "severity": g.severity,
            "observed": self.observed,
            "estimate": self.estimate,
            "interval": None if self.low is None and self.high is None else {"low": self.low, "high": self.high},
            "passed": self.passed,
            "beyond_noise": self.beyond_noise,
            "message": self.message,
        }


def threshold_text(gate: Gate) -> str:
    """The gate's rule as words: ``>= 0.7``, ``between -0.1 and 0.1``.

    >>> threshold_text(Gate("g", "recovery.f1_sign", "between", (-0.1, 0.1)))
    'between -0.1 and 0.1'
    """
    if isinstance(gate.threshold, tuple):
        return f"between {gate.threshold[0]:g} and {gate.threshold[1]:g}"
    return f"{gate.comparison} {gate.threshold:g}"
