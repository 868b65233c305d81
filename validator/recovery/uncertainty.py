"""Uncertainty of coefficient recovery: bootstrap intervals and recovery at equal n.

Each bootstrap replicate resamples the human rows and the simulated rows
independently, refits every model on both (all replicates at once, see
:mod:`validator.bootstrap.batched`), classifies every coefficient exactly as
the point estimate does (STUDY.md) and computes the totals and FPR, FNR,
F1(Sign) and strict F1. A model not estimable on a replicate leaves that
replicate's totals, as it leaves the point estimate's. The percentile
intervals of those replicate values are reported.

Significance grows with n alone. When the simulated dataset is larger than the
human one, the simulated rows are also subsampled without replacement to the
human n (``equal_n_draws`` times) and the recovery metrics are recomputed
against the full human fits: their mean and percentile range over draws.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from validator.bootstrap.batched import fit_batched
from validator.bootstrap.weights import Interval, bootstrap_weights, percentile_interval, subsample_weights
from validator.checks.context import CheckContext
from validator.io.ingest import Dataset
from validator.models.design import Design, build_design
from validator.models.rules import adjust_p_values
from validator.models.types import ModelFit
from validator.recovery.records import SUMMARY_KEYS, RecoveryResult
from validator.spec.model import CorrectionSpec, ModelSpec

#: The recovery totals and rates that get intervals, in the order of the JSON block.
RECOVERY_STATISTICS = SUMMARY_KEYS


@dataclass(frozen=True)
class CoefficientDraws:
    """Per replicate (rows) and coefficient (columns): estimable, significant, sign."""

    keys: tuple[tuple[str, str], ...]
    valid: np.ndarray
    significant: np.ndarray
    sign: np.ndarray

    def columns(self, keys: Sequence[tuple[str, str]]) -> CoefficientDraws:
        index = {key: i for i, key in enumerate(self.keys)}
        picks = [index.get(key, -1) for key in keys]
        # dtype=bool even when ``keys`` is empty (no coefficient compared, e.g. a
        # simulation whose every participant made the same decision): an empty
        # np.array is float64, and '&' with a float array is a TypeError.
        present = np.array([p >= 0 for p in picks], dtype=bool)
        if not self.keys:  # nothing estimable in any replicate: every key is absent
            shape = (self.valid.shape[0], len(keys))
            return CoefficientDraws(tuple(keys), np.zeros(shape, dtype=bool), np.zeros(shape, dtype=bool), np.zeros(shape))
        take = np.array([p if p >= 0 else 0 for p in picks], dtype=int)
        return CoefficientDraws(
            tuple(keys),
            self.valid[:, take] & present,
            self.significant[:, take],
            self.sign[:, take],
        )


def _adjust(p_values: np.ndarray, valid: np.ndarray, correction: CorrectionSpec, groups: Sequence[slice]) -> np.ndarray:
    """Apply the spec's multiple-comparison correction to each replicate's p-values (all replicates at once)."""
    spans: Sequence[slice] = groups if correction.scope == "model" else [slice(0, p_values.shape[1])]
    return adjust_p_values(np.where(valid, p_values, np.nan), spans, correction.method)


def _used_rows(design: Design, position: np.ndarray, weights: np.ndarray, used: np.ndarray | None) -> tuple[Design, np.ndarray]:
    """The design restricted to the rows some replicate of the chunk uses, and their weights.

    ``position`` maps a frame row to its row in the design (-1: not in the design);
    ``used`` lists the frame rows with a non-zero weight in some replicate (None: all).
    A row with weight zero in every replicate contributes nothing to any fit; dropping
    it makes subsamples of a large dataset (equal-n comparisons) cheap.
    """
    if design.rows is None:
        return design, weights
    if used is None:
        return design, weights[:, design.rows]
    keep = position[used]
    keep = keep[keep >= 0]
    rows = design.rows[keep]
    from dataclasses import replace

    reduced = replace(
        design,
        exog=design.exog[keep],
        endog=design.endog[keep],
        groups=None if design.groups is None else design.groups[keep],
        rows=rows,
    )
    return reduced, weights[:, rows]


def coefficient_draws(
    models: Sequence[ModelSpec],
    dataset: Dataset,
    weight_chunks: Iterator[np.ndarray],
    *,
    alpha: float,
    correction: CorrectionSpec,
) -> CoefficientDraws:
    """Refit every model on each replicate given as row weights; significance and sign per coefficient."""
    frame = dataset.frame
    designs: list[tuple[ModelSpec, Design | None, np.ndarray]] = []
    for model in models:
        built = build_design(model, frame)
        position = np.full(len(frame), -1)
        if isinstance(built, Design) and built.rows is not None:
            position[built.rows] = np.arange(len(built.rows))
        designs.append((model, built if isinstance(built, Design) else None, position))
    chunks_valid: list[np.ndarray] = []
    chunks_sig: list[np.ndarray] = []
    chunks_sign: list[np.ndarray] = []
    keys: list[tuple[str, str]] | None = None
    starts: dict[str, np.ndarray] = {}
    for weights in weight_chunks:
        b = weights.shape[0]
        used = np.flatnonzero(weights.any(axis=0))
        sparse_chunk = used if used.size < 0.5 * weights.shape[1] else None
        estimates: list[np.ndarray] = []
        p_values: list[np.ndarray] = []
        valid: list[np.ndarray] = []
        chunk_keys: list[tuple[str, str]] = []
        spans: list[slice] = []
        start = 0
        for model, design, position in designs:
            if design is None:
                continue
            used_design, used_weights = _used_rows(design, position, weights, sparse_chunk)
            batched = fit_batched(used_design, model.family, used_weights, cov_type=model.cov_type, start=starts.get(model.id))
            if model.id not in starts and batched.estimable.any():
                # Later chunks start Newton from the typical estimate of this one instead of
                # refitting the full data first: the same optimum, fewer fits.
                starts[model.id] = np.median(batched.params[batched.estimable], axis=0)
            est, p, ok, terms = batched.params, batched.p_values, batched.estimable, batched.terms
            if not terms:
                continue
            estimates.append(est)
            p_values.append(p)
            valid.append(np.repeat(ok[:, None], len(terms), axis=1))
            chunk_keys.extend((model.id, term) for term in terms)
            spans.append(slice(start, start + len(terms)))
            start += len(terms)
        if keys is None:
            keys = chunk_keys
        if not chunk_keys:
            chunks_valid.append(np.zeros((b, 0), bool))
            chunks_sig.append(np.zeros((b, 0), bool))
            chunks_sign.append(np.zeros((b, 0)))
            continue
        est_all = np.concatenate(estimates, axis=1)
        p_all = _adjust(np.concatenate(p_values, axis=1), np.concatenate(valid, axis=1), correction, spans)
        ok_all = np.concatenate(valid, axis=1) & np.isfinite(p_all) & np.isfinite(est_all)
        chunks_valid.append(ok_all)
        chunks_sig.append(ok_all & (np.nan_to_num(p_all, nan=1.0) < alpha))
        chunks_sign.append(np.sign(np.nan_to_num(est_all)))
    return CoefficientDraws(
        tuple(keys or ()),
        np.concatenate(chunks_valid),
        np.concatenate(chunks_sig),
        np.concatenate(chunks_sign),
    )


def recovery_statistics(human: CoefficientDraws, sim: CoefficientDraws) -> dict[str, np.ndarray]:
    """Per replicate, the recovery totals and rates of STUDY.md (paper's convention, strict F1 beside)."""
    valid = human.valid & sim.valid
    hs, ss = human.significant & valid, sim.significant & valid
    same = human.sign == sim.sign
    tp = (hs & ss & same).sum(axis=1).astype(float)
    flips = (hs & ss & ~same).sum(axis=1).astype(float)
    fp = (~hs & ss & valid).sum(axis=1).astype(float)
    fn = (hs & ~ss).sum(axis=1).astype(float)
    tn = (~hs & ~ss & valid).sum(axis=1).astype(float)

    def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)

    return {
        "n_coefficients": valid.sum(axis=1).astype(float),
        "n_reference_significant": tp + fn + flips,
        "n_sim_significant": tp + fp + flips,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "sign_flips": flips,
        "fpr": ratio(fp, fp + tn),
        "fnr": ratio(fn, tp + fn + flips),
        "f1_sign": ratio(2 * tp, 2 * tp + fp + fn),
        "f1_strict": ratio(2 * tp, 2 * tp + fp + fn + 2 * flips),
    }


