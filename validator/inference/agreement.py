"""Individual-level agreement between each human and the simulation of their persona.

For every variable, over the pairs (a human row and one of its simulated partner rows):

- categorical (categories, booleans, text): the proportion of pairs with the same answer,
  and Cohen's kappa ``(p_o - p_e) / (1 - p_e)`` with ``p_e = sum_k p_human,k p_sim,k``
  (point estimate from ``statsmodels.stats.inter_rater.cohens_kappa``);
- numeric: Pearson's correlation (``scipy.stats.pearsonr``) and the mean absolute error.

Overall and within each subgroup of the human row's value of a ``by`` variable. Intervals
are bootstrap percentiles that resample personas, so a human and their simulated rows
always move together (Argyle et al. 2023 report these measures for silicon samples; the
Twin-2K-500 study reports them per question). The replicates use the vectorised kernels
below, which the tests compare with statsmodels and scipy at unit weights.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import pearsonr
from statsmodels.stats.inter_rater import cohens_kappa

from validator.checks.context import CheckContext
from validator.inference.pairing import Pairing
from validator.inference.records import AgreementRow
from validator.io.ingest import Dataset

__all__ = ["compute_agreement", "weighted_agreement", "weighted_correlation", "weighted_kappa", "weighted_mae"]


def weighted_agreement(weights: np.ndarray, same: np.ndarray) -> np.ndarray:
    """Share of agreeing pairs for each row of ``weights`` (replicates x pairs)."""
    return np.asarray((weights @ same) / weights.sum(axis=1), dtype=float)


def weighted_kappa(weights: np.ndarray, human: np.ndarray, sim: np.ndarray, n_codes: int) -> np.ndarray:
    """Cohen's kappa for each row of ``weights``; ``human``/``sim`` are integer codes."""
    total = weights.sum(axis=1)
    same = (human == sim).astype(float)
    p_o = (weights @ same) / total
    eye = np.eye(n_codes)
    p_h = (weights @ eye[human]) / total[:, None]
    p_s = (weights @ eye[sim]) / total[:, None]
    p_e = (p_h * p_s).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray((p_o - p_e) / (1.0 - p_e), dtype=float)


def weighted_correlation(weights: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson's correlation for each row of ``weights``."""
    total = weights.sum(axis=1)
    mx, my = (weights @ x) / total, (weights @ y) / total
    sxy = (weights @ (x * y)) / total - mx * my
    sxx = (weights @ (x * x)) / total - mx * mx
    syy = (weights @ (y * y)) / total - my * my
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(sxy / np.sqrt(sxx * syy), dtype=float)


def weighted_mae(weights: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean absolute error for each row of ``weights``."""
    return np.asarray((weights @ np.abs(x - y)) / weights.sum(axis=1), dtype=float)


def _is_numeric(values: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype))


def _interval(replicates: np.ndarray, level: float) -> tuple[float | None, float | None]:
    finite = replicates[np.isfinite(replicates)]
    if finite.size < max(2, replicates.size // 2):
        return None, None
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(finite, [tail, 1.0 - tail])
    return float(low), float(high)


def _rows_for(
    variable: str,
    h: pd.Series,
    s: pd.Series,
    units: np.ndarray,
    weights: np.ndarray | None,
    group_by: str | None,
    group: str | None,
    level: float,
) -> list[AgreementRow]:
    n_pairs = len(h)
    boot = weights[:, units] if weights is not None else None
    out: list[AgreementRow] = []
    if n_pairs < 2:
        return out
    if _is_numeric(h) and _is_numeric(s):
        x, y = h.to_numpy(dtype=float), s.to_numpy(dtype=float)
        corr = float(pearsonr(x, y).statistic) if np.std(x) > 0 and np.std(y) > 0 else float("nan")
        mae = float(np.mean(np.abs(x - y)))
        stats = [("correlation", corr, weighted_correlation), ("mae", mae, weighted_mae)]
        for name, value, kernel in stats:
            low, high = _interval(kernel(boot, x, y), level) if boot is not None else (None, None)
            out.append(AgreementRow(variable, name, group_by, group, n_pairs, value, low, high))
        return out
    labels = sorted(set(map(str, h)) | set(map(str, s)))
    code = {label: i for i, label in enumerate(labels)}
    hc = np.array([code[str(v)] for v in h], dtype=np.int64)
    sc = np.array([code[str(v)] for v in s], dtype=np.int64)
    same = (hc == sc).astype(float)
    table = np.zeros((len(labels), len(labels)))
    np.add.at(table, (hc, sc), 1.0)
    kappa = float(cohens_kappa(table, return_results=False)) if len(labels) > 1 else float("nan")
    rows = [("agreement", float(same.mean())), ("kappa", kappa)]
    for name, value in rows:
        if boot is None:
            low, high = None, None
        elif name == "agreement":
            low, high = _interval(weighted_agreement(boot, same), level)
        else:
            low, high = _interval(weighted_kappa(boot, hc, sc, len(labels)), level)
        out.append(AgreementRow(variable, name, group_by, group, n_pairs, value, low, high))
    return out


def _group_label(value: object) -> str | None:
    """A subgroup's name: ``1`` rather than ``1.0`` for whole numbers."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def compute_agreement(
    human: Dataset,
    sim: Dataset,
    pairing: Pairing,
    variables: Sequence[str],
    by: Sequence[str],
    *,
    context: CheckContext,
) -> tuple[AgreementRow, ...]:
    """Agreement rows for every variable present in both datasets, overall then by subgroup."""
    if pairing.n == 0:
        return ()
    h_rows = pairing.human_rows[pairing.sim_unit]
    s_rows = pairing.sim_rows
    units = pairing.sim_unit
    weights = None
    if context.replicates > 0:
        rng = context.rng("inference-agreement", sim.label)
        weights = rng.multinomial(pairing.n, np.full(pairing.n, 1.0 / pairing.n), size=context.replicates).astype(float)
    out: list[AgreementRow] = []
    for variable in variables:
        if variable not in human.frame.columns or variable not in sim.frame.columns:
            continue
        h_all = human.frame[variable].iloc[h_rows].reset_index(drop=True)
        s_all = sim.frame[variable].iloc[s_rows].reset_index(drop=True)
        present = (h_all.notna() & s_all.notna()).to_numpy()
        if _is_numeric(h_all) != _is_numeric(s_all):
            continue
        h_all, s_all, u_all = h_all[present], s_all[present], units[present]
        out.extend(_rows_for(variable, h_all, s_all, u_all, weights, None, None, context.level))
        for column in by:
            if column not in human.frame.columns:
                continue
            groups = human.frame[column].iloc[h_rows].reset_index(drop=True)[present]
            labels = groups.map(_group_label)
            for group in sorted(labels.dropna().unique()):
                mask = (labels == group).to_numpy()
                out.extend(
                    _rows_for(variable, h_all[mask], s_all[mask], u_all[mask], weights, column, group, context.level)
                )
    return tuple(out)
