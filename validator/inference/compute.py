"""``compute_inference``: pair the datasets, rectify every model, measure what the simulation is worth.

This is the one pure function the check registry calls:
``compute_inference(human, sim, section, context) -> InferenceResult``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.stats import norm

from validator.checks.context import CheckContext
from validator.errors import InputError
from validator.inference.agreement import compute_agreement
from validator.inference.effective import (
    bootstrap_effective_n,
    effective_n,
    model_effective_n,
    per_coefficient_model_n,
    ppi_correlation,
)
from validator.inference.estimator import (
    Block,
    Gradients,
    PPIData,
    classical,
    covariance_at,
    ppi,
)
from validator.inference.families import (
    CANONICAL_FAMILIES,
    SUPPORTED_FAMILIES,
    FamilyLoss,
)
from validator.inference.pairing import Pairing, pair_datasets
from validator.inference.records import (
    CoefficientInference,
    InferenceResult,
    ModelInference,
)
from validator.inference.section import InferenceSection
from validator.io.ingest import Dataset
from validator.models.design import Design, DesignFailure, build_design
from validator.models.fit import fit_model
from validator.spec.model import ModelSpec

__all__ = ["compute_inference", "rectify_model", "unit_weights"]


def unit_weights(dataset: Dataset, column: str | None, rows: np.ndarray) -> np.ndarray:
    """Survey weights of the units whose (first) rows are ``rows``, normalised to mean 1.

    Without a weight column every unit weighs 1. A missing, negative or non-numeric
    weight is an error naming the file, row and column.
    """
    if column is None or rows.size == 0:
        return np.ones(rows.size)
    if column not in dataset.frame.columns:
        raise InputError(f"the weight column '{column}' named in inference.weight is missing", source=dataset.source, column=column)
    raw = dataset.frame[column].iloc[rows]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"the survey weight must be a non-negative number, not '{raw.iloc[first]}'",
            source=dataset.source,
            row=int(raw.index[first]),
            column=column,
        )
    if values.sum() <= 0:
        raise InputError("every survey weight is zero", source=dataset.source, column=column)
    return np.asarray(values / values.mean(), dtype=float)


def _block(
    family: str, design: Design | None, d: int, positions: np.ndarray, unit_of: np.ndarray, weights: np.ndarray, n_units: int
) -> Block:
    """The rows of ``design`` that belong to units (``unit_of[position] >= 0``)."""
    if design is None or design.rows is None:
        empty = np.zeros((0, d))
        return Block(FamilyLoss(family, empty, np.zeros(0)), np.zeros(0), np.zeros(0, dtype=np.int64), n_units)  # type: ignore[arg-type]
    lookup = np.full(max(int(unit_of.size), 1), -1, dtype=np.int64)
    lookup[: unit_of.size] = unit_of
    units = lookup[design.rows]
    keep = units >= 0
    rows_per_unit = np.bincount(unit_of[unit_of >= 0], minlength=n_units) if unit_of.size else np.zeros(n_units)
    unit = units[keep]
    # A persona's several simulated draws are averaged: each row weighs 1 / (its unit's rows).
    weight = weights[unit] / np.maximum(rows_per_unit[unit], 1)
    loss = FamilyLoss(family, design.exog[keep], np.asarray(design.endog, dtype=float)[keep])  # type: ignore[arg-type]
    return Block(loss, weight, unit, n_units)


def _unit_index(frame_length: int, rows: np.ndarray, units: np.ndarray) -> np.ndarray:
    unit_of = np.full(frame_length, -1, dtype=np.int64)
    unit_of[rows] = units
    return unit_of


def _shared_covariates(human: Design, sim: Design, pairing: Pairing) -> bool:
    """True when every pair's simulated rows carry exactly the human row's covariates (and subset membership)."""
    if human.rows is None or sim.rows is None:
        return False
    h_pos = {int(p): i for i, p in enumerate(human.rows)}
    s_pos = {int(p): i for i, p in enumerate(sim.rows)}
    for unit, h_row in enumerate(pairing.human_rows):
        sim_rows = pairing.sim_rows[pairing.sim_unit == unit]
        in_h = int(h_row) in h_pos
        for s_row in sim_rows:
            in_s = int(s_row) in s_pos
            if in_h != in_s:
                return False
            if in_h and not np.array_equal(human.exog[h_pos[int(h_row)]], sim.exog[s_pos[int(s_row)]]):
                return False
    return True


def _not_rectified(model: ModelSpec, status: str, reason: str, detail: str, pairing: Pairing) -> ModelInference:
    return ModelInference(
        model.id, model.label, model.family, status, reason, detail,  # type: ignore[arg-type]
        n_human=pairing.n, n_unlabeled=pairing.n_unlabeled,
    )


def rectify_model(
    model: ModelSpec,
    human: Dataset,
    sim: Dataset,
    pairing: Pairing,
    *,
    level: float,
    power_tuning: bool,
    weight: str | None,
    context: CheckContext,
    sim_label: str = "",
    tuning: str = "coefficient",
) -> ModelInference:
    """The classical and PPI++ estimates of one model, with effective sample sizes."""
    if model.family not in SUPPORTED_FAMILIES:
        return _not_rectified(
            model, "unsupported", "unsupported_family",
            f"a {model.family} model is not rectified (its Hessian is not a per-row multiple of x x')", pairing,
        )
    if pairing.n < 3:
        return _not_rectified(model, "not_estimable", "too_few_pairs", f"only {pairing.n} human rows have a simulated partner", pairing)
    # Estimability on the paired humans, with simval's separation checks, and a start value.
    human_fit = fit_model(model, human.frame.iloc[pairing.human_rows])
    if not human_fit.estimable:
        return _not_rectified(model, "not_estimable", human_fit.reason or "fit_error", human_fit.detail or "", pairing)
    h_design = build_design(model, human.frame)
    s_design = build_design(model, sim.frame)
    if isinstance(h_design, DesignFailure):
        return _not_rectified(model, "not_estimable", h_design.reason, h_design.detail, pairing)
    s_usable: Design | None = None
    if isinstance(s_design, DesignFailure):
        if s_design.reason != "too_few_rows":
            return _not_rectified(model, "not_estimable", s_design.reason, f"on the simulated data: {s_design.detail}", pairing)
    elif s_design.terms != h_design.terms:
        return _not_rectified(
            model, "not_estimable", "design_mismatch",
            "the simulated data's design has other columns than the human data's", pairing,
        )
    else:
        s_usable = s_design
    d = len(h_design.terms)
    n, big_n = pairing.n, pairing.n_unlabeled
    w_labeled = unit_weights(human, weight, pairing.human_rows)
    first_unlabeled = np.array(
        [pairing.unlabeled_rows[np.flatnonzero(pairing.unlabeled_unit == u)[0]] for u in range(big_n)], dtype=np.int64
    )
    w_unlabeled = unit_weights(sim, weight, first_unlabeled)
    family = model.family
    human_block = _block(
        family, h_design, d, pairing.human_rows,
        _unit_index(len(human.frame), pairing.human_rows, np.arange(n)), w_labeled, n,
    )
    paired_block = _block(
        family, s_usable, d, pairing.sim_rows, _unit_index(len(sim.frame), pairing.sim_rows, pairing.sim_unit), w_labeled, n
    )
    unlabeled_block = _block(
        family, s_usable, d, pairing.unlabeled_rows,
        _unit_index(len(sim.frame), pairing.unlabeled_rows, pairing.unlabeled_unit), w_unlabeled, big_n,
    )
    shared = s_usable is not None and _shared_covariates(h_design, s_usable, pairing)
    pooled = shared and family in CANONICAL_FAMILIES
    data = PPIData(human_block, paired_block, unlabeled_block, pooled_hessian=pooled, closed_form=pooled and family == "ols")
    start = np.array([c.estimate for c in human_fit.coefficients], dtype=float)
    per_coefficient = tuning == "coefficient" and power_tuning and big_n > 0
    try:
        cl = classical(data, start)
        est = ppi(data, cl.theta, lam=None if power_tuning else 1.0)
        cov_ppi, g_ppi, a_inv = covariance_at(data, est.theta, est.lam)
        _, g_cl, _ = covariance_at(data, cl.theta, 0.0)
        theta, lams = est.theta.copy(), np.full(d, est.lam)
        g_each: list[Gradients] = []
        if per_coefficient:
            # One fit per coefficient, each tuned for its own variance (ppi-python's coord).
            cov_ppi = cov_ppi.copy()
            converged = est.converged
            for j in range(d):
                est_j = ppi(data, est.theta, coord=j)
                cov_j, g_j, _ = covariance_at(data, est_j.theta, est_j.lam)
                theta[j], lams[j], cov_ppi[j, j] = est_j.theta[j], est_j.lam, cov_j[j, j]
                converged &= est_j.converged
                g_each.append(g_j)
            est = replace(est, theta=theta, converged=converged)
    except np.linalg.LinAlgError:
        return _not_rectified(model, "not_estimable", "singular_design", "the Hessian of the rectified loss is singular", pairing)
    z = float(norm.ppf(0.5 + level / 2.0))
    se_cl = np.sqrt(np.diag(cl.cov))
    se_ppi = np.sqrt(np.diag(cov_ppi))
    n_eff = effective_n(n, cl.cov, cov_ppi)
    rho = ppi_correlation(g_ppi, a_inv)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_ppi = 2.0 * norm.sf(np.abs(est.theta / se_ppi))
    coefficients = tuple(
        CoefficientInference(
            term=term,
            classical_estimate=float(cl.theta[j]),
            classical_se=float(se_cl[j]),
            classical_low=float(cl.theta[j] - z * se_cl[j]),
            classical_high=float(cl.theta[j] + z * se_cl[j]),
            ppi_estimate=float(est.theta[j]),
            ppi_se=float(se_ppi[j]),
            ppi_low=float(est.theta[j] - z * se_ppi[j]),
            ppi_high=float(est.theta[j] + z * se_ppi[j]),
            ppi_p_value=float(p_ppi[j]),
            lam=float(lams[j]),
            effective_n=float(n_eff[j]),
            ppi_correlation=float(rho[j]),
        )
        for j, term in enumerate(h_design.terms)
    )
    boot = bootstrap_effective_n(
        g_each if per_coefficient else g_ppi, g_cl, lam=est.lam, power_tuning=power_tuning, pooled=pooled,
        replicates=context.replicates, level=context.level, rng=context.rng("inference", sim_label, model.id),
    )
    return ModelInference(
        model=model.id,
        label=model.label,
        family=model.family,
        status="ok",
        n_human=n,
        n_unlabeled=big_n,
        lam=None if per_coefficient else est.lam,
        pooled_hessian=pooled,
        converged=cl.converged and est.converged,
        effective_n=per_coefficient_model_n(n, n_eff / n) if per_coefficient else model_effective_n(n, cl.cov, cov_ppi),
        effective_n_low=boot.low,
        effective_n_high=boot.high,
        additional_n_low=None if boot.low is None else boot.low - n,
        additional_n_high=None if boot.high is None else boot.high - n,
        coefficients=coefficients,
    )


def compute_inference(
    human: Dataset,
    sim: Dataset,
    section: InferenceSection,
    context: CheckContext,
    *,
    labeled: frozenset[str] | None = None,
) -> InferenceResult:
    """Pair ``sim`` with ``human`` by ``section.key`` and rectify the section's models.

    ``labeled`` restricts the labeled personas to these keys (the pilot check).
    """
    pairing = pair_datasets(human, sim, section.key, persona=section.persona, labeled=labeled)
    level = section.level
    chosen = list(section.models)
    results = tuple(
        rectify_model(
            model, human, sim, pairing, level=level, power_tuning=section.power_tuning,
            weight=section.weight, context=context, sim_label=sim.label, tuning=section.tuning,
        )
        for model in chosen
    )
    variables = section.agreement.variables or tuple(dict.fromkeys(_outcome(m) for m in chosen))
    agreement = compute_agreement(
        human, sim, pairing, variables, section.agreement.by, context=context
    )
    return InferenceResult(
        key=section.key,
        level=level,
        power_tuning=section.power_tuning,
        weight=section.weight,
        replicates=context.replicates,
        pairing=pairing.counts,
        models=results,
        agreement=agreement,
        tuning=section.tuning,
    )


def _outcome(model: ModelSpec) -> str:
    return model.formula.split("~", 1)[0].strip()
