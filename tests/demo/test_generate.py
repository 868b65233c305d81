"""Tests of the seeded synthetic demo data (validator.demo.generate).

Every expected property is recomputed here independently: the six logit models with
statsmodels.formula.api, the value-action gap, the unique belief structures and the
Jensen-Shannon distance with a few lines of pandas / scipy.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy.spatial.distance import jensenshannon

from validator.demo.generate import (
    DEMO_SEED,
    SIM_KINDS,
    generate_human,
    generate_simulated,
    write_demo,
)
from validator.errors import UsageError

COLUMNS = [
    "participant_id",
    "ethnicity",
    "age",
    "sex",
    "valuation",
    "disclosure",
    "pre_choice",
    "belief_t1",
    "belief_t2",
    "belief_both",
    "decision",
]
BELIEFS = ["belief_t1", "belief_t2", "belief_both"]
MODELS = {
    "m1": ("abort ~ belief_t1 + belief_t2", False),
    "m2": ("abort ~ belief_t1 + belief_t2 + v2 + pre_t1", False),
    "m3": ("attack_t1 ~ belief_t1 + belief_t2", True),
    "m4": ("attack_t1 ~ belief_t1 + belief_t2 + v2 + pre_t1", True),
    "m5": ("attack_t1 ~ ev_diff", True),
    "m6": ("attack_t1 ~ ev_diff + v2 + pre_t1", True),
}
ALPHA = 0.05


@cache
def human(seed: int = DEMO_SEED) -> pd.DataFrame:
    return generate_human(seed=seed)


@cache
def simulated(kind: str) -> pd.DataFrame:
    return generate_simulated(kind, human())


def frame(name: str) -> pd.DataFrame:
    return human() if name == "human" else simulated(name)


def derive(df: pd.DataFrame) -> pd.DataFrame:
    s1 = (df["belief_t1"] + df["belief_both"]) / 100
    s2 = (df["belief_t2"] + df["belief_both"]) / 100
    ev1 = 0.05 + 0.80 * (0.80 - 0.50 * s1)
    ev2 = 0.80 * (0.80 - 0.50 * s2)
    return df.assign(
        abort=(df["decision"] == "abort").astype(int),
        attack_t1=(df["decision"] == "attack_t1").astype(int),
        v2=(df["valuation"] == "V2").astype(int),
        pre_t1=(df["pre_choice"] == "target_1").astype(int),
        ev_diff=ev1 - ev2,
    )


def fit(df: pd.DataFrame, model: str):  # -> statsmodels results
    formula, attackers_only = MODELS[model]
    data = derive(df)
    if attackers_only:
        data = data[data["decision"] != "abort"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # separation / convergence warnings fail the fit
        return smf.logit(formula, data).fit(disp=0)


def significant(df: pd.DataFrame) -> dict[str, float]:
    """Signed coefficients significant at ALPHA, keyed 'model:term', over all six models."""
    out: dict[str, float] = {}
    for model in MODELS:
        result = fit(df, model)
        for term, p in result.pvalues.items():
            if p < ALPHA:
                out[f"{model}:{term}"] = float(np.sign(result.params[term]))
    return out


def value_action_gap(df: pd.DataFrame) -> float:
    """Share attacking Target k among those whose strict highest belief is 'only at k'."""
    beliefs = df[BELIEFS]
    top = beliefs.max(axis=1)
    unique_top = beliefs.eq(top, axis=0).sum(axis=1) == 1
    t1_high = unique_top & (df["belief_t1"] == top)
    t2_high = unique_top & (df["belief_t2"] == top)
    hits = (t1_high & (df["decision"] == "attack_t1")).sum() + (t2_high & (df["decision"] == "attack_t2")).sum()
    return hits / (t1_high.sum() + t2_high.sum())


def unique_structures(df: pd.DataFrame) -> int:
    return len(df[BELIEFS].drop_duplicates())


def mean_js(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Mean over the three beliefs of the base-2 JS distance on ten bins over [0, 100]."""
    edges = np.linspace(0, 100, 11)
    return float(
        np.mean([jensenshannon(np.histogram(a[c], edges)[0], np.histogram(b[c], edges)[0], base=2) for c in BELIEFS])
    )


ALL_FRAMES = ["human", *SIM_KINDS]


