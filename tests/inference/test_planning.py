"""simval plan's search against a brute-force grid and the closed forms."""

from __future__ import annotations

import math

import pytest

from validator.errors import UsageError
from validator.inference.planning import (
    plan,
    power_at,
    ppi_variance,
    target_se_for_power,
)


@pytest.mark.parametrize(
    ("rho", "cost_human", "cost_sim", "target_se"),
    [(0.5, 4.0, 0.02, 0.08), (0.8, 10.0, 0.5, 0.1), (0.3, 1.0, 0.5, 0.1), (0.9, 2.0, 0.01, 0.15)],
)
def test_cheapest_design_matches_a_brute_force_grid(rho: float, cost_human: float, cost_sim: float, target_se: float) -> None:
    result = plan(rho=rho, cost_human=cost_human, cost_sim=cost_sim, target_se=target_se)
    n0 = math.ceil(1 / target_se**2)
    best = n0 * cost_human
    for n in range(1, n0 + 1):
        for big_n in range(4000):
            if ppi_variance(n, big_n, rho) <= target_se**2 * (1 + 1e-12):
                best = min(best, n * (cost_human + (cost_sim if big_n else 0)) + big_n * cost_sim)
                break
    assert result.mixed.cost == pytest.approx(best)
    assert result.mixed.se <= target_se * (1 + 1e-9)
    assert result.human_only.n_human == n0


def test_uninformative_simulation_plans_humans_only() -> None:
    result = plan(rho=0.0, cost_human=3.0, cost_sim=0.01, target_se=0.1)
    assert (result.mixed.n_human, result.mixed.n_sim, result.saving) == (100, 0, 0.0)


def test_power_target_reaches_the_power() -> None:
    se = target_se_for_power(0.8, 0.2, 0.05)
    result = plan(rho=0.6, cost_human=4.0, cost_sim=0.02, target_se=se, effect=0.2)
    assert result.mixed.power is not None and result.mixed.power >= 0.8 - 1e-3
    assert power_at(se, 0.2, 0.05) == pytest.approx(0.8, abs=2e-3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"rho": 1.5}, "--rho must lie between -1 and 1"), ({"cost_human": 0.0}, "--cost-human must be positive")],
)
def test_bad_arguments(kwargs: dict[str, float], message: str) -> None:
    arguments = {"rho": 0.5, "cost_human": 1.0, "cost_sim": 0.1, "target_se": 0.1, **kwargs}
    with pytest.raises(UsageError, match=message):
        plan(**arguments)
