"""Candidate interval methods for the distances, compared on the same bootstrap replicates.

Used by ``bench/coverage_study.py --part methods``. Each replication draws the
bootstrap replicate *counts* of every variable in every group exactly as
:func:`validator.alignment.check.compare_distributions` does (same random
streams), and every candidate method below is applied to the same replicates,
so the methods differ only by how they turn replicates into an interval.

A candidate returns ``(estimate, low, high)``; the interval is widened to its
estimate (as simval does) before coverage is counted, and how often that was
needed is reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from validator.alignment.distances import js_distance, ks_from_counts, tv_distance, wasserstein_from_counts

LEVEL = 0.95
LO, HI = 100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2


@dataclass(frozen=True)
class Draws:
    """One distance in one group: plug-in, replicates, row-level jackknife values and delta-method SEs."""

    plug: float
    boot: np.ndarray
    jack_h: np.ndarray  # distance leaving out each human row (valid rows only)
    jack_s: np.ndarray
    se: float | None = None  # delta-method SE at the sample
    boot_se: np.ndarray | None = None  # delta-method SE of each replicate


def _q(values: np.ndarray) -> tuple[float, float]:
    lo, hi = np.percentile(values, [LO, HI])
    return float(lo), float(hi)


def power_basic(p: float) -> Callable[[Draws], tuple[float, float, float]]:
    """Basic bootstrap interval of D^p taken back by the p-th root; estimate (2 D^p - mean D*^p)^(1/p)."""

    def method(d: Draws) -> tuple[float, float, float]:
        t, tb = d.plug**p, d.boot**p
        est = max(0.0, 2 * t - float(tb.mean())) ** (1 / p)
        lo, hi = _q(tb)
        return est, max(0.0, 2 * t - hi) ** (1 / p), max(0.0, 2 * t - lo) ** (1 / p)

    return method


def shifted(d: Draws) -> tuple[float, float, float]:
    bias = float(d.boot.mean()) - d.plug
    lo, hi = _q(d.boot)
    return max(0.0, d.plug - bias), max(0.0, lo - 2 * bias), max(0.0, hi - 2 * bias)


def shifted_k(k: float) -> Callable[[Draws], tuple[float, float, float]]:
    def method(d: Draws) -> tuple[float, float, float]:
        bias = float(d.boot.mean()) - d.plug
        lo, hi = _q(d.boot)
        return max(0.0, d.plug - bias), max(0.0, lo - k * bias), max(0.0, hi - k * bias)

    return method


def percentile(d: Draws) -> tuple[float, float, float]:
    lo, hi = _q(d.boot)
    return d.plug, lo, hi


def acceleration(jack: list[np.ndarray]) -> float:
    """scipy.stats.bootstrap's jackknife acceleration over several samples."""
    nums, dens = 0.0, 0.0
    for values in jack:
        n = float(values.size)
        if n < 2:
            continue
        u = (n - 1) * (values.mean() - values)
        nums += float((u**3).sum()) / n**3
        dens += float((u**2).sum()) / n**2
    return nums / dens**1.5 / 6 if dens > 0 else 0.0


def bca_levels(plug: float, boot: np.ndarray, a: float) -> tuple[float, float, float]:
    """The BCa percentile levels (low, median, high) as fractions."""
    b = boot.size
    z0 = float(ndtri(((boot < plug).sum() + (boot <= plug).sum()) / (2 * b)))
    if not math.isfinite(z0):
        z0 = math.copysign(8.0, z0)
    out = []
    for z in (float(ndtri((1 - LEVEL) / 2)), 0.0, float(ndtri((1 + LEVEL) / 2))):
        num = z0 + z
        out.append(float(ndtr(z0 + num / (1 - a * num))))
    return out[0], out[1], out[2]