@dataclass(frozen=True)
class EqualNRecovery:
    """Recovery metrics with the simulated data subsampled to the human n: mean and range over draws."""

    n: int
    draws: int
    level: float
    statistics: tuple[tuple[str, float | None, Interval], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "draws": self.draws,
            **{name: {"mean": mean, "low": interval.low, "high": interval.high} for name, mean, interval in self.statistics},
        }


@dataclass(frozen=True)
class RecoveryUncertainty:
    """Bootstrap intervals of the recovery totals and rates, and recovery at equal n."""

    replicates: int
    level: float
    intervals: tuple[tuple[str, Interval], ...]
    equal_n: EqualNRecovery | None

    def interval(self, name: str) -> Interval:
        return dict(self.intervals)[name]

    def to_dict(self) -> dict[str, Any]:
        return {
            "replicates": self.replicates,
            "level": self.level,
            "intervals": {name: {"low": i.low, "high": i.high, "valid": i.valid} for name, i in self.intervals},
            "equal_n": self.equal_n.to_dict() if self.equal_n else None,
        }


def point_draws(fits: Sequence[ModelFit], alpha: float) -> CoefficientDraws:
    """The point estimates as a single 'replicate' (for equal-n comparisons against full data)."""
    keys, sig, sign = [], [], []
    for fit in fits:
        if not fit.estimable:
            continue
        for c in fit.coefficients:
            keys.append((fit.model, c.term))
            sig.append(np.isfinite(c.p_adjusted) and c.p_adjusted < alpha)
            sign.append(np.sign(c.estimate) if np.isfinite(c.estimate) else 0.0)
    n = len(keys)
    return CoefficientDraws(tuple(keys), np.ones((1, n), bool), np.array([sig], bool).reshape(1, n), np.array([sign], float).reshape(1, n))


