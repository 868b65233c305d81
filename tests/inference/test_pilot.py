"""The pilot check on the demo data."""

from __future__ import annotations

import pytest

from validator.checks.context import CheckContext
from validator.errors import UsageError
from validator.inference.pilot import choose_pilot, run_pilot
from validator.inference.section import default_section
from validator.spec.model import StudySpec


def test_a_quarter_of_the_pairs_is_the_pilot(spec: StudySpec, demo_datasets) -> None:  # type: ignore[no-untyped-def]
    human, sim = demo_datasets
    section = default_section(spec, "participant_id")
    pilot = run_pilot(human, sim, section, spec, CheckContext(replicates=0), fraction=0.25)
    assert (pilot.n_pilot, pilot.n_full, pilot.exchangeable) == (100, 400, True)
    assert pilot.inference.pairing.held_out == 300
    rectified = [m for m in pilot.inference.models if m.status == "ok"]
    assert len(pilot.coefficients) == sum(len(m.coefficients) for m in rectified) > 0
    # A model the 100 pilot humans cannot estimate is reported with its reason, not dropped.
    assert all(m.reason for m in pilot.inference.models if m.status != "ok")
    assert 0.0 <= pilot.ppi_coverage <= 1.0


def test_pilot_cells_draw_from_the_first_cells_only(spec: StudySpec, demo_datasets) -> None:  # type: ignore[no-untyped-def]
    human, sim = demo_datasets
    section = default_section(spec, "participant_id")
    keys = choose_pilot(human, sim, section, spec, fraction=0.25, cells=1, rng=CheckContext().rng("p"))
    cells = set((human.frame["valuation"].astype(str) + human.frame["disclosure"].astype(str))[
        human.frame["participant_id"].astype(str).isin(keys)
    ])
    assert cells == {"V1A1"}


@pytest.mark.parametrize(("fraction", "cells", "message"), [(1.5, None, "--pilot must lie strictly between 0 and 1"), (0.25, 9, "--pilot-cells must lie between 1 and 8")])
def test_bad_pilot_arguments(spec: StudySpec, demo_datasets, fraction: float, cells: int | None, message: str) -> None:  # type: ignore[no-untyped-def]
    human, sim = demo_datasets
    with pytest.raises(UsageError, match=message):
        choose_pilot(human, sim, default_section(spec, "participant_id"), spec, fraction=fraction, cells=cells, rng=CheckContext().rng("p"))
