"""How many human respondents a simulation is worth: prediction-powered inference with pairs.

A simulated row is paired with the human row whose persona it was built from
(:mod:`~validator.inference.pairing`); the PPI++ M-estimator
(:mod:`~validator.inference.estimator`) rectifies each model's coefficients with the
simulations of unlabeled personas; :mod:`~validator.inference.effective` turns the
variance ratio into an effective sample size; :mod:`~validator.inference.agreement`
measures individual-level agreement within pairs; :mod:`~validator.inference.pilot`
runs the pilot check and :mod:`~validator.inference.planning` the cost-optimal design.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from validator.lazy import lazy_attribute

if TYPE_CHECKING:
    from validator.inference.compute import compute_inference
    from validator.inference.records import (
        AgreementRow,
        CoefficientInference,
        InferenceResult,
        ModelInference,
    )
    from validator.inference.section import InferenceSection, parse_inference

__all__ = [
    "AgreementRow",
    "CoefficientInference",
    "InferenceResult",
    "InferenceSection",
    "ModelInference",
    "compute_inference",
    "parse_inference",
]

# Loaded on first use: every check imports validator.inference.entry (the registry lists
# every check), and this package's modules pull the PPI++ estimator and statsmodels' GLM
# (about 0.2 s). Only a spec with an inference section needs them.
_LAZY = {
    "AgreementRow": ".records",
    "CoefficientInference": ".records",
    "InferenceResult": ".records",
    "ModelInference": ".records",
    "compute_inference": ".compute",
    "InferenceSection": ".section",
    "parse_inference": ".section",
}


def __getattr__(name: str) -> Any:
    return lazy_attribute(__name__, _LAZY, name)
