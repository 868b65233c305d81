"""The calibration draws computed at once give what the draws checked one by one give."""

from __future__ import annotations

import math

import numpy as np
import pytest

from validator.api import read_dataset
from validator.checks.context import CheckContext
from validator.demo.generate import generate_human
from validator.gates import thresholds
from validator.gates.batched_draws import recovery_pairs
from validator.spec.load import load_spec

SPEC = load_spec("hunt2025")


@pytest.fixture(scope="module")
def human():  # type: ignore[no-untyped-def]
    return read_dataset(generate_human(400, seed=8), SPEC)


def _one_by_one(human, rows, chosen):  # type: ignore[no-untyped-def]
    ctx = CheckContext(seed=0, replicates=0, level=0.95, equal_n_draws=20)
    return [thresholds._draw(SPEC, human, r, ctx, chosen, 0.7) for r in rows]


def test_split_distances_and_recovery_of_every_draw_equal_the_checks_one_by_one(human) -> None:  # type: ignore[no-untyped-def]
    n = len(human.frame)
    chosen = thresholds.candidates(SPEC)
    rows = [thresholds._rows(np.random.default_rng(s), n, n - 40, split=True, bootstrap=True) for s in range(12)]
    ctx = CheckContext(seed=0, replicates=0, level=0.95, equal_n_draws=20)
    batched, exact = thresholds._batched_values(SPEC, human, rows, ctx, chosen, 0.7)
    assert exact.all()  # every model fits every sample of these draws
    paths = [c.path for c in chosen if c.path.startswith(("distribution.", "recovery."))]
    assert set(batched) == set(paths) and any(p.startswith("distribution.mean_js.by.") for p in paths)
    for i, expected in enumerate(_one_by_one(human, rows, chosen)):
        for path in paths:
            got, want = float(batched[path][i]), expected[path]
            assert (math.isnan(got) and math.isnan(want)) or got == want, (i, path, got, want)


def test_a_draw_where_a_model_fails_on_a_sample_is_left_to_the_check_one_by_one(human) -> None:  # type: ignore[no-untyped-def]
    n = len(human.frame)
    ctx = CheckContext(seed=0, replicates=0, level=0.95, equal_n_draws=20)
    good = np.random.default_rng(1).integers(0, n, (2, n))
    # A sample of one row repeated: no model can be fitted on it.
    bad = np.vstack([good[:1], np.zeros((1, n), dtype=np.int64)])
    pairs = recovery_pairs(SPEC, human, good, bad, ctx)
    assert pairs.exact.tolist() == [True, False]
    assert all(math.isnan(values[1]) and math.isfinite(values[0]) for values in pairs.statistics.values())