def bca(estimate: str) -> Callable[[Draws], tuple[float, float, float]]:
    def method(d: Draws) -> tuple[float, float, float]:
        a = acceleration([d.jack_h, d.jack_s])
        l1, m, l2 = bca_levels(d.plug, d.boot, a)
        lo, med, hi = np.percentile(d.boot, [100 * l1, 100 * m, 100 * l2])
        est = float(med) if estimate == "median" else max(0.0, 2 * d.plug - float(d.boot.mean()))
        return est, float(lo), float(hi)

    return method


def studentized(d: Draws) -> tuple[float, float, float]:
    if d.se is None or d.boot_se is None or not d.se > 0:
        return math.nan, math.nan, math.nan
    ok = d.boot_se > 0
    t = (d.boot[ok] - d.plug) / d.boot_se[ok]
    lo, hi = _q(t)
    est = max(0.0, 2 * d.plug - float(d.boot.mean()))
    return est, max(0.0, d.plug - hi * d.se), max(0.0, d.plug - lo * d.se)


CANDIDATES: dict[str, Callable[[Draws], tuple[float, float, float]]] = {
    "percentile": percentile,
    "basic": power_basic(1.0),
    "basic sqrt": power_basic(0.5),
    "basic ^1.5": power_basic(1.5),
    "basic squared": power_basic(2.0),
    "basic ^3": power_basic(3.0),
    "shifted 2b": shifted,
    "shifted 1.5b": shifted_k(1.5),
    "shifted 1b": shifted_k(1.0),
    "BCa, corrected est": bca("corrected"),
    "BCa, median est": bca("median"),
    "studentized": studentized,
}


# ---- distances of counts, their leave-one-row-out values and delta-method standard errors ----

def distance_of(name: str, support: np.ndarray | None) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    if name == "js":
        return lambda a, b: np.asarray(js_distance(a, b))
    if name == "tvd":
        return lambda a, b: np.asarray(tv_distance(a, b))
    if name == "wasserstein":
        assert support is not None
        return lambda a, b: np.asarray(wasserstein_from_counts(support, a, b))
    return lambda a, b: np.asarray(ks_from_counts(a, b))


def leave_one_out(dist: Callable[[np.ndarray, np.ndarray], np.ndarray], mine: np.ndarray, other: np.ndarray, first: bool) -> np.ndarray:
    """The distance with one row of ``mine`` left out, one value per row (rows grouped by their category)."""
    cats = np.flatnonzero(mine > 0)
    if cats.size == 0:
        return np.array([])
    reduced = np.repeat(mine[None, :], cats.size, axis=0)
    reduced[np.arange(cats.size), cats] -= 1
    values = dist(reduced, other[None, :]) if first else dist(other[None, :], reduced)
    return np.repeat(values, mine[cats].astype(int))


