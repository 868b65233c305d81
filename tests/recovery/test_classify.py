"""Per-coefficient outcomes and their totals (docs/metrics.md, coefficient recovery).

Expected ratios are hand-worked fractions, written as such.
"""

from __future__ import annotations

import json

import pytest

from validator.recovery.classify import coefficient_outcome, estimate_sign, summarize
from validator.recovery.records import SUMMARY_KEYS, Outcome, RecoverySummary


@pytest.mark.parametrize(
    ("human_sig", "sim_sig", "human_sign", "sim_sign", "expected"),
    [
        (True, True, 1, 1, "TP"),
        (True, True, -1, -1, "TP"),
        (True, True, 1, -1, "sign_flip"),
        (True, True, -1, 1, "sign_flip"),
        # 0 counts as different from every sign, itself included (documented).
        (True, True, 0, 1, "sign_flip"),
        (True, True, -1, 0, "sign_flip"),
        (True, True, 0, 0, "sign_flip"),
        (False, True, 1, 1, "FP"),
        (False, True, 1, -1, "FP"),
        (True, False, 1, 1, "FN"),
        (True, False, -1, 1, "FN"),
        (False, False, 1, -1, "TN"),
        (False, False, 0, 0, "TN"),
    ],
)
def test_coefficient_outcome(
    human_sig: bool, sim_sig: bool, human_sign: int, sim_sign: int, expected: str
) -> None:
    assert coefficient_outcome(human_sig, sim_sig, human_sign, sim_sign) == expected


@pytest.mark.parametrize("bad", [2, -2])
def test_coefficient_outcome_rejects_a_sign_outside_minus_one_to_one(bad: int) -> None:
    with pytest.raises(ValueError, match="must be -1, 0 or 1"):
        coefficient_outcome(True, True, bad, 1)


@pytest.mark.parametrize(
    ("estimate", "expected"), [(0.3, 1), (-1e-12, -1), (0.0, 0), (-0.0, 0), (5, 1)]
)
def test_estimate_sign(estimate: float, expected: int) -> None:
    assert estimate_sign(estimate) == expected


def test_estimate_sign_of_nan_is_an_error() -> None:
    with pytest.raises(ValueError, match="NaN"):
        estimate_sign(float("nan"))


def expand(counts: dict[Outcome, int]) -> list[Outcome]:
    return [outcome for outcome, k in counts.items() for _ in range(k)]


# counts -> (n, n_ref_sig, n_sim_sig, fpr, fnr, f1_sign, f1_strict), worked by hand.
SUMMARY_CASES = [
    pytest.param(
        {"TP": 10, "FP": 3, "FN": 3, "TN": 6},
        (22, 13, 13, 3 / 9, 3 / 13, 20 / 26, 20 / 26),
        id="study-worked-example",
    ),
    pytest.param(
        {"TP": 8, "FP": 2, "FN": 1, "TN": 5, "sign_flip": 2},
        (18, 11, 12, 2 / 7, 1 / 11, 16 / 19, 16 / 23),
        id="flips-lower-only-strict-f1",
    ),
    pytest.param(
        {"TP": 6, "FP": 2, "FN": 2, "TN": 4},
        (14, 8, 8, 2 / 6, 2 / 8, 12 / 16, 12 / 16),
        id="two-abort-models-dropped",
    ),
    pytest.param({"TN": 4}, (4, 0, 0, 0.0, None, None, None), id="all-tn"),
    pytest.param({"sign_flip": 3}, (3, 3, 3, None, 0.0, None, 0.0), id="only-flips"),
    pytest.param({"FP": 2}, (2, 0, 2, 1.0, None, 0.0, 0.0), id="only-fp"),
    pytest.param({"TP": 1}, (1, 1, 1, None, 0.0, 1.0, 1.0), id="single-tp"),
    pytest.param({}, (0, 0, 0, None, None, None, None), id="nothing-compared"),
]


@pytest.mark.parametrize(("counts", "expected"), SUMMARY_CASES)
def test_summarize(counts: dict[Outcome, int], expected: tuple) -> None:
    s = summarize(expand(counts))
    n, n_ref, n_sim, fpr, fnr, f1, strict = expected
    assert (s.n_coefficients, s.n_reference_significant, s.n_sim_significant) == (n, n_ref, n_sim)
    assert (s.tp, s.fp, s.fn, s.tn, s.sign_flips) == tuple(
        counts.get(k, 0) for k in ("TP", "FP", "FN", "TN", "sign_flip")
    )
    for got, want in ((s.fpr, fpr), (s.fnr, fnr), (s.f1_sign, f1), (s.f1_strict, strict)):
        if want is None:
            assert got is None
        else:
            assert got == pytest.approx(want, abs=1e-15)


def test_worked_example_rounds_as_in_the_study() -> None:
    s = summarize(expand({"TP": 10, "FP": 3, "FN": 3, "TN": 6}))
    assert s.fpr is not None and s.fnr is not None and s.f1_sign is not None
    assert (round(s.fpr, 4), round(s.fnr, 4), round(s.f1_sign, 4)) == (0.3333, 0.2308, 0.7692)
    assert s.sign_flips == 0


def test_summarize_is_order_independent() -> None:
    outcomes: list[Outcome] = ["TP", "FN", "sign_flip", "TN", "FP", "TP"]
    assert summarize(outcomes) == summarize(list(reversed(outcomes)))


def test_summarize_rejects_an_unknown_outcome() -> None:
    with pytest.raises(ValueError, match="unknown outcome"):
        summarize(["TP", "match"])  # type: ignore[list-item]


def test_summary_to_dict_has_exactly_the_agreed_keys_in_order() -> None:
    outcomes: list[Outcome] = ["TP", "TP", "FP", "FN", "sign_flip"]
    d = summarize(outcomes).to_dict()
    assert tuple(d) == SUMMARY_KEYS == (
        "n_coefficients", "n_reference_significant", "n_sim_significant", "tp", "fp", "fn",
        "tn", "sign_flips", "fpr", "fnr", "f1_sign", "f1_strict",
    )  # fmt: skip
    assert all(type(d[k]) is int for k in SUMMARY_KEYS[:8])
    assert d["fpr"] == 1.0 and d["f1_strict"] == pytest.approx(4 / 8)
    json.dumps(d, allow_nan=False)


def test_summary_to_dict_writes_none_for_zero_denominators() -> None:
    d = RecoverySummary(0, 0, 0, 0, 0, 0, 0, 0, None, None, None, None).to_dict()
    assert json.loads(json.dumps(d, allow_nan=False))["fpr"] is None
