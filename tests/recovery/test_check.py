"""The recovery check of one simulated dataset: families, clusters, equal n, replicate failures, verdict."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from validator.api import read_dataset
from validator.checks.context import CheckContext
from validator.demo.generate import generate_human
from validator.errors import InputError
from validator.models.design import Design, build_design
from validator.models.fit import fit_models
from validator.models.types import ModelFit
from validator.recovery.check import cluster_warnings, recovery_part, same_family
from validator.recovery.compare import compare_fits
from validator.recovery.records import RecoveryResult
from validator.recovery.uncertainty import RecoveryUncertainty, human_draws
from validator.spec.load import load_spec
from validator.spec.model import CorrectionSpec, ModelSpec, StudySpec, UncertaintySpec

SPEC = load_spec("hunt2025")


def _design(model: ModelSpec, frame: pd.DataFrame) -> Design:
    design = build_design(model, frame)
    assert isinstance(design, Design)
    return design


def _run(
    human: pd.DataFrame, sim: pd.DataFrame, *, spec: StudySpec = SPEC, replicates: int = 0, seed: int = 0, equal_n_draws: int = 20
) -> tuple[tuple[ModelFit, ...], RecoveryResult, RecoveryUncertainty | None]:
    h = read_dataset(human, spec, label="human")
    s = read_dataset(sim, spec, label="sim")
    ctx = CheckContext(seed=seed, replicates=replicates, equal_n_draws=equal_n_draws)
    fits = fit_models(spec.models, h.frame, alpha=spec.alpha, correction=spec.correction)
    draws = human_draws(spec.models, h, ctx, alpha=spec.alpha, correction=spec.correction, resample_by=spec.uncertainty.resample_by) if replicates else None
    return recovery_part(spec, h, fits, draws, "sim", s, ctx, spec.alpha)


def _always_attack_t1(frame: pd.DataFrame) -> pd.DataFrame:
    out: pd.DataFrame = frame.assign(decision="attack_t1")
    return out


def test_study_scope_families_hold_the_same_coefficients_on_both_sides() -> None:
    spec = replace(SPEC, correction=CorrectionSpec("bonferroni", "study"))
    human = generate_human(929, seed=3)
    sim = _always_attack_t1(generate_human(929, seed=4))  # m3-m6 not estimable on the simulation
    sim.loc[:40, "decision"] = "abort"
    h = read_dataset(human, spec)
    s = read_dataset(sim, spec)
    h_fits, s_fits = same_family(fit_models(spec.models, h.frame, correction=spec.correction), fit_models(spec.models, s.frame, correction=spec.correction), spec.correction)
    compared = [f for f in h_fits if f.model in ("m1", "m2")]
    family = sum(len(f.coefficients) for f in compared)
    assert family == 8  # not 22: m3-m6 leave both families
    for fit in compared + [f for f in s_fits if f.model in ("m1", "m2")]:
        for c in fit.coefficients:
            assert c.p_adjusted == pytest.approx(min(1.0, c.p_value * family))


def test_a_simulation_that_fits_no_model_gets_intervals_and_a_failing_verdict_not_a_crash() -> None:
    human = generate_human(929, seed=5)
    _, recovery, uncertainty = _run(human, _always_attack_t1(generate_human(929, seed=6)), replicates=20)
    assert recovery.summary.n_coefficients == 0
    assert uncertainty is not None and uncertainty.interval("f1_sign").low is None
    assert recovery.default_verdict is not None
    assert recovery.default_verdict.verdict == "inconclusive"  # 20 resamples cannot decide


def test_replicate_failures_are_counted_per_model_with_reasons_and_intervals_use_consistent_replicates() -> None:
    human = generate_human(929, seed=7)
    sim = generate_human(929, seed=8)
    # Four simulated aborts: some bootstrap replicates of the simulation have none or are separated.
    sim["decision"] = np.where(sim["decision"] == "abort", "attack_t2", sim["decision"])
    sim.loc[:3, "decision"] = "abort"
    _, recovery, uncertainty = _run(human, sim, replicates=60)
    assert uncertainty is not None
    block = uncertainty.replicate_fits()
    failed = block["models"]["m1"]["simulation"]
    assert set(failed) <= {"no_variation", "perfect_separation", "not_converged", "singular_design", "too_few_rows"}
    assert sum(failed.values()) > 0
    assert recovery.models[0].sim_estimable  # the point estimate compares m1
    assert block["consistent"] <= 60 - sum(failed.values())
    assert uncertainty.interval("n_coefficients").valid == block["consistent"]
    # Every consistent replicate compares exactly the point estimate's coefficients.
    assert uncertainty.interval("n_coefficients").low == uncertainty.interval("n_coefficients").high == recovery.summary.n_coefficients


def test_equal_n_uses_the_rows_each_model_uses_in_both_directions() -> None:
    human = generate_human(1858, seed=9)  # the human side is the larger one (as in the GSS example)
    sim = generate_human(929, seed=10)
    _, _, uncertainty = _run(human, sim, equal_n_draws=15)
    assert uncertainty is not None and uncertainty.equal_n is not None
    sizes = {m.model: m for m in uncertainty.equal_n.models}
    assert sizes["m1"].subsampled == "human" and sizes["m1"].n_equal == 929
    assert sizes["m3"].n_equal == sizes["m3"].n_sim < sizes["m3"].n_human


def test_a_cluster_model_with_five_clusters_says_so() -> None:
    model = ModelSpec("c1", "Abort, clustered by ethnicity", "logit", "abort ~ belief_t1 + belief_t2", cov_type="cluster", cluster="ethnicity")
    spec = replace(SPEC, models=(model,))
    h = read_dataset(generate_human(300, seed=11), spec)
    s = read_dataset(generate_human(300, seed=12), spec)
    warnings = cluster_warnings(spec.models, (("human", h), ("simulated", s)), None)
    assert warnings[0] == (
        "model c1: 5 clusters of 'ethnicity' on the human data (fewer than 20): "
        "its cluster-robust z-test and the cluster bootstrap are unreliable"
    )
    _, recovery, _ = _run(generate_human(300, seed=11), generate_human(300, seed=12), spec=spec, replicates=20)
    assert len(recovery.warnings) == 2
    assert recovery.to_dict()["warnings"] == list(recovery.warnings)


def test_cluster_models_resample_whole_clusters() -> None:
    from validator.recovery.uncertainty import bootstrap_plan

    model = ModelSpec("c1", "clustered", "logit", "abort ~ belief_t1", cov_type="cluster", cluster="ethnicity")
    data = read_dataset(generate_human(200, seed=13), replace(SPEC, models=(model,)))
    plan = bootstrap_plan(data, CheckContext(seed=1, replicates=30), ("test",), None)
    weights = np.concatenate(list(plan(model, _design(model, data.frame))))
    ethnicity = data.frame["ethnicity"].to_numpy()
    for group in np.unique(ethnicity):
        rows = weights[:, ethnicity == group]
        assert (rows == rows[:, :1]).all()


def test_resample_by_resamples_whole_participants_and_names_a_missing_unit() -> None:
    spec = replace(SPEC, uncertainty=UncertaintySpec(resample_by="participant_id"))
    human = generate_human(200, seed=14)
    long = pd.concat([human, human], ignore_index=True)  # two rows per participant
    from validator.recovery.uncertainty import bootstrap_plan

    data = read_dataset(long, spec)
    plan = bootstrap_plan(data, CheckContext(seed=2, replicates=10), ("test",), "participant_id")
    weights = np.concatenate(list(plan(spec.models[0], _design(spec.models[0], data.frame))))
    ids = data.frame["participant_id"].to_numpy()
    first, second = np.arange(200), np.arange(200, 400)
    assert (ids[first] == ids[second]).all() and (weights[:, first] == weights[:, second]).all()
    broken = long.copy()
    broken.loc[3, "participant_id"] = None
    with pytest.raises(InputError, match=r"row \d+, column 'participant_id': empty, but uncertainty.resample_by resamples whole units"):
        _run(broken, long, spec=spec)


def test_the_unfinetuned_demo_run_fails_the_default_recovery_verdict(demo_paths: dict[str, Path]) -> None:
    human = pd.read_csv(demo_paths["human"], comment="#")
    sim = pd.read_csv(demo_paths["unfinetuned"], comment="#")
    _, recovery, _ = _run(human, sim, replicates=200)
    verdict = recovery.default_verdict
    assert verdict is not None and verdict.verdict == "fail"
    assert "6 of 9 significant human findings reversed" in verdict.reason
    assert "m1, m2 not estimable on the simulation (no_variation; a fresh sample always fits them)" in verdict.reason


def test_a_fresh_sample_of_the_human_generator_passes_the_default_recovery_verdict() -> None:
    _, recovery, _ = _run(generate_human(929, seed=20), generate_human(929, seed=21), replicates=200, seed=3)
    verdict = recovery.default_verdict
    assert verdict is not None
    assert verdict.verdict == "pass", verdict.reason
    assert verdict.reason.endswith("within the noise of a fresh human sample of 929 rows, family-wise 95%, 200 resamples")


def test_without_resamples_the_verdict_is_inconclusive_and_says_why() -> None:
    _, recovery, _ = _run(generate_human(929, seed=22), generate_human(929, seed=23))
    assert recovery.default_verdict is not None
    assert recovery.default_verdict.verdict == "inconclusive"
    assert "--bootstrap 0" in recovery.default_verdict.reason


def test_a_model_not_estimable_on_the_human_side_makes_the_verdict_inconclusive() -> None:
    human = _always_attack_t1(generate_human(929, seed=24))
    _, recovery, _ = _run(human, generate_human(929, seed=25), replicates=20)
    assert recovery.default_verdict is not None and recovery.default_verdict.verdict == "inconclusive"
    assert recovery.default_verdict.reason.startswith("not estimable on the human data: m1 (no_variation)")


def test_point_totals_and_replicate_totals_come_from_one_function() -> None:
    from validator.recovery import classify

    point = compare_fits(fit_models(SPEC.models, read_dataset(generate_human(300, seed=26), SPEC).frame), fit_models(SPEC.models, read_dataset(generate_human(300, seed=27), SPEC).frame))
    counts = {o: np.array([sum(c.outcome == o for c in point.coefficients)]) for o in classify.OUTCOMES}
    totals = classify.recovery_totals(counts)
    for key, value in point.summary.to_dict().items():
        assert (value is None and np.isnan(totals[key][0])) or totals[key][0] == pytest.approx(value)


def _labelled(terms: tuple[tuple[str, str], ...]) -> StudySpec:
    study = load_spec("hunt2025")
    models = tuple(replace(m, terms=terms) if m.id == "m2" else m for m in study.models)
    return replace(study, models=models)


def test_a_declared_term_label_is_what_the_coefficient_shows_and_the_formula_term_stays() -> None:
    study = _labelled((("belief_t1", "Belief in Target 1 (%)"),))
    human = generate_human(300, seed=4)
    dataset = read_dataset(human, study, label="human")
    fits = fit_models(study.models, dataset.frame, alpha=study.alpha, correction=study.correction)
    _, result, _ = recovery_part(study, dataset, fits, None, "sim", dataset, CheckContext(seed=1, replicates=0, equal_n_draws=0), study.alpha)
    labels = {(c.model, c.term): c.label for c in result.coefficients}
    assert labels[("m2", "belief_t1")] == "Belief in Target 1 (%)"
    assert labels[("m1", "belief_t1")] == "belief_t1"  # only m2 declared it
    assert result.to_dict()["coefficients"][0]["term"] == result.coefficients[0].term
    assert not result.warnings


def test_a_term_label_naming_no_fitted_term_is_a_warning_that_lists_the_model_terms() -> None:
    study = _labelled((("belief_t3", "nothing"),))
    dataset = read_dataset(generate_human(300, seed=4), study, label="human")
    fits = fit_models(study.models, dataset.frame, alpha=study.alpha, correction=study.correction)
    _, result, _ = recovery_part(study, dataset, fits, None, "sim", dataset, CheckContext(seed=1, replicates=0, equal_n_draws=0), study.alpha)
    assert any("models[1].terms names 'belief_t3', which is no term of model m2" in w and "belief_t1" in w for w in result.warnings)


def test_simulations_of_one_size_share_the_fresh_sample_draws_with_the_same_results() -> None:
    from validator.checks.memo import Memo

    human = read_dataset(generate_human(300, seed=21), SPEC, label="human")
    sims = [read_dataset(generate_human(n, seed=s), SPEC, label="sim") for n, s in ((280, 22), (280, 23), (250, 24), (300, 25))]
    ctx = CheckContext(seed=0, replicates=30, equal_n_draws=5)
    fits = fit_models(SPEC.models, human.frame, alpha=SPEC.alpha, correction=SPEC.correction)
    draws = human_draws(SPEC.models, human, ctx, alpha=SPEC.alpha, correction=SPEC.correction)
    memo: Memo[object] = Memo()
    for sim in sims:
        alone = recovery_part(SPEC, human, fits, draws, "sim", sim, ctx, SPEC.alpha)
        shared = recovery_part(SPEC, human, fits, draws, "sim", sim, ctx, SPEC.alpha, memo)  # type: ignore[arg-type]
        assert shared[1] == alone[1]  # the comparison, its verdict and the verdict's limits
    assert len(memo) == 2  # two sizes drawn: 280 and 250 rows; the human size (300) needs no draws


def test_a_simulation_of_the_human_size_pairs_each_human_replicate_with_the_next() -> None:
    from validator.recovery.check import fresh_sample_null

    human = read_dataset(generate_human(300, seed=21), SPEC, label="human")
    sim = read_dataset(generate_human(300, seed=22), SPEC, label="sim")
    ctx = CheckContext(seed=0, replicates=30, equal_n_draws=0)
    fits = fit_models(SPEC.models, human.frame, alpha=SPEC.alpha, correction=SPEC.correction)
    draws = human_draws(SPEC.models, human, ctx, alpha=SPEC.alpha, correction=SPEC.correction)
    point = recovery_part(SPEC, human, fits, draws, "sim", sim, ctx, SPEC.alpha)[1]
    null = fresh_sample_null(SPEC, human, fits, draws, sim, point, ctx, alpha=SPEC.alpha)
    rolled = draws.rolled(1)
    for model in draws.models:
        np.testing.assert_array_equal(null.fitted[model.model], rolled.model(model.model).estimable)  # type: ignore[union-attr]
        np.testing.assert_array_equal(rolled.model(model.model).estimates[:-1], model.estimates[1:])  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ["finetuned_random", "unfinetuned"])
def test_every_recovery_interval_contains_its_estimate(demo_paths: dict[str, Path], kind: str) -> None:
    human = pd.read_csv(demo_paths["human"], comment="#")
    sim = pd.read_csv(demo_paths[kind], comment="#")
    _, recovery, uncertainty = _run(human, sim, replicates=100, seed=1)
    assert uncertainty is not None
    for name, interval in uncertainty.intervals:
        estimate = getattr(recovery.summary, name)
        if estimate is not None and interval.low is not None and interval.high is not None:
            assert interval.low <= estimate <= interval.high, name
    assert uncertainty.interval("sign_flips").high > 0
