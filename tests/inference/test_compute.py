"""compute_inference end to end on datasets: parity with ppi-python through the design, records, JSON."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Literal

import numpy as np
import pytest

from validator.checks.context import CheckContext
from validator.inference.compute import compute_inference
from validator.inference.section import default_section
from validator.models.design import build_design
from validator.spec.model import ModelSpec, StudySpec

ROW_KEYS = {
    "term", "classical_estimate", "classical_low", "classical_high", "ppi_estimate", "ppi_low", "ppi_high",
    "lambda", "effective_n",
}


def test_json_block_rows_carry_the_required_keys(spec: StudySpec, demo_datasets) -> None:  # type: ignore[no-untyped-def]
    human, sim = demo_datasets
    result = compute_inference(human, sim, default_section(spec, "participant_id"), CheckContext(replicates=50))
    block = json.loads(json.dumps(result.to_dict()))
    assert block["pairing"]["pairs"] == 400 and block["pairing"]["unlabeled_units"] == 1200
    for model in block["models"]:
        assert model["status"] == "ok"
        for row in model["coefficients"]:
            assert ROW_KEYS <= set(row)
    assert all("worth about" in line for line in result.summary_lines())


def test_same_seed_same_json(spec: StudySpec, demo_datasets) -> None:  # type: ignore[no-untyped-def]
    human, sim = demo_datasets
    section = replace(default_section(spec, "participant_id"), models=(spec.model("m1"),))
    first = compute_inference(human, sim, section, CheckContext(seed=4, replicates=30)).to_dict()
    second = compute_inference(human, sim, section, CheckContext(seed=4, replicates=30)).to_dict()
    assert json.dumps(first) == json.dumps(second)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_shared_covariates_reduce_to_ppi_python(spec: StudySpec, demo_datasets) -> None:  # type: ignore[no-untyped-def]
    ppi_py = pytest.importorskip("ppi_py")
    human, sim = demo_datasets
    # Valuation and disclosure are copied from the persona, so the covariates are shared.
    model = ModelSpec(id="mv", label="mv", family="logit", formula="abort ~ v2 + disclosure")
    # One lambda per model is ppi-python's lam=None.
    section = replace(default_section(spec, "participant_id"), models=(model,), tuning="model")
    result = compute_inference(human, sim, section, CheckContext(replicates=0)).model("mv")
    assert result.pooled_hessian
    h = build_design(model, human.frame)
    s = build_design(model, sim.frame)
    x, y = h.exog, h.endog  # type: ignore[union-attr]
    yhat = s.endog[:400]  # type: ignore[union-attr]
    low, high = ppi_py.ppi_logistic_ci(x, y, yhat, s.exog[400:], s.endog[400:], alpha=0.05, lam=None)  # type: ignore[union-attr]
    ours = np.array([[c.ppi_estimate, c.ppi_low, c.ppi_high] for c in result.coefficients])
    np.testing.assert_allclose(ours[:, 0], (low + high) / 2, atol=1e-6, rtol=0)
    np.testing.assert_allclose(ours[:, 1], low, atol=1e-4, rtol=0)
    np.testing.assert_allclose(ours[:, 2], high, atol=1e-4, rtol=0)


def test_mnlogit_is_reported_unsupported(spec: StudySpec, demo_datasets) -> None:  # type: ignore[no-untyped-def]
    human, sim = demo_datasets
    model = ModelSpec(id="mn", label="mn", family="mnlogit", formula="decision ~ belief_t1")
    section = replace(default_section(spec, "participant_id"), models=(model,))
    result = compute_inference(human, sim, section, CheckContext(replicates=0)).model("mn")
    assert (result.status, result.reason) == ("unsupported", "unsupported_family")
    assert "not rectified" in result.summary_line()


def test_probit_is_rectified_with_the_human_hessian(spec: StudySpec, demo_datasets) -> None:  # type: ignore[no-untyped-def]
    human, sim = demo_datasets
    model = ModelSpec(id="pr", label="pr", family="probit", formula="abort ~ v2")
    section = replace(default_section(spec, "participant_id"), models=(model,))
    result = compute_inference(human, sim, section, CheckContext(replicates=0)).model("pr")
    assert result.status == "ok" and not result.pooled_hessian


@pytest.mark.parametrize("tuning", ["model", "coefficient"])
def test_informative_simulation_gives_more_than_the_humans(spec: StudySpec, demo_frames, tuning: Literal["model", "coefficient"]) -> None:  # type: ignore[no-untyped-def]
    from validator.api import read_dataset

    human, sim = demo_frames
    twin = sim.copy()
    # Twins: the labeled personas' simulations copy their human's answers.
    answer_columns = ["pre_choice", "belief_t1", "belief_t2", "belief_both", "decision"]
    twin.loc[:399, answer_columns] = human[answer_columns].to_numpy()
    h, s = read_dataset(human, spec, label="h"), read_dataset(twin, spec, label="s")
    section = replace(default_section(spec, "participant_id"), models=(spec.model("m1"),), tuning=tuning)
    result = compute_inference(h, s, section, CheckContext(replicates=20)).model("m1")
    assert result.effective_n is not None and result.effective_n > 1.5 * result.n_human
    assert result.effective_n_low is not None and result.effective_n_low < result.effective_n < result.effective_n_high  # type: ignore[operator]
    lams = {c.lam for c in result.coefficients}
    assert len(lams) == (1 if tuning == "model" else 3)


def test_a_bad_survey_weight_names_file_row_and_column(spec: StudySpec, demo_frames) -> None:  # type: ignore[no-untyped-def]
    from validator.api import read_dataset
    from validator.errors import InputError

    human, sim = demo_frames
    human = human.assign(w=1.0)
    human.loc[4, "w"] = -2.0
    h, s = read_dataset(human, spec, label="h.csv"), read_dataset(sim.assign(w=1.0), spec, label="s.csv")
    section = replace(default_section(spec, "participant_id"), models=(spec.model("m1"),), weight="w")
    with pytest.raises(InputError, match=r"^h\.csv, row 5, column 'w': the survey weight must be a non-negative number, not '-2.0'"):
        compute_inference(h, s, section, CheckContext(replicates=0))


def test_equal_survey_weights_change_nothing(spec: StudySpec, demo_frames) -> None:  # type: ignore[no-untyped-def]
    from validator.api import read_dataset

    human, sim = demo_frames
    h, s = read_dataset(human.assign(w=3.0), spec, label="h"), read_dataset(sim.assign(w=3.0), spec, label="s")
    base = replace(default_section(spec, "participant_id"), models=(spec.model("m1"),))
    plain = compute_inference(h, s, base, CheckContext(replicates=0)).model("m1")
    weighted = compute_inference(h, s, replace(base, weight="w"), CheckContext(replicates=0)).model("m1")
    for a, b in zip(plain.coefficients, weighted.coefficients):
        assert a.ppi_estimate == pytest.approx(b.ppi_estimate, abs=1e-10)
        assert a.ppi_se == pytest.approx(b.ppi_se, rel=1e-8)


def test_gate_values_per_model(spec: StudySpec, demo_datasets) -> None:  # type: ignore[no-untyped-def]
    human, sim = demo_datasets
    section = replace(default_section(spec, "participant_id"), models=(spec.model("m1"),))
    values = compute_inference(human, sim, section, CheckContext(replicates=10)).gate_values()
    assert set(values) == {"inference.m1.effective_n", "inference.m1.additional_n", "inference.m1.effective_ratio"}
    value, low, high = values["inference.m1.effective_n"]
    assert value is not None and low is not None and high is not None and low <= high


def test_a_poor_simulation_never_blows_up_the_interval(spec: StudySpec) -> None:
    """Regression: this draw once gave a 7.5x wider belief_t1 interval, from a rectified fit
    started at the (unbounded) lambda = 1 estimate that never converged."""
    from validator.api import read_dataset
    from validator.demo.generate import generate_human, generate_simulated

    rng = np.random.default_rng((2026, 97))
    human = generate_human(929, seed=10_097)
    sim = generate_simulated("finetuned_random", human, seed=10_097)
    labeled = frozenset(str(i) for i in rng.choice(929, size=232, replace=False) + 1)
    h, s = read_dataset(human, spec, label="h"), read_dataset(sim, spec, label="s")
    section = replace(default_section(spec, "participant_id"), models=(spec.model("m2"),))
    result = compute_inference(h, s, section, CheckContext(replicates=0), labeled=labeled).model("m2")
    assert result.status == "ok" and result.converged
    for c in result.coefficients:
        assert (c.ppi_high - c.ppi_low) / (c.classical_high - c.classical_low) < 1.2, c.term
