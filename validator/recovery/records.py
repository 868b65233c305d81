"""Result records of the sign-aware coefficient recovery check.

The records are computed by :mod:`validator.recovery.classify` (the per
coefficient outcome and the totals) and :mod:`validator.recovery.compare`
(matching two sets of model fits). They only hold numbers; the report and the
terminal output read them and compute nothing.

Missing numbers are ``None``, never NaN, so that ``to_dict`` is valid JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Literal

import pandas as pd

from validator.verdict.records import ConstructVerdict

Outcome = Literal["TP", "FP", "FN", "sign_flip", "TN"]

# Key order of RecoverySummary.to_dict(); the JSON schema and the report rely on it.
SUMMARY_KEYS: tuple[str, ...] = (
    "n_coefficients",
    "n_reference_significant",
    "n_sim_significant",
    "tp",
    "fp",
    "fn",
    "tn",
    "sign_flips",
    "fpr",
    "fnr",
    "f1_sign",
    "f1_strict",
)


def _plain(value: Any) -> Any:
    """Turn numpy scalars into Python ones and NaN into None (JSON-safe)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class CoefficientComparison:
    """One coefficient compared between the human (reference) and the simulated fit.

    ``*_p_value`` is the p-value the model reports; ``*_p_adjusted`` is the one
    compared with alpha (after the spec's multiple-comparison correction; equal
    to the p-value without one). ``*_sign`` is +1, -1 or 0 (estimate exactly
    zero). ``std_diff`` and ``ci_overlap`` are defined in
    :func:`validator.recovery.compare.std_diff` and
    :func:`validator.recovery.compare.ci_overlap`; ``sim_in_human_ci`` says
    whether the simulated estimate lies in the human (1 - alpha) interval.
    """

    model: str
    term: str
    human_estimate: float
    human_std_error: float | None
    human_p_value: float | None
    human_significant: bool
    human_sign: int
    sim_estimate: float
    sim_std_error: float | None
    sim_p_value: float | None
    sim_significant: bool
    sim_sign: int
    outcome: Outcome
    std_diff: float | None
    ci_overlap: float | None
    sim_in_human_ci: bool
    # Additive to the agreed field list: the p-values that decided significance.
    human_p_adjusted: float | None = None
    sim_p_adjusted: float | None = None
    #: What a person reads for ``term``: the spec's label for it, else its readable name (``race[black]``).
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON-ready dict (field order, NaN as None)."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class ModelComparison:
    """Whether one model could be compared, and how many of its coefficients were.

    ``human_reason``/``sim_reason`` is the fit's not-estimable reason, or
    ``"missing"`` when the model id is absent from that side's fits.
    ``excluded_terms`` lists the terms of a model estimable on both sides that
    were left out of the comparison (present in one fit only, or with a
    non-finite estimate or p-value), each as ``"term (reason)"``.
    """

    model: str
    label: str
    human_estimable: bool
    sim_estimable: bool
    human_reason: str | None
    sim_reason: str | None
    n_compared: int
    excluded_terms: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON-ready dict; ``excluded_terms`` becomes a list."""
        out = {f.name: _plain(getattr(self, f.name)) for f in fields(self)}
        out["excluded_terms"] = list(self.excluded_terms)
        return out


@dataclass(frozen=True)
class RecoverySummary:
    """Totals over all compared coefficients (the paper's convention).

    ``fpr = fp / (fp + tn)``, ``fnr = fn / (tp + fn + sign_flips)``,
    ``f1_sign = 2tp / (2tp + fp + fn)``,
    ``f1_strict = 2tp / (2tp + fp + fn + 2 sign_flips)``; a ratio whose
    denominator is zero is ``None``.
    """

    n_coefficients: int
    n_reference_significant: int
    n_sim_significant: int
    tp: int
    fp: int
    fn: int
    tn: int
    sign_flips: int
    fpr: float | None
    fnr: float | None
    f1_sign: float | None
    f1_strict: float | None

    def to_dict(self) -> dict[str, Any]:
        """The totals as a dict with exactly :data:`SUMMARY_KEYS`, in that order."""
        return {key: _plain(getattr(self, key)) for key in SUMMARY_KEYS}


@dataclass(frozen=True)
class RecoveryResult:
    """The whole coefficient-recovery comparison at one alpha."""

    alpha: float
    summary: RecoverySummary
    coefficients: tuple[CoefficientComparison, ...]
    models: tuple[ModelComparison, ...]
    #: Plain sentences about what makes the comparison weaker than it looks (few clusters).
    warnings: tuple[str, ...] = ()
    #: The verdict of the default rule (the human data's own noise), None when not computed.
    default_verdict: ConstructVerdict | None = None
    #: The limits the default verdict used, per metric: what a fresh human sample reaches.
    verdict_limits: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The content of the results' ``recovery`` block.

        The summary keys sit at the top level of the returned dict, followed by
        ``alpha``, ``models`` (one dict per model) and ``coefficients`` (one
        dict per compared coefficient). Floats are Python floats, missing
        values ``None``.
        """
        out = self.summary.to_dict()
        out["alpha"] = float(self.alpha)
        out["models"] = [m.to_dict() for m in self.models]
        out["coefficients"] = [c.to_dict() for c in self.coefficients]
        if self.default_verdict is not None or self.warnings:
            # Set by the recovery check (validator.recovery.check), not by compare_fits alone.
            out["warnings"] = list(self.warnings)
            out["default_verdict"] = self.default_verdict.to_dict() if self.default_verdict else None
            out["verdict_limits"] = self.verdict_limits
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per compared coefficient, columns in the record's field order."""
        columns = [f.name for f in fields(CoefficientComparison)]
        frame: pd.DataFrame = pd.DataFrame([c.to_dict() for c in self.coefficients], columns=columns)
        return frame
