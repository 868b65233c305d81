"""Matching human and simulated fits, and the per-coefficient closeness measures.

Expected numbers are hand-worked (fractions and interval arithmetic written out).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping

import pytest

from validator.errors import UsageError
from validator.models.types import Coefficient, ModelFit
from validator.recovery.compare import ci_overlap, compare_fits, std_diff
from validator.recovery.records import CoefficientComparison

Z95 = 1.959963984540054  # qnorm(0.975)

# The docs/metrics.md worked example: 22 coefficients, 13 significant in the human data,
# TP 10, FP 3, FN 3, TN 6, no flips.
WORKED = {
    "m1": ["TP", "TP", "FN"],
    "m2": ["TP", "TP", "TN", "FP", "TN"],
    "m3": ["TP", "TP", "FN"],
    "m4": ["TN", "TP", "TP", "FP", "TN"],
    "m5": ["TP", "FN"],
    "m6": ["TN", "TP", "FP", "TN"],
}
SIG, NOT_SIG = 0.001, 0.4
# outcome -> (human p, sim p, sim estimate relative to the human estimate's sign)
PATTERN = {
    "TP": (SIG, SIG, 1.0),
    "FP": (NOT_SIG, SIG, 1.0),
    "FN": (SIG, NOT_SIG, 1.0),
    "TN": (NOT_SIG, NOT_SIG, 1.0),
    "sign_flip": (SIG, SIG, -1.0),
}


def coef(
    model: str, term: str, b: float, se: float, p: float, p_adj: float | None = None
) -> Coefficient:
    return Coefficient(
        model=model, term=term, estimate=b, std_error=se, p_value=p,
        p_adjusted=p if p_adj is None else p_adj, ci_low=b - Z95 * se, ci_high=b + Z95 * se,
    )  # fmt: skip


def fit(model: str, coefs: Iterable[Coefficient] = (), *, reason: str | None = None) -> ModelFit:
    return ModelFit(
        model=model, label=f"Model {model}", family="logit", formula="y ~ x",
        estimable=reason is None, n_obs=100, n_subset_excluded=0, n_missing=0,
        coefficients=tuple(coefs), reason=reason,  # type: ignore[arg-type]
    )  # fmt: skip


def pattern_fits(
    design: Mapping[str, list[str]], sim_not_estimable: Iterable[str] = ()
) -> tuple[list[ModelFit], list[ModelFit]]:
    """Human and simulated fits whose coefficients follow the given outcomes."""
    human, sim = [], []
    for model, outcomes in design.items():
        h_coefs, s_coefs = [], []
        for i, outcome in enumerate(outcomes):
            p_h, p_s, sign = PATTERN[outcome]
            b = 0.5 if i % 2 else -0.8
            h_coefs.append(coef(model, f"x{i}", b, 0.2, p_h))
            s_coefs.append(coef(model, f"x{i}", sign * 1.1 * b, 0.25, p_s))
        human.append(fit(model, h_coefs))
        if model in sim_not_estimable:
            sim.append(fit(model, reason="no_variation"))
        else:
            sim.append(fit(model, s_coefs))
    return human, sim


# (design, models not estimable in sim) -> (n, tp, fp, fn, tn, flips, fpr, fnr, f1, strict)
RECOVERY_CASES = [
    pytest.param(WORKED, (), (22, 10, 3, 3, 6, 0, 3 / 9, 3 / 13, 20 / 26, 20 / 26), id="worked"),
    pytest.param(
        WORKED, ("m1", "m2"), (14, 6, 2, 2, 4, 0, 2 / 6, 2 / 8, 12 / 16, 12 / 16),
        id="abort-models-not-estimable-in-sim",
    ),
    pytest.param(
        {**WORKED, "m3": ["sign_flip", "TP", "FN"], "m5": ["sign_flip", "FN"]}, (),
        (22, 8, 3, 3, 6, 2, 3 / 9, 3 / 13, 16 / 22, 16 / 26), id="two-sign-flips",
    ),
    pytest.param(
        {"m1": ["TN", "TN"], "m2": ["TN"]}, (), (3, 0, 0, 0, 3, 0, 0.0, None, None, None),
        id="nothing-significant",
    ),
    pytest.param(WORKED, tuple(WORKED), (0, 0, 0, 0, 0, 0, None, None, None, None), id="none"),
]  # fmt: skip


@pytest.mark.parametrize(("design", "dropped", "expected"), RECOVERY_CASES)
def test_compare_fits_totals(
    design: Mapping[str, list[str]], dropped: tuple[str, ...], expected: tuple
) -> None:
    human, sim = pattern_fits(design, dropped)
    result = compare_fits(human, sim)
    s = result.summary
    n, tp, fp, fn, tn, flips, fpr, fnr, f1, strict = expected
    assert (s.n_coefficients, s.tp, s.fp, s.fn, s.tn, s.sign_flips) == (n, tp, fp, fn, tn, flips)
    assert s.n_reference_significant == tp + fn + flips
    assert s.n_sim_significant == tp + fp + flips
    for got, want in ((s.fpr, fpr), (s.fnr, fnr), (s.f1_sign, f1), (s.f1_strict, strict)):
        assert got == (None if want is None else pytest.approx(want, abs=1e-15))
    assert len(result.coefficients) == n
    assert [m.model for m in result.models] == list(design)
    for m in result.models:
        assert m.sim_estimable is (m.model not in dropped)
        assert m.sim_reason == (None if m.sim_estimable else "no_variation")
        assert m.n_compared == (0 if m.model in dropped else len(design[m.model]))


def test_outcomes_follow_the_design_coefficient_by_coefficient() -> None:
    human, sim = pattern_fits(WORKED)
    result = compare_fits(human, sim)
    assert [(c.model, c.outcome) for c in result.coefficients] == [
        (m, o) for m, outcomes in WORKED.items() for o in outcomes
    ]


def test_worked_example_is_reproduced_to_four_decimals() -> None:
    s = compare_fits(*pattern_fits(WORKED)).summary
    assert (s.n_coefficients, s.n_reference_significant) == (22, 13)
    assert s.fpr is not None and s.fnr is not None and s.f1_sign is not None
    assert (round(s.fpr, 4), round(s.fnr, 4), round(s.f1_sign, 4)) == (0.3333, 0.2308, 0.7692)


def test_significance_uses_the_adjusted_p_value() -> None:
    human = [fit("m1", [coef("m1", "x", 0.5, 0.2, p=0.01, p_adj=0.2)])]
    sim = [fit("m1", [coef("m1", "x", 0.5, 0.2, p=0.01, p_adj=0.01)])]
    (c,) = compare_fits(human, sim).coefficients
    assert (c.human_significant, c.sim_significant, c.outcome) == (False, True, "FP")
    assert (c.human_p_value, c.human_p_adjusted) == (0.01, 0.2)


@pytest.mark.parametrize(
    ("p", "alpha", "significant"), [(0.05, 0.05, False), (0.0499, 0.05, True), (0.05, 0.1, True)]
)
def test_significance_is_strictly_below_alpha(p: float, alpha: float, significant: bool) -> None:
    fits = [fit("m1", [coef("m1", "x", 0.5, 0.2, p)])]
    result = compare_fits(fits, fits, alpha=alpha)
    assert result.coefficients[0].human_significant is significant
    assert result.alpha == alpha


def test_terms_in_one_fit_only_are_excluded_and_listed() -> None:
    human = [fit("m1", [coef("m1", t, 0.5, 0.2, SIG) for t in ("Intercept", "a", "b")])]
    sim = [fit("m1", [coef("m1", t, 0.5, 0.2, SIG) for t in ("Intercept", "b", "c")])]
    result = compare_fits(human, sim)
    (model,) = result.models
    assert model.n_compared == 2
    assert [c.term for c in result.coefficients] == ["Intercept", "b"]
    assert model.excluded_terms == ("a (not in the simulated fit)", "c (not in the human fit)")
    assert result.summary.n_coefficients == 2


def test_a_coefficient_with_a_nan_p_value_is_excluded() -> None:
    human = [fit("m1", [coef("m1", "a", 0.5, 0.2, SIG), coef("m1", "b", 0.5, 0.2, math.nan)])]
    sim = [fit("m1", [coef("m1", "a", 0.5, 0.2, SIG), coef("m1", "b", 0.5, 0.2, SIG)])]
    result = compare_fits(human, sim)
    assert result.models[0].excluded_terms == ("b (estimate or p-value not a number)",)
    assert result.summary.n_coefficients == 1


def test_models_missing_on_one_side_are_reported_missing() -> None:
    h = [fit("m1", [coef("m1", "x", 0.5, 0.2, SIG)]), fit("m2", [coef("m2", "x", 0.5, 0.2, SIG)])]
    s = [fit("m3", [coef("m3", "x", 0.5, 0.2, SIG)]), fit("m1", [coef("m1", "x", 0.5, 0.2, SIG)])]
    result = compare_fits(h, s)
    rows = [(m.model, m.human_estimable, m.sim_estimable, m.human_reason, m.sim_reason)
            for m in result.models]  # fmt: skip
    assert rows == [
        ("m1", True, True, None, None),
        ("m2", True, False, None, "missing"),
        ("m3", False, True, "missing", None),
    ]
    assert [m.label for m in result.models] == ["Model m1", "Model m2", "Model m3"]
    assert result.summary.n_coefficients == 1


def test_a_model_not_estimable_in_the_human_data_leaves_the_totals() -> None:
    human, sim = pattern_fits({"m1": ["TP", "FN"], "m2": ["TP"]})
    human[1] = fit("m2", reason="perfect_separation")
    result = compare_fits(human, sim)
    m2 = result.models[1]
    assert (m2.human_estimable, m2.human_reason, m2.sim_estimable, m2.n_compared) == (
        False, "perfect_separation", True, 0,
    )  # fmt: skip
    assert m2.excluded_terms == ()
    assert (result.summary.n_coefficients, result.summary.tp) == (2, 1)


@pytest.mark.parametrize(
    ("human", "sim", "alpha", "match"),
    [
        ([fit("m1"), fit("m1")], [], 0.05, "model 'm1' twice"),
        ([fit("m1", [coef("m1", "x", 1, 1, SIG)] * 2)], [fit("m1")], 0.05, "term 'x' twice"),
        ([], [], 0.0, "alpha"),
        ([], [], 1.0, "alpha"),
    ],
)
def test_compare_fits_usage_errors(human: list, sim: list, alpha: float, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        compare_fits(human, sim, alpha=alpha)


def test_per_coefficient_measures_are_filled_in() -> None:
    # human b=1.0 se=0.3, sim b=0.5 se=0.4: std diff (0.5-1.0)/sqrt(0.09+0.16) = -1.0
    human = [fit("m1", [coef("m1", "x", 1.0, 0.3, 0.0009)])]
    sim = [fit("m1", [coef("m1", "x", 0.5, 0.4, 0.2)])]
    (c,) = compare_fits(human, sim).coefficients
    assert c.std_diff == pytest.approx(-1.0)
    lo_h, hi_h, lo_s, hi_s = 1 - Z95 * 0.3, 1 + Z95 * 0.3, 0.5 - Z95 * 0.4, 0.5 + Z95 * 0.4
    # [0.412, 1.588] and [-0.284, 1.284] overlap on [0.412, 1.284]
    assert lo_s < lo_h < hi_s < hi_h
    shared = hi_s - lo_h
    assert c.ci_overlap == pytest.approx(0.5 * (shared / (hi_h - lo_h) + shared / (hi_s - lo_s)))
    assert c.ci_overlap == pytest.approx(0.6488027, abs=1e-7)
    assert c.sim_in_human_ci is True
    assert (c.human_sign, c.sim_sign, c.outcome) == (1, 1, "FN")


@pytest.mark.parametrize(
    ("b_sim", "inside"),
    [
        (1.0 + Z95 * 0.3, True),
        (1.0 - Z95 * 0.3, True),
        (1.0 + Z95 * 0.3 + 1e-9, False),
        (0.2, False),
    ],
)
def test_sim_in_human_ci_includes_the_bounds(b_sim: float, inside: bool) -> None:
    human = [fit("m1", [coef("m1", "x", 1.0, 0.3, SIG)])]
    sim = [fit("m1", [coef("m1", "x", b_sim, 0.3, SIG)])]
    assert compare_fits(human, sim).coefficients[0].sim_in_human_ci is inside


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((1.0, 0.3, 0.5, 0.4), -1.0),  # -0.5 / 0.5
        ((2.0, 0.0, 5.0, 3.0), 1.0),  # one SE zero: 3 / 3
        ((0.0, 0.6, -1.6, 0.8), -1.6),  # -1.6 / 1.0
        ((2.0, None, 5.0, 3.0), 1.0),  # a missing SE counts as 0
        ((2.0, math.nan, 5.0, 1.5), 2.0),
        ((1.0, 0.0, 2.0, 0.0), None),  # both SEs zero
        ((1.0, None, 2.0, math.nan), None),
        ((math.nan, 0.3, 2.0, 0.4), None),
    ],
)
def test_std_diff(args: tuple, expected: float | None) -> None:
    got = std_diff(*args)
    assert got == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0.0, 2.0), (0.0, 2.0), 1.0),  # identical
        ((-1.3, 0.7), (-1.3, 0.7), 1.0),
        ((0.0, 4.0), (1.0, 2.0), 0.5 * (1 / 4 + 1 / 1)),  # nested: 0.625
        ((0.0, 2.0), (1.0, 3.0), 0.5 * (1 / 2 + 1 / 2)),  # half overlap: 0.5
        ((0.0, 2.0), (1.0, 2.0), 0.5 * (1 / 2 + 1 / 1)),  # 0.75
        ((0.0, 1.0), (1.0, 2.0), 0.0),  # touching
        ((0.0, 1.0), (2.0, 3.0), 0.5 * (-1 / 1 + -1 / 1)),  # disjoint: -1.0
        ((0.0, 1.0), (3.0, 5.0), 0.5 * (-2 / 1 + -2 / 2)),  # disjoint: -1.5
    ],
)
def test_ci_overlap(a: tuple[float, float], b: tuple[float, float], expected: float) -> None:
    assert ci_overlap(*a, *b) == pytest.approx(expected)
    assert ci_overlap(*b, *a) == pytest.approx(expected)  # symmetric


@pytest.mark.parametrize(
    "bounds",
    [(0.0, 0.0, 0.0, 1.0), (0.0, 1.0, 2.0, 2.0), (1.0, 0.0, 0.0, 1.0), (math.nan, 1.0, 0.0, 1.0),
     (0.0, math.inf, 0.0, 1.0)],
)  # fmt: skip
def test_ci_overlap_is_none_for_degenerate_or_missing_intervals(bounds: tuple) -> None:
    assert ci_overlap(*bounds) is None


def test_result_to_dict_is_json_ready() -> None:
    human, sim = pattern_fits({"m1": ["TP", "sign_flip"], "m2": ["TN"]}, sim_not_estimable=["m2"])
    human[0] = fit("m1", [*human[0].coefficients, coef("m1", "extra", 0.1, math.nan, 0.5)])
    d = compare_fits(human, sim).to_dict()
    assert list(d)[:12] == [
        "n_coefficients", "n_reference_significant", "n_sim_significant", "tp", "fp", "fn",
        "tn", "sign_flips", "fpr", "fnr", "f1_sign", "f1_strict",
    ]  # fmt: skip
    assert list(d)[12:] == ["alpha", "models", "coefficients"]
    assert (d["n_coefficients"], d["tp"], d["sign_flips"], d["fpr"]) == (2, 1, 1, None)
    assert d["f1_sign"] == 1.0 and d["f1_strict"] == pytest.approx(2 / 4)
    assert d["models"][0]["excluded_terms"] == ["extra (not in the simulated fit)"]
    assert d["models"][1]["sim_reason"] == "no_variation"
    assert d["coefficients"][1]["outcome"] == "sign_flip"
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text) == d


def test_missing_numbers_become_none_in_records() -> None:
    human = [fit("m1", [coef("m1", "x", 0.5, math.nan, SIG)])]
    sim = [fit("m1", [coef("m1", "x", 0.5, math.nan, SIG)])]
    c = compare_fits(human, sim).to_dict()["coefficients"][0]
    assert (c["human_std_error"], c["std_diff"], c["ci_overlap"]) == (None, None, None)
    assert c["sim_in_human_ci"] is False


def test_to_frame_has_one_row_per_compared_coefficient() -> None:
    result = compare_fits(*pattern_fits(WORKED, ["m5"]))
    frame = result.to_frame()
    assert len(frame) == 20
    assert list(frame.columns) == list(CoefficientComparison.__dataclass_fields__)
    assert frame["outcome"].value_counts().to_dict() == {"TP": 9, "TN": 6, "FP": 3, "FN": 2}
    empty = compare_fits([], []).to_frame()
    assert len(empty) == 0 and "outcome" in empty.columns


def test_ci_overlap_of_an_ols_model_uses_normal_95_percent_intervals_like_synthpop():
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm

    from validator.models.fit import fit_model
    from validator.recovery.compare import ci_overlap as overlap
    from validator.recovery.compare import compare_fits
    from validator.spec.model import ModelSpec

    rng = np.random.default_rng(4)
    model = ModelSpec("o", "OLS", "ols", "y ~ x")
    frames = []
    for shift in (0.0, 0.3):
        x = rng.normal(size=40)
        frames.append(pd.DataFrame({"x": x, "y": 1.0 + shift + 0.5 * x + rng.normal(size=40)}))
    fits = [fit_model(model, f) for f in frames]
    result = compare_fits([fits[0]], [fits[1]])
    # Independent: statsmodels' normal (use_t=False) 95% intervals, overlap by Karr et al.'s formula.
    normal = [sm.OLS(f["y"], sm.add_constant(f["x"])).fit(use_t=False).conf_int(0.05).to_numpy() for f in frames]
    for j, c in enumerate(result.coefficients):
        (la, ha), (lb, hb) = normal[0][j], normal[1][j]
        shared = min(ha, hb) - max(la, lb)
        assert c.ci_overlap == pytest.approx(0.5 * (shared / (ha - la) + shared / (hb - lb)), rel=1e-9)
        # ...which is not the overlap of the stored t intervals at df = 38.
        stored = overlap(fits[0].coefficients[j].ci_low, fits[0].coefficients[j].ci_high, fits[1].coefficients[j].ci_low, fits[1].coefficients[j].ci_high)
        assert c.ci_overlap != pytest.approx(stored, rel=1e-6)