def gradient(name: str, p: np.ndarray, q: np.ndarray, support: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """d distance / d p_k and d / d q_k at shares p, q (shape (..., K))."""
    if name == "js":
        m = (p + q) / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            gp = np.where(p > 0, 0.5 * np.log2(np.where(p > 0, p, 1) / np.where(m > 0, m, 1)), 0.0)
            gq = np.where(q > 0, 0.5 * np.log2(np.where(q > 0, q, 1) / np.where(m > 0, m, 1)), 0.0)
        jsd = (p * gp).sum(-1, keepdims=True) + (q * gq).sum(-1, keepdims=True)
        d = np.sqrt(np.clip(jsd, 1e-300, None))
        return gp / (2 * d), gq / (2 * d)
    if name == "tvd":
        s = 0.5 * np.sign(p - q)
        return s, -s
    gap = np.cumsum(p, -1) - np.cumsum(q, -1)
    if name == "wasserstein":
        assert support is not None
        dx = np.append(np.diff(support), 0.0)
        w = np.sign(gap) * dx
        g = np.flip(np.cumsum(np.flip(w, -1), -1), -1)
        return g, -g
    at = np.abs(gap).argmax(-1)
    sign = np.take_along_axis(np.sign(gap), at[..., None], -1)
    k = np.arange(p.shape[-1])
    g = np.where(k <= at[..., None], sign, 0.0)
    return g, -g


def delta_se(name: str, a: np.ndarray, b: np.ndarray, support: np.ndarray | None) -> np.ndarray:
    """Delta-method SE of the distance of count vectors a, b (multinomial sampling on both sides)."""
    na, nb = a.sum(-1, keepdims=True), b.sum(-1, keepdims=True)
    p, q = a / na, b / nb
    gp, gq = gradient(name, p, q, support)
    var = ((p * gp**2).sum(-1) - (p * gp).sum(-1) ** 2) / na[..., 0] + ((q * gq**2).sum(-1) - (q * gq).sum(-1) ** 2) / nb[..., 0]
    return np.asarray(np.sqrt(np.clip(var, 0.0, None)))


# ---- the mean JS over several variables ----

@dataclass(frozen=True)
class MeanDraws:
    """Per-variable plug-ins (V,), aligned replicates (V, B), row-level jackknife values of the mean per side."""

    plugs: np.ndarray
    boots: np.ndarray
    jack_h: np.ndarray
    jack_s: np.ndarray


def _reflect(plugs: np.ndarray, boots: np.ndarray, signed: bool) -> np.ndarray:
    x = 2 * plugs[:, None] ** 2 - boots**2
    return np.asarray(np.sign(x) * np.sqrt(np.abs(x)) if signed else np.sqrt(np.clip(x, 0, None)))


def mean_reflected(signed: bool) -> Callable[[MeanDraws], tuple[float, float, float]]:
    def method(d: MeanDraws) -> tuple[float, float, float]:
        corrected = np.sqrt(np.clip(2 * d.plugs**2 - (d.boots**2).mean(1), 0, None))
        lo, hi = _q(_reflect(d.plugs, d.boots, signed).mean(0))
        return float(corrected.mean()), max(0.0, lo), max(0.0, hi)

    return method


def mean_basic(d: MeanDraws) -> tuple[float, float, float]:
    m, mb = float(d.plugs.mean()), d.boots.mean(0)
    lo, hi = _q(mb)
    return max(0.0, 2 * m - float(mb.mean())), max(0.0, 2 * m - hi), max(0.0, 2 * m - lo)


def mean_corrected_basic(d: MeanDraws) -> tuple[float, float, float]:
    """Mean of squared-scale corrected estimates, basic interval of the mean around it."""
    corrected = float(np.sqrt(np.clip(2 * d.plugs**2 - (d.boots**2).mean(1), 0, None)).mean())
    mb = d.boots.mean(0)
    lo, hi = _q(mb)
    centre = float(mb.mean())
    return corrected, max(0.0, corrected - (hi - centre)), max(0.0, corrected + (centre - lo))


def mean_shifted(d: MeanDraws) -> tuple[float, float, float]:
    return shifted(Draws(float(d.plugs.mean()), d.boots.mean(0), d.jack_h, d.jack_s))


def mean_bca(estimate: str) -> Callable[[MeanDraws], tuple[float, float, float]]:
    inner = bca(estimate)

    def method(d: MeanDraws) -> tuple[float, float, float]:
        return inner(Draws(float(d.plugs.mean()), d.boots.mean(0), d.jack_h, d.jack_s))

    return method


MEAN_CANDIDATES: dict[str, Callable[[MeanDraws], tuple[float, float, float]]] = {
    "percentile": lambda d: percentile(Draws(float(d.plugs.mean()), d.boots.mean(0), d.jack_h, d.jack_s)),
    "mean of reflected (clipped)": mean_reflected(False),
    "mean of reflected (signed)": mean_reflected(True),
    "basic on the mean": mean_basic,
    "corrected est, basic width": mean_corrected_basic,
    "shifted 2b": mean_shifted,
    "BCa, corrected est": mean_bca("corrected"),
    "BCa, median est": mean_bca("median"),
}
