"""Agreement kernels against statsmodels and scipy; agreement rows on the demo pairs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import pearsonr
from statsmodels.stats.inter_rater import cohens_kappa

from validator.checks.context import CheckContext
from validator.inference.agreement import (
    compute_agreement,
    weighted_correlation,
    weighted_kappa,
    weighted_mae,
)
from validator.inference.pairing import pair_datasets


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kappa_kernel_matches_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    human = rng.integers(0, 3, 200)
    sim = np.where(rng.random(200) < 0.5, human, rng.integers(0, 3, 200))
    table = np.zeros((3, 3))
    np.add.at(table, (human, sim), 1)
    kernel = weighted_kappa(np.ones((1, 200)), human, sim, 3)[0]
    assert kernel == pytest.approx(cohens_kappa(table, return_results=False), abs=1e-12)


def test_correlation_and_mae_kernels_match_scipy_and_numpy() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=150)
    y = 0.5 * x + rng.normal(size=150)
    ones = np.ones((1, 150))
    assert weighted_correlation(ones, x, y)[0] == pytest.approx(pearsonr(x, y).statistic, abs=1e-12)
    assert weighted_mae(ones, x, y)[0] == pytest.approx(np.mean(np.abs(x - y)), abs=1e-12)


def test_rows_overall_and_by_subgroup_with_intervals(demo_datasets) -> None:  # type: ignore[no-untyped-def]
    human, sim = demo_datasets
    pairing = pair_datasets(human, sim, "participant_id")
    rows = compute_agreement(human, sim, pairing, ["decision", "belief_t1"], ["valuation"], context=CheckContext(replicates=100))
    kinds = {(r.variable, r.statistic, r.group) for r in rows}
    assert ("decision", "kappa", None) in kinds and ("belief_t1", "mae", "V2") in kinds
    overall = next(r for r in rows if r.variable == "decision" and r.statistic == "agreement" and r.group is None)
    assert overall.n_pairs == 400
    assert overall.low is not None and overall.high is not None and overall.low <= overall.value <= overall.high