# --- shape, types, ranges ---------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_FRAMES)
def test_columns_types_and_ranges(name: str) -> None:
    df = frame(name)
    assert list(df.columns) == COLUMNS
    assert len(df) == 929
    assert df["participant_id"].tolist() == list(range(1, 930))
    for column in ["participant_id", "age", *BELIEFS]:
        assert pd.api.types.is_integer_dtype(df[column]), column
    assert df["age"].between(18, 80).all()
    assert df[BELIEFS].ge(0).all().all() and df[BELIEFS].le(100).all().all()
    assert set(df["ethnicity"]) == {"White", "Black", "Asian", "Mixed", "Other"}
    assert set(df["sex"]) == {"Female", "Male"}
    assert set(df["valuation"]) == {"V1", "V2"}
    assert set(df["disclosure"]) == {"A1", "A2", "A3", "A4"}
    assert set(df["pre_choice"]) == {"target_1", "target_2"}
    assert set(df["decision"]) <= {"attack_t1", "attack_t2", "abort"}


@pytest.mark.parametrize("name", ALL_FRAMES)
def test_beliefs_sum_to_exactly_100(name: str) -> None:
    assert (frame(name)[BELIEFS].sum(axis=1) == 100).all()


@pytest.mark.parametrize("n", [929, 100, 9])
def test_cells_are_balanced(n: int) -> None:
    counts = generate_human(n, seed=3).groupby(["valuation", "disclosure"]).size()
    assert counts.max() - counts.min() <= 1
    assert counts.sum() == n


def test_human_demographics_are_plausible() -> None:
    df = human()
    shares = df["ethnicity"].value_counts(normalize=True)
    assert df["ethnicity"].value_counts().min() >= 30
    assert 0.5 < shares["White"] < 0.7
    assert df["age"].mean() > df["age"].median()  # right-skewed
    assert 0.08 <= (df["decision"] == "abort").mean() <= 0.15


def test_large_samples_are_supported() -> None:
    df = generate_human(100_000, seed=5)
    assert len(df) == 100_000
    assert (df[BELIEFS].sum(axis=1) == 100).all()


# --- determinism -------------------------------------------------------------------------


def test_same_seed_gives_identical_frames() -> None:
    pd.testing.assert_frame_equal(generate_human(seed=11), generate_human(seed=11))
    for kind in SIM_KINDS:
        pd.testing.assert_frame_equal(generate_simulated(kind, human(), seed=11), generate_simulated(kind, human(), seed=11))


def test_different_seeds_give_different_samples() -> None:
    a, b = generate_human(seed=1), generate_human(seed=2)
    assert not a.equals(b)
    assert not a[BELIEFS].equals(b[BELIEFS])
    for kind in SIM_KINDS:
        assert not generate_simulated(kind, a, seed=1)[["pre_choice", "decision"]].equals(
            generate_simulated(kind, a, seed=2)[["pre_choice", "decision"]]
        )


@pytest.mark.parametrize("kind", SIM_KINDS)
def test_simulated_copies_personas_and_cells(kind: str) -> None:
    persona = ["participant_id", "ethnicity", "age", "sex", "valuation", "disclosure"]
    pd.testing.assert_frame_equal(simulated(kind)[persona], human()[persona])


def test_unknown_kind_is_a_usage_error_with_a_hint() -> None:
    with pytest.raises(UsageError, match="unknown kind 'unfinetune'; did you mean 'unfinetuned'"):
        generate_simulated("unfinetune", human())


# --- the human regression pattern ----------------------------------------------------------


def test_default_seed_has_11_to_15_significant_coefficients() -> None:
    assert 11 <= len(significant(human())) <= 15


def test_most_seeds_have_9_to_17_significant_coefficients() -> None:
    counts = [len(significant(generate_human(seed=seed))) for seed in range(1, 11)]
    assert sum(9 <= c <= 17 for c in counts) > len(counts) / 2


def test_human_belief_effects_have_the_built_in_signs() -> None:
    sig = significant(human())
    # Higher belief that security is only at one target -> less aborting (belief_both is
    # the reference); believing Target 1 secured -> attack Target 2, and vice versa.
    assert sig["m1:belief_t1"] == sig["m1:belief_t2"] == -1
    assert sig["m3:belief_t1"] == -1 and sig["m3:belief_t2"] == 1
    assert sig["m5:ev_diff"] == 1 and sig["m4:pre_t1"] == 1


# --- heterogeneity, aborts, coherence -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("human", 250, 450),
        ("unfinetuned", 15, 25),
        ("finetuned_random", 201, 500),
        ("finetuned_balanced", 201, 500),
    ],
)
def test_unique_belief_structures(name: str, low: int, high: int) -> None:
    assert low <= unique_structures(frame(name)) <= high


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("human", 0.20, 0.30),
        ("unfinetuned", 0.93, 0.99),
        ("finetuned_random", 0.20, 0.35),
        ("finetuned_balanced", 0.20, 0.35),
    ],
)
def test_value_action_gap(name: str, low: float, high: float) -> None:
    assert low <= value_action_gap(frame(name)) <= high


