"""What a check is given: the study, both datasets, the run's settings and the shared human side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from validator.checks.context import CheckContext
from validator.io.ingest import Dataset
from validator.spec.model import StudySpec


@dataclass(frozen=True)
class HumanInputs:
    """The human side of a run, from which a check may prepare work shared by every simulation."""

    study: StudySpec
    data: Dataset
    context: CheckContext
    alpha: float


@dataclass(frozen=True)
class CheckInputs:
    """Everything one check of one simulated dataset reads.

    ``prepared`` is what the check's ``prepare`` step computed once from the human
    side (None for checks without one); ``label`` names the simulated dataset and
    keys its random streams.
    """

    study: StudySpec
    human: Dataset
    sim: Dataset
    context: CheckContext
    alpha: float
    label: str
    prepared: Any = None
