"""The Python API: ``validator.check`` on paths or DataFrames, and its result object."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
import statsmodels.formula.api as smf

import validator
from validator.spec.load import load_spec

# The GSS 2024 example data shipped with the repository (examples/gss2024/DATA.md).
GSS2024_DATA = Path(__file__).resolve().parents[1] / "examples" / "gss2024" / "data"


def read_demo(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, comment="#")


def test_check_on_paths_returns_a_result_with_dict_frame_and_verdict(demo_paths):
    result = validator.check(demo_paths["human"], demo_paths["finetuned_random"], spec="hunt2025", bootstrap=0)
    assert result.passed is True
    document = result.to_dict()
    assert document["spec"]["name"] == "hunt2025"
    assert document["simulations"][0]["recovery"]["n_coefficients"] == 22
    frame = result.to_frame()
    assert len(frame) == 22
    assert {"simulation", "model", "term", "outcome", "std_diff", "ci_overlap"} <= set(frame.columns)


def test_check_accepts_dataframes_and_several_simulations(demo_paths):
    human = read_demo(demo_paths["human"])
    sims = [read_demo(demo_paths[k]) for k in ("unfinetuned", "finetuned_balanced")]
    result = validator.check(human, sims, bootstrap=0)
    assert [s.label for s in result.simulations] == ["simulation_1", "simulation_2"]
    assert [s.recovery.summary.n_coefficients for s in result.simulations] == [14, 22]
    assert list(result.leaderboard()["simulation"]) == ["simulation_1", "simulation_2"]


def test_human_coefficients_equal_statsmodels_fitted_directly(demo_paths):
    human = read_demo(demo_paths["human"])
    result = validator.check(human, human, bootstrap=0)
    direct = human.assign(
        abort=(human.decision == "abort").astype(int),
        attack_t1=(human.decision == "attack_t1").astype(int),
        v2=(human.valuation == "V2").astype(int),
        pre_t1=(human.pre_choice == "target_1").astype(int),
    )
    s1 = (direct.belief_t1 + direct.belief_both) / 100
    s2 = (direct.belief_t2 + direct.belief_both) / 100
    direct["ev_diff"] = (0.05 + 0.80 * (0.80 - 0.50 * s1)) - (0.80 * (0.80 - 0.50 * s2))
    attackers = direct[direct.decision != "abort"]
    n_terms = 0
    for spec_model in load_spec("hunt2025").models:
        data = attackers if spec_model.subset else direct
        fitted = smf.logit(spec_model.formula, data).fit(disp=0)
        ours = {c.term: c for c in next(f for f in result.human_fits if f.model == spec_model.id).coefficients}
        assert set(ours) == set(fitted.params.index)
        for term in fitted.params.index:
            assert ours[term].estimate == pytest.approx(fitted.params[term], rel=1e-7, abs=1e-10)
            assert ours[term].std_error == pytest.approx(fitted.bse[term], rel=1e-6)
            assert ours[term].p_value == pytest.approx(fitted.pvalues[term], rel=1e-6, abs=1e-300)
            n_terms += 1
    assert n_terms == 22
    identical = result.simulations[0].recovery.summary
    assert (identical.fp, identical.fn, identical.sign_flips) == (0, 0, 0)
    assert identical.f1_sign == 1.0
    assert 11 <= identical.n_reference_significant <= 15


def _write(frame: pd.DataFrame, path: Path) -> None:
    suffix = path.suffix
    if suffix == ".tsv":
        frame.to_csv(path, sep="\t", index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif suffix == ".xlsx":
        frame.to_excel(path, index=False)
    elif suffix == ".dta":
        frame.to_stata(path, write_index=False)
    elif suffix == ".sav":
        pyreadstat.write_sav(frame, str(path))
    else:
        frame.to_csv(path, index=False)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".xlsx", ".dta", ".sav"])
def test_every_input_format_gives_the_same_fits(demo_paths, tmp_path, suffix):
    human = read_demo(demo_paths["human"])
    coded = human.assign(
        valuation=human.valuation.map({"V1": 1, "V2": 2}),
        decision=human.decision.map({"attack_t1": 1, "attack_t2": 2, "abort": 3}),
    )
    path = tmp_path / f"human{suffix}"
    _write(coded, path)
    baseline = validator.check(human, demo_paths["finetuned_random"], bootstrap=0)
    result = validator.check(path, demo_paths["finetuned_random"], bootstrap=0)
    assert result.human.n_used == 929 and result.human.format == suffix.lstrip(".")
    for ours, reference in zip(result.human_fits, baseline.human_fits):
        for a, b in zip(ours.coefficients, reference.coefficients):
            assert a.term == b.term and math.isclose(a.estimate, b.estimate, rel_tol=1e-9)


def test_json_is_byte_identical_for_the_same_inputs(demo_paths):
    first = validator.check(demo_paths["human"], demo_paths["unfinetuned"], seed=3, bootstrap=100).to_json()
    second = validator.check(demo_paths["human"], demo_paths["unfinetuned"], seed=3, bootstrap=100).to_json()
    assert first == second


def test_a_study_simval_was_not_built_for_runs_from_a_user_written_spec():
    spec = Path(__file__).resolve().parents[1] / "examples" / "gss2024" / "gss2024.yaml"
    sims = [GSS2024_DATA / "openai_gpt-4o-mini_wide.csv", GSS2024_DATA / "qwen_qwen-2.5-72b-instruct_wide.csv"]
    result = validator.check(GSS2024_DATA / "gss_wide.csv", sims, spec=spec, bootstrap=0)
    assert result.human.n_rows_read == 3309
    assert all(f.estimable for f in result.human_fits)
    for sim in result.simulations:
        assert sim.dataset.n_rows_read == 1000
        assert sim.recovery.summary.n_coefficients > 0
        assert 0.0 <= (sim.recovery.summary.f1_sign or 0.0) <= 1.0
    # GSS split ballots: each model uses only the rows that answered its item, and says so.
    death_penalty = next(f for f in result.human_fits if f.model == "g1")
    assert death_penalty.n_missing > 1000
    assert death_penalty.n_obs + death_penalty.n_missing + death_penalty.n_subset_excluded == 3309


def test_the_other_constructs_run_on_the_gss_data_with_a_declared_subgroup():
    spec = Path(__file__).resolve().parents[1] / "examples" / "gss2024" / "gss2024.yaml"
    result = validator.check(GSS2024_DATA / "gss_wide.csv", GSS2024_DATA / "openai_gpt-5_wide.csv", spec=spec, bootstrap=40)
    sim = result.simulations[0]
    assert sim.distribution is not None and sim.distribution.mean_js is not None
    party = {level: item for level, item in sim.distribution.mean_js.by[0].levels}
    assert set(party) == {"Democrat", "Independent", "Republican"}
    for item in party.values():
        assert 0.0 <= item.js.estimate <= 1.0 and item.js.floor is not None
    patterns = sim.heterogeneity[0]
    assert patterns.human_at_sim_n is None and patterns.sim_at_human_n is not None  # 514 complete human rows < 998
    document = result.to_dict()["simulations"][0]
    assert document["distribution"]["cappun"]["overall"]["js"]["estimate"] is not None