def test_unfinetuned_never_aborts_and_finetuned_sometimes_do() -> None:
    assert (simulated("unfinetuned")["decision"] != "abort").all()
    for kind in ("finetuned_random", "finetuned_balanced"):
        assert (simulated(kind)["decision"] == "abort").mean() > 0.03


@pytest.mark.parametrize("model", ["m3", "m4", "m5", "m6"])
def test_attack_models_are_estimable_on_unfinetuned(model: str) -> None:
    result = fit(simulated("unfinetuned"), model)  # any warning (separation...) fails here
    assert result.mle_retvals["converged"]
    assert np.isfinite(result.bse).all() and (result.bse > 0).all()
    assert np.isfinite(result.params).all()


def test_unfinetuned_has_exactly_14_estimable_coefficients() -> None:
    df = simulated("unfinetuned")
    assert derive(df)["abort"].nunique() == 1  # m1, m2 cannot be estimated
    assert sum(len(fit(df, m).params) for m in ("m3", "m4", "m5", "m6")) == 14


# --- alignment with the human data ----------------------------------------------------------


def test_unfinetuned_beliefs_are_far_and_finetuned_close() -> None:
    far = mean_js(human(), simulated("unfinetuned"))
    assert far > 0.3
    for kind in ("finetuned_random", "finetuned_balanced"):
        assert 0 < mean_js(human(), simulated(kind)) < far / 2


@pytest.mark.parametrize("kind", ["finetuned_random", "finetuned_balanced"])
@pytest.mark.parametrize("ethnicity", ["White", "Black", "Asian", "Mixed", "Other"])
def test_finetuned_beliefs_are_closer_within_each_ethnicity(kind: str, ethnicity: str) -> None:
    def group(df: pd.DataFrame) -> pd.DataFrame:
        return df[df["ethnicity"] == ethnicity]

    # Small groups (65 to 130 rows) carry JS sampling noise of about 0.2 on their own, so
    # "at least halved" holds overall and by a third margin within each group.
    unfinetuned = mean_js(group(human()), group(simulated("unfinetuned")))
    assert mean_js(group(human()), group(simulated(kind))) < unfinetuned * 2 / 3


def test_finetuned_regressions_match_only_partly() -> None:
    reference = significant(human())
    patterns = {}
    for kind in ("finetuned_random", "finetuned_balanced"):
        sim = significant(simulated(kind))
        tp = sum(1 for k, s in sim.items() if reference.get(k) == s)
        fp = sum(1 for k in sim if k not in reference)
        fn = sum(1 for k in reference if k not in sim)
        f1 = 2 * tp / (2 * tp + fp + fn)
        assert 0.6 <= f1 <= 0.9, (kind, f1)
        assert fp + fn > 0
        patterns[kind] = sim
    assert patterns["finetuned_random"] != patterns["finetuned_balanced"]


# --- files ------------------------------------------------------------------------------------


def test_write_demo_writes_four_commented_byte_identical_files(tmp_path: Path) -> None:
    first = write_demo(tmp_path / "a")
    second = write_demo(tmp_path / "b")
    assert set(first) == {"human", *SIM_KINDS}
    names = {
        "human": "human_synthetic.csv",
        "unfinetuned": "sim_unfinetuned_synthetic.csv",
        "finetuned_random": "sim_finetuned_random_synthetic.csv",
        "finetuned_balanced": "sim_finetuned_balanced_synthetic.csv",
    }
    for key, path in first.items():
        assert path.name == names[key]
        assert path.read_bytes() == second[key].read_bytes()
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("# ") and lines[1].startswith("# ")
        assert "SYNTHETIC" in lines[0] and f"seed={DEMO_SEED}" in lines[0]
        assert "NOT the Hunt et al. (2025) data" in lines[1]
        assert lines[2] == ",".join(COLUMNS)
        expected = human() if key == "human" else simulated(key)
        pd.testing.assert_frame_equal(pd.read_csv(path, comment="#"), expected, check_dtype=False)


def test_write_demo_seed_changes_the_files(tmp_path: Path) -> None:
    a = write_demo(tmp_path / "a", seed=1)["human"].read_bytes()
    b = write_demo(tmp_path / "b", seed=2)["human"].read_bytes()
    assert a != b and b"seed=2" in b
