"""How many human respondents a simulation is worth: prediction-powered inference with pairs.

A simulated row is paired with the human row whose persona it was built from
(:mod:`~validator.inference.pairing`); the PPI++ M-estimator
(:mod:`~validator.inference.estimator`) rectifies each model's coefficients with the
simulations of unlabeled personas; :mod:`~validator.inference.effective` turns the
variance ratio into an effective sample size; :mod:`~validator.inference.agreement`
measures individual-level agreement within pairs; :mod:`~validator.inference.pilot`
runs the pilot check and :mod:`~validator.inference.planning` the cost-optimal design.
"""

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
