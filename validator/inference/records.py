"""Frozen result records of the inference check; ``to_dict()`` gives the JSON block ``inference``."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from validator.checks.record import MetricValue
from validator.inference.pairing import PairCounts

__all__ = ["AgreementRow", "CoefficientInference", "InferenceResult", "ModelInference", "ModelStatus"]

ModelStatus = Literal["ok", "unsupported", "not_estimable"]


def _num(value: float | None) -> float | None:
    """A JSON-safe number: NaN and infinities become null."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


@dataclass(frozen=True)
class CoefficientInference:
    """One coefficient: the classical (human-only) and the PPI++ estimate and interval.

    ``effective_n = n_human * classical_se**2 / ppi_se**2``; ``ppi_correlation`` is the
    correlation, over the pairs, of the human and the simulated influence values of this
    coefficient (the PPI correlation of Broska et al. 2025 for a regression coefficient).
    """

    term: str
    classical_estimate: float
    classical_se: float
    classical_low: float
    classical_high: float
    ppi_estimate: float
    ppi_se: float
    ppi_low: float
    ppi_high: float
    ppi_p_value: float
    lam: float
    effective_n: float
    ppi_correlation: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "classical_estimate": _num(self.classical_estimate),
            "classical_se": _num(self.classical_se),
            "classical_low": _num(self.classical_low),
            "classical_high": _num(self.classical_high),
            "ppi_estimate": _num(self.ppi_estimate),
            "ppi_se": _num(self.ppi_se),
            "ppi_low": _num(self.ppi_low),
            "ppi_high": _num(self.ppi_high),
            "ppi_p_value": _num(self.ppi_p_value),
            "lambda": _num(self.lam),
            "effective_n": _num(self.effective_n),
            "ppi_correlation": _num(self.ppi_correlation),
        }


@dataclass(frozen=True)
class ModelInference:
    """One model's rectification, or why it was not rectified (``status`` and ``reason``).

    ``effective_n`` is the model's effective sample size,
    ``n_human * (det Sigma_classical / det Sigma_ppi) ** (1 / d)``, and
    ``additional_n = effective_n - n_human`` the "worth K additional human respondents";
    ``*_low``/``*_high`` bound their bootstrap percentile interval (None without bootstrap).
    """

    model: str
    label: str
    family: str
    status: ModelStatus
    reason: str | None = None
    detail: str | None = None
    n_human: int = 0
    n_unlabeled: int = 0
    lam: float | None = None
    pooled_hessian: bool = False
    converged: bool = True
    effective_n: float | None = None
    effective_n_low: float | None = None
    effective_n_high: float | None = None
    additional_n_low: float | None = None
    additional_n_high: float | None = None
    coefficients: tuple[CoefficientInference, ...] = ()

    @property
    def additional_n(self) -> float | None:
        return None if self.effective_n is None else self.effective_n - self.n_human

    def summary_line(self) -> str:
        """The terminal's one line: what the simulation is worth for this model."""
        if self.status != "ok" or self.additional_n is None:
            return f"{self.model}: not rectified ({self.reason}: {self.detail})"
        k = self.additional_n + 0.0  # no "-0" in the output
        k = 0.0 if abs(k) < 0.5 else k
        interval = ""
        if self.additional_n_low is not None and self.additional_n_high is not None:
            low, high = (0.0 if abs(v) < 0.5 else v for v in (self.additional_n_low, self.additional_n_high))
            interval = f" (bootstrap {low:,.0f} to {high:,.0f})"
        if self.n_unlabeled == 0:
            return f"{self.model}: no unlabeled simulations, so the simulation adds no human respondents"
        lam = "a lambda per coefficient" if self.lam is None else f"lambda {self.lam:.2f}"
        return (
            f"{self.model}: this simulation is worth about {k:,.0f} additional human respondents{interval}; "
            f"n_eff {self.effective_n:,.0f} from {self.n_human:,} humans, {lam}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "label": self.label,
            "family": self.family,
            "status": self.status,
            "reason": self.reason,
            "detail": self.detail,
            "n_human": self.n_human,
            "n_unlabeled": self.n_unlabeled,
            "lambda": _num(self.lam),
            "pooled_hessian": self.pooled_hessian,
            "converged": self.converged,
            "effective_n": _num(self.effective_n),
            "effective_n_low": _num(self.effective_n_low),
            "effective_n_high": _num(self.effective_n_high),
            "additional_n": _num(self.additional_n),
            "additional_n_low": _num(self.additional_n_low),
            "additional_n_high": _num(self.additional_n_high),
            "coefficients": [c.to_dict() for c in self.coefficients],
        }


@dataclass(frozen=True)
class AgreementRow:
    """Individual-level agreement of one variable within pairs, overall or in one subgroup.

    ``statistic`` is ``agreement`` (share of pairs with the same answer), ``kappa``
    (Cohen's kappa), ``correlation`` (Pearson) or ``mae`` (mean absolute error).
    """

    variable: str
    statistic: str
    group_by: str | None
    group: str | None
    n_pairs: int
    value: float
    low: float | None
    high: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "variable": self.variable,
            "statistic": self.statistic,
            "group_by": self.group_by,
            "group": self.group,
            "n_pairs": self.n_pairs,
            "value": _num(self.value),
            "low": _num(self.low),
            "high": _num(self.high),
        }


@dataclass(frozen=True)
class InferenceResult:
    """Everything the inference check found for one simulated dataset."""

    key: str
    level: float
    power_tuning: bool
    weight: str | None
    replicates: int
    pairing: PairCounts
    models: tuple[ModelInference, ...]
    agreement: tuple[AgreementRow, ...] = ()
    tuning: str = "coefficient"

    def model(self, model_id: str) -> ModelInference:
        for model in self.models:
            if model.model == model_id:
                return model
        raise KeyError(model_id)

    def gate_values(self) -> dict[str, tuple[float | None, float | None, float | None]]:
        """``inference.<model>.<metric>`` -> (value, interval low, interval high) for every rectified model."""
        out: dict[str, tuple[float | None, float | None, float | None]] = {}
        for m in self.models:
            if m.status != "ok" or m.effective_n is None or m.n_human == 0:
                continue
            n = m.n_human
            out[f"inference.{m.model}.effective_n"] = (m.effective_n, m.effective_n_low, m.effective_n_high)
            out[f"inference.{m.model}.additional_n"] = (m.additional_n, m.additional_n_low, m.additional_n_high)
            out[f"inference.{m.model}.effective_ratio"] = (
                m.effective_n / n,
                None if m.effective_n_low is None else m.effective_n_low / n,
                None if m.effective_n_high is None else m.effective_n_high / n,
            )
        return out

    def summary_lines(self) -> list[str]:
        return [model.summary_line() for model in self.models]

    def metrics(self) -> Iterator[MetricValue]:
        """The gate values (relative to ``inference``) and each coefficient's rectified estimate."""
        for path, (value, low, high) in self.gate_values().items():
            yield MetricValue.of(path.removeprefix("inference."), value, low, high)
        for model in self.models:
            for c in model.coefficients:
                yield MetricValue.of(f"{model.model}.coefficients.{c.term}.ppi_estimate", c.ppi_estimate, c.ppi_low, c.ppi_high)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "level": self.level,
            "power_tuning": self.power_tuning,
            "tuning": self.tuning,
            "weight": self.weight,
            "bootstrap_replicates": self.replicates,
            "pairing": self.pairing.to_dict(),
            "models": [m.to_dict() for m in self.models],
            "agreement": [a.to_dict() for a in self.agreement],
        }