def human_draws(models: Sequence[ModelSpec], human: Dataset, ctx: CheckContext, *, alpha: float, correction: CorrectionSpec) -> CoefficientDraws:
    """Bootstrap replicates of the human fits, computed once and shared by every simulated dataset."""
    chunks = bootstrap_weights(len(human.frame), ctx.replicates, ctx.rng("recovery", "human"))
    return coefficient_draws(models, human, chunks, alpha=alpha, correction=correction)


def recovery_uncertainty(
    models: Sequence[ModelSpec],
    human: Dataset,
    human_fits: Sequence[ModelFit],
    human_replicates: CoefficientDraws | None,
    sim: Dataset,
    point: RecoveryResult,
    ctx: CheckContext,
    *,
    alpha: float,
    correction: CorrectionSpec,
    key: str,
) -> RecoveryUncertainty | None:
    """Intervals for the recovery block of one simulated dataset, and its equal-n recovery."""
    compared = tuple((c.model, c.term) for c in point.coefficients)
    intervals: tuple[tuple[str, Interval], ...] = ()
    if ctx.replicates and human_replicates is not None:
        sim_replicates = coefficient_draws(
            models, sim, bootstrap_weights(len(sim.frame), ctx.replicates, ctx.rng("recovery", key)), alpha=alpha, correction=correction
        )
        stats = recovery_statistics(human_replicates.columns(compared), sim_replicates.columns(compared))
        intervals = tuple((name, percentile_interval(stats[name], ctx.level)) for name in RECOVERY_STATISTICS)
    equal = None
    n_h, n_s = len(human.frame), len(sim.frame)
    if n_s > n_h and ctx.equal_n_draws:
        draws = ctx.equal_n_draws
        sub = coefficient_draws(
            models, sim, subsample_weights(n_s, n_h, draws, ctx.rng("recovery_equal_n", key)), alpha=alpha, correction=correction
        )
        reference = point_draws(human_fits, alpha)
        repeated = CoefficientDraws(
            reference.keys,
            np.repeat(reference.valid, draws, axis=0),
            np.repeat(reference.significant, draws, axis=0),
            np.repeat(reference.sign, draws, axis=0),
        )
        stats = recovery_statistics(repeated.columns(compared), sub.columns(compared))
        equal = EqualNRecovery(
            n=n_h,
            draws=draws,
            level=ctx.level,
            statistics=tuple(
                (name, float(np.nanmean(stats[name])) if np.isfinite(stats[name]).any() else None, percentile_interval(stats[name], ctx.level))
                for name in ("f1_sign", "fpr", "fnr", "f1_strict", "sign_flips")
            ),
        )
    if not intervals and equal is None:
        return None
    return RecoveryUncertainty(ctx.replicates, ctx.level, intervals, equal)
