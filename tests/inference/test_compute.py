"""compute_inference end to end on datasets: parity with ppi-python through the design, records, JSON."""

from __future__ import annotations

import json
from dataclasses import replace

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
def test_informative_simulation_gives_more_than_the_humans(spec: StudySpec, demo_frames, tuning: str) -> None:  # type: ignore[no-untyped-def]
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
