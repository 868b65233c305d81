"""The family-wise decision: a perfect simulator passes with probability `level`, whatever the flags' dependence."""

from __future__ import annotations

import numpy as np
import pytest

from validator.checks.joint_floor import Flag, joint_floor, verdict_from_joint


def null_flags(rng: np.random.Generator, n_flags: int, draws: int, rho: float) -> list[Flag]:
    """Flags whose observed values come from the same (correlated) distribution as their draws."""
    common = rng.standard_normal(draws + 1)
    values = rho * common[:, None] + np.sqrt(1 - rho**2) * rng.standard_normal((draws + 1, n_flags))
    return [Flag(f"f{j}", float(values[0, j]), values[1:, j]) for j in range(n_flags)]


@pytest.mark.parametrize("rho", [0.0, 0.8])
def test_under_the_null_the_joint_decision_passes_about_95_percent_of_the_time(rho: float):
    rng = np.random.default_rng(3)
    passed = [joint_floor(null_flags(rng, 20, 200, rho), 0.95).passed for _ in range(400)]  # type: ignore[union-attr]
    # 400 replications: SE about 1.1 points.
    assert 0.91 <= np.mean(passed) <= 0.985


def test_one_flag_is_a_permutation_test():
    draws = np.arange(100, dtype=float)
    joint = joint_floor([Flag("x", 97.5, draws)], 0.95)
    assert joint is not None
    # 2 of the 100 draws (98, 99) are at least as extreme: p = (1 + 2) / 101.
    assert joint.p_value == pytest.approx(3 / 101)
    assert joint.passed is False
    assert joint_floor([Flag("x", 90.0, draws)], 0.95).passed is True  # type: ignore[union-attr]


def test_a_flag_far_beyond_every_draw_gets_the_smallest_p_value_even_among_many_flags():
    rng = np.random.default_rng(6)
    flags = null_flags(rng, 69, 1000, 0.0) + [Flag("far", 50.0, rng.standard_normal(1000))]
    joint = joint_floor(flags, 0.95)
    assert joint is not None and joint.p_value == pytest.approx(1 / 1001)


def test_a_far_off_flag_fails_and_the_reason_names_it_and_its_threshold():
    rng = np.random.default_rng(4)
    flags = null_flags(rng, 5, 500, 0.0) + [Flag("mean JS (overall)", 9.0, rng.standard_normal(500))]
    joint = joint_floor(flags, 0.95)
    assert joint is not None and not joint.passed and joint.worst == "mean JS (overall)"
    verdict = verdict_from_joint(joint, "6 distances")
    assert verdict.verdict == "fail"
    assert verdict.reason.startswith("mean JS (overall) 9 vs <= ")
    assert "for a fresh human sample (joint 95% point over 6 distances)" in verdict.reason


def test_two_sided_flags_fail_on_either_side():
    draws = np.random.default_rng(5).standard_normal(1000)
    for value in (-5.0, 5.0):
        joint = joint_floor([Flag("gap", value, draws, "both")], 0.95)
        assert joint is not None and not joint.passed
    joint = joint_floor([Flag("gap", 0.1, draws, "both")], 0.95)
    assert joint is not None and joint.passed
    assert verdict_from_joint(joint, "gap").reason.startswith("within a fresh human sample's noise; closest: gap 0.1 vs ")


def test_no_usable_flag_gives_no_decision():
    assert joint_floor([Flag("x", float("nan"), np.zeros(100))], 0.95) is None
    assert joint_floor([], 0.95) is None
