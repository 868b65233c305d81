"""Table 2's notes: equal n per model, the check's warnings, and the replicates left out and why."""

from __future__ import annotations

from dataclasses import replace

import pytest

from validator.bootstrap.weights import Interval
from validator.checks.entry import PresentOptions
from validator.recovery.check import RecoveryCheck
from validator.recovery.compare import compare_fits
from validator.recovery.present import replicate_notes, table2, warning_notes
from validator.recovery.uncertainty import EqualNModel, EqualNRecovery, ModelReplicateFailures, RecoveryUncertainty

WARNING = "model c1: 5 clusters of 'ethnicity' on the human data (fewer than 20): its bootstrap resamples too few units to be reliable"
FAILED = ModelReplicateFailures("m1", {}, {"no_variation": 8, "perfect_separation": 2})


def _check(consistent: int, equal_n: EqualNRecovery | None = None) -> RecoveryCheck:
    uncertainty = RecoveryUncertainty(60, 0.95, (), equal_n, consistent, (FAILED,))
    return RecoveryCheck((), replace(compare_fits((), ()), warnings=(WARNING,)), uncertainty)


def test_every_warning_is_a_note() -> None:
    assert warning_notes(_check(60)) == [f"Warning: {WARNING}."]


@pytest.mark.parametrize(
    ("consistent", "notes"),
    [
        (60, []),
        (
            50,
            [
                "Intervals over the 50 of 60 replicates in which every compared model was fitted on both sides; "
                "not fitted: m1 on the simulation (8 no_variation, 2 perfect_separation)."
            ],
        ),
    ],
)
def test_replicates_not_fitted_are_named_only_when_some_were_left_out(consistent: int, notes: list[str]) -> None:
    assert replicate_notes(_check(consistent).uncertainty) == notes


def test_table2_notes_name_the_side_subsampled_the_warnings_and_the_failures() -> None:
    equal = EqualNRecovery(817, 20, 0.95, (("f1_sign", 0.5, Interval(0.4, 0.6, 0.95, 20, 20)),), (EqualNModel("m3", 817, 929, "simulation"),))
    notes = table2(_check(50, equal), PresentOptions()).notes
    assert notes[0].startswith("At equal n per model (m3: simulation subsampled to 817 rows; 20 draws; mean and 95% range): F1(Sign) 0.500")
    assert notes[1] == f"Warning: {WARNING}."
    assert notes[2].startswith("Intervals over the 50 of 60 replicates")
