"""Gate evaluation: each comparison, each bound, and the sampling-noise verdict of a miss."""

from __future__ import annotations

import pytest

from validator.checks.record import MetricValue
from validator.gates.evaluate import evaluate_gate, lookup
from validator.gates.records import Gate

# The typed metric values one simulated dataset's records yield (MetricValue: estimate, low, high).
BLOCK = {
    value.path: value
    for value in (
        MetricValue("recovery.f1_sign", 0.75, 0.6, 0.9),
        MetricValue("recovery.sign_flips", 2.0, 1.0, 3.0),
        MetricValue("recovery.fpr", None),
        MetricValue("distribution.belief_t1.overall.js", 0.2, 0.15, 0.25),
        MetricValue("distribution.mean_js.by.ethnicity.max", 0.4),
        MetricValue("distribution.mean_js.by.ethnicity.mean", 0.3),
        MetricValue("coherence.value_action_gap.difference", 0.05, -0.01, 0.11),
        MetricValue("heterogeneity.s.sim_at_human_n", 20.0, 18.0, 22.0),
    )
}


def gate(path: str, comparison: str, threshold, on: str = "estimate", severity: str = "error") -> Gate:  # type: ignore[no-untyped-def]
    return Gate(name=path, path=path, comparison=comparison, threshold=threshold, on=on, severity=severity)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "path, comparison, threshold, on, observed, passed",
    [
        ("recovery.f1_sign", ">=", 0.7, "estimate", 0.75, True),
        ("recovery.f1_sign", ">=", 0.8, "estimate", 0.75, False),
        ("recovery.f1_sign", ">=", 0.7, "lower", 0.6, False),
        ("recovery.f1_sign", ">=", 0.85, "upper", 0.9, True),
        ("recovery.f1_sign", "<=", 0.75, "estimate", 0.75, True),
        ("recovery.sign_flips", "==", 2, "estimate", 2.0, True),
        ("recovery.sign_flips", "==", 0, "estimate", 2.0, False),
        ("distribution.belief_t1.overall.js", "<=", 0.22, "estimate", 0.2, True),
        ("distribution.belief_t1.overall.js", "<=", 0.22, "upper", 0.25, False),
        ("distribution.belief_t1.overall.js", "<=", 0.16, "lower", 0.15, True),
        ("distribution.mean_js.by.ethnicity.max", "<=", 0.35, "estimate", 0.4, False),
        ("coherence.value_action_gap.difference", "between", (-0.1, 0.1), "estimate", 0.05, True),
        ("coherence.value_action_gap.difference", "between", (-0.1, 0.1), "upper", 0.11, False),
        ("coherence.value_action_gap.difference", "between", (0.06, 0.2), "estimate", 0.05, False),
        ("heterogeneity.s.sim_at_human_n", ">=", 19, "estimate", 20.0, True),
        ("heterogeneity.s.sim_at_human_n", ">=", 19, "lower", 18.0, False),
    ],
)
def test_each_comparison_and_bound(path, comparison, threshold, on, observed, passed):
    result = evaluate_gate(gate(path, comparison, threshold, on), BLOCK)
    assert result.observed == pytest.approx(observed)
    assert result.passed is passed


@pytest.mark.parametrize(
    "path, comparison, threshold, beyond",
    [
        ("recovery.f1_sign", ">=", 0.8, False),  # the interval reaches 0.9
        ("recovery.f1_sign", ">=", 0.95, True),  # even the upper bound 0.9 misses
        ("distribution.belief_t1.overall.js", "<=", 0.1, True),
        ("distribution.belief_t1.overall.js", "<=", 0.18, False),
        ("coherence.value_action_gap.difference", "between", (-0.2, 0.0), False),
        ("coherence.value_action_gap.difference", "between", (-0.2, -0.05), True),
        ("distribution.mean_js.by.ethnicity.max", "<=", 0.3, None),  # no interval to judge
    ],
)
def test_a_miss_says_whether_it_is_beyond_sampling_noise(path, comparison, threshold, beyond):
    result = evaluate_gate(gate(path, comparison, threshold), BLOCK)
    assert result.passed is False
    assert result.beyond_noise is beyond
    assert "misses by" in result.message


def test_a_missing_value_or_path_fails_with_a_reason():
    no_value = evaluate_gate(gate("recovery.fpr", "<=", 0.5), BLOCK)
    assert not no_value.passed and "has no value" in no_value.message and "zero denominator" in no_value.message
    absent = evaluate_gate(gate("distribution.belief_t1.by.ethnicity.levels.Other.js", "<=", 0.5), BLOCK)
    assert not absent.passed and "not in the results" in absent.message


def test_lookup_finds_a_metric_with_its_interval():
    assert lookup(BLOCK, "recovery.f1_sign") == MetricValue("recovery.f1_sign", 0.75, 0.6, 0.9)
    assert lookup(BLOCK, "distribution.belief_t1.overall.js") == MetricValue("distribution.belief_t1.overall.js", 0.2, 0.15, 0.25)
    assert lookup(BLOCK, "distribution.belief_t1.overall.tvd") is None
