"""Distributional alignment: how far the simulated distribution of each variable is from the human one.

Per variable, overall and within every level of every breakdown: the
Jensen-Shannon distance (base 2, in [0, 1]; STUDY.md), the total variation
distance, and for numeric variables the Wasserstein-1 distance, the two-sample
Kolmogorov-Smirnov test and the dispersion ratio SD(sim) / SD(human); for
categorical ones a chi-square test of homogeneity. ``mean_js`` is the mean JS
distance over the spec's ``mean_over`` variables.

Every distance gets a percentile bootstrap interval (human and simulated rows
resampled independently, B times) and a human noise floor: the distance
between two independent resamples of the human rows (of that group) at the
sizes of the comparison. Groups with fewer than ``min_group_size`` rows in
either dataset are reported, flagged ``low_n`` and left out of aggregates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from validator.alignment.binning import bin_codes, bin_labels, category_codes, counts
from validator.alignment.distances import chi_square_test, dispersion_ratio, js_distance, ks_from_counts, ks_test, tv_distance, wasserstein_from_counts
from validator.bootstrap.weights import bootstrap_weights, resample_weights
from validator.checks.context import CheckContext
from validator.checks.metric import Metric, make_metric
from validator.checks.record import MetricValue, prefixed
from validator.io.ingest import Dataset
from validator.spec.model import DistributionsSpec, DistributionVariable

OVERALL = "overall"


@dataclass(frozen=True)
class VariableComparison:
    """One variable compared within one group of rows."""

    variable: str
    n_human: int
    n_sim: int
    low_n: bool
    note: str | None
    human_counts: tuple[float, ...]
    sim_counts: tuple[float, ...]
    js: Metric
    tvd: Metric
    wasserstein: Metric | None = None
    ks_statistic: Metric | None = None
    ks_p_value: float | None = None
    chi2: float | None = None
    chi2_p_value: float | None = None
    chi2_dof: int | None = None
    dispersion_ratio: Metric | None = None

    def to_dict(self) -> dict[str, Any]:
        block: dict[str, Any] = {
            "n_human": self.n_human,
            "n_sim": self.n_sim,
            "low_n": self.low_n,
            "note": self.note,
            "js": self.js.to_dict(),
            "tvd": self.tvd.to_dict(),
        }
        if self.wasserstein is not None:
            block["wasserstein"] = self.wasserstein.to_dict()
            block["ks_statistic"] = self.ks_statistic.to_dict() if self.ks_statistic else None
            block["ks_p_value"] = self.ks_p_value
            block["dispersion_ratio"] = self.dispersion_ratio.to_dict() if self.dispersion_ratio else None
        else:
            block["chi2"] = self.chi2
            block["chi2_p_value"] = self.chi2_p_value
            block["chi2_dof"] = self.chi2_dof
        block["human_counts"] = list(self.human_counts)
        block["sim_counts"] = list(self.sim_counts)
        return block

    def metrics(self) -> Iterator[MetricValue]:
        """The distances of this comparison (paths ``js``, ``tvd``, and for numeric variables the rest)."""
        yield MetricValue.from_metric("js", self.js)
        yield MetricValue.from_metric("tvd", self.tvd)
        if self.wasserstein is not None:
            yield MetricValue.from_metric("wasserstein", self.wasserstein)
            yield MetricValue.from_metric("ks_statistic", self.ks_statistic)
            yield MetricValue.from_metric("dispersion_ratio", self.dispersion_ratio)


@dataclass(frozen=True)
class MeanComparison:
    """The mean JS distance over the ``mean_over`` variables within one group."""

    n_human: int
    n_sim: int
    low_n: bool
    js: Metric

    def to_dict(self) -> dict[str, Any]:
        return {"n_human": self.n_human, "n_sim": self.n_sim, "low_n": self.low_n, **self.js.to_dict()}

    def metrics(self) -> Iterator[MetricValue]:
        yield MetricValue.from_metric("", self.js)


@dataclass(frozen=True)
class Breakdown:
    """Comparisons within each level of one breakdown variable, with aggregates over levels with enough rows."""

    by: str
    levels: tuple[tuple[str, Any], ...]
    max: float | None
    mean: float | None
    n_levels_aggregated: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "max": self.max,
            "mean": self.mean,
            "n_levels_aggregated": self.n_levels_aggregated,
            "levels": {level: item.to_dict() for level, item in self.levels},
        }

    def metrics(self) -> Iterator[MetricValue]:
        """``max`` and ``mean`` over the levels with enough rows, and each level's own metrics."""
        yield MetricValue.of("max", self.max)
        yield MetricValue.of("mean", self.mean)
        for level, item in self.levels:
            yield from prefixed(item.metrics(), f"levels.{level}")


@dataclass(frozen=True)
class VariableResult:
    variable: str
    kind: str
    labels: tuple[str, ...]
    overall: VariableComparison
    by: tuple[Breakdown, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "labels": list(self.labels),
            "overall": self.overall.to_dict(),
            "by": {b.by: b.to_dict() for b in self.by},
        }

    def metrics(self) -> Iterator[MetricValue]:
        yield from prefixed(self.overall.metrics(), "overall")
        for breakdown in self.by:
            yield from prefixed(breakdown.metrics(), f"by.{breakdown.by}")


@dataclass(frozen=True)
class MeanResult:
    variables: tuple[str, ...]
    overall: MeanComparison
    by: tuple[Breakdown, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"variables": list(self.variables), "overall": self.overall.to_dict(), "by": {b.by: b.to_dict() for b in self.by}}

    def metrics(self) -> Iterator[MetricValue]:
        yield from prefixed(self.overall.metrics(), "overall")
        for breakdown in self.by:
            yield from prefixed(breakdown.metrics(), f"by.{breakdown.by}")


@dataclass(frozen=True)
class DistributionResult:
    """Distributional alignment of one simulated dataset against the human one."""

    min_group_size: int
    variables: tuple[VariableResult, ...]
    mean_js: MeanResult | None

    def variable(self, name: str) -> VariableResult:
        for result in self.variables:
            if result.variable == name:
                return result
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        block: dict[str, Any] = {"min_group_size": self.min_group_size}
        for result in self.variables:
            block[result.variable] = result.to_dict()
        if self.mean_js is not None:
            block["mean_js"] = self.mean_js.to_dict()
        return block

    def metrics(self) -> Iterator[MetricValue]:
        """Every distance, per variable (``<variable>.overall.js``, ...) and for ``mean_js``."""
        for result in self.variables:
            yield from prefixed(result.metrics(), result.variable)
        if self.mean_js is not None:
            yield from prefixed(self.mean_js.metrics(), "mean_js")


@dataclass(frozen=True)
class _Coded:
    """A variable's codes on both datasets, and for numeric ones the raw values on a common support."""

    variable: DistributionVariable
    labels: tuple[str, ...]
    human: np.ndarray
    sim: np.ndarray
    support: np.ndarray | None = None
    human_support: np.ndarray | None = None
    sim_support: np.ndarray | None = None
    human_values: np.ndarray | None = None
    sim_values: np.ndarray | None = None


def _code(variable: DistributionVariable, human: pd.DataFrame, sim: pd.DataFrame) -> _Coded:
    if variable.kind == "categorical":
        def codes(frame: pd.DataFrame) -> np.ndarray:
            values = frame[variable.name]
            if pd.api.types.is_bool_dtype(values):
                values = values.map({True: "true", False: "false"})
            return category_codes(values.astype(object).where(values.notna(), None), variable.categories)

        return _Coded(variable, variable.categories, codes(human), codes(sim))
    assert variable.bins is not None
    start, stop, count = variable.bins.start, variable.bins.stop, variable.bins.count
    h_values = pd.to_numeric(human[variable.name], errors="coerce").to_numpy(dtype=float)
    s_values = pd.to_numeric(sim[variable.name], errors="coerce").to_numpy(dtype=float)
    support = np.unique(np.concatenate([h_values[np.isfinite(h_values)], s_values[np.isfinite(s_values)]]))

    def support_codes(values: np.ndarray) -> np.ndarray:
        codes = np.searchsorted(support, values)
        codes[~np.isfinite(values)] = -1
        return codes

    return _Coded(
        variable,
        bin_labels(start, stop, count),
        bin_codes(h_values, start, stop, count),
        bin_codes(s_values, start, stop, count),
        support,
        support_codes(h_values),
        support_codes(s_values),
        h_values,
        s_values,
    )


def _n_valid(codes: np.ndarray, mask: np.ndarray) -> int:
    return int((codes[mask] >= 0).sum())


def _group_masks(human: pd.DataFrame, sim: pd.DataFrame, by: str, categories: tuple[str, ...] | None) -> list[tuple[str, np.ndarray, np.ndarray]]:
    def text(frame: pd.DataFrame) -> pd.Series:
        return frame[by].astype(object).map(lambda v: None if pd.isna(v) else str(v))

    h, s = text(human), text(sim)
    seen = [v for v in pd.unique(pd.concat([h, s], ignore_index=True)) if isinstance(v, str)]
    order = [c for c in (categories or ()) if c in seen] + sorted(v for v in seen if v not in (categories or ()))
    return [(level, (h == level).to_numpy(), (s == level).to_numpy()) for level in order]


class _Samples:
    """Bootstrap and noise-floor samples for one group, filled chunk by chunk."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {}

    def add(self, key: str, values: np.ndarray) -> None:
        self.parts.setdefault(key, []).append(np.asarray(values, dtype=float))

    def get(self, key: str) -> np.ndarray | None:
        parts = self.parts.get(key)
        return np.concatenate(parts) if parts else None


def _distances(coded: _Coded, h_counts: np.ndarray, s_counts: np.ndarray, h_support: np.ndarray | None, s_support: np.ndarray | None) -> dict[str, np.ndarray]:
    out = {"js": np.asarray(js_distance(h_counts, s_counts)), "tvd": np.asarray(tv_distance(h_counts, s_counts))}
    if coded.support is not None and h_support is not None and s_support is not None:
        out["wasserstein"] = np.asarray(wasserstein_from_counts(coded.support, h_support, s_support))
        out["ks"] = np.asarray(ks_from_counts(h_support, s_support))
    return out


def _side_counts(coded: _Coded, side: str, mask: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Counts over the bins (and the numeric support) of the rows in ``mask``; ``weights`` cover those rows only."""
    codes = coded.human if side == "human" else coded.sim
    support_codes = coded.human_support if side == "human" else coded.sim_support
    k = len(coded.labels)
    c = counts(codes[mask], k, weights)
    sc = counts(support_codes[mask], len(coded.support), weights) if coded.support is not None and support_codes is not None else None
    return c, sc


def _compare_group(
    coded_all: list[_Coded],
    mean_over: tuple[str, ...],
    h_mask: np.ndarray,
    s_mask: np.ndarray,
    min_size: int,
    ctx: CheckContext,
    key: str,
) -> tuple[list[VariableComparison], MeanComparison | None]:
    samples = _Samples()
    n_h_rows, n_s_rows = int(h_mask.sum()), int(s_mask.sum())
    if ctx.replicates and n_h_rows and n_s_rows:
        rng_h, rng_s = ctx.rng("distribution", key, "human"), ctx.rng("distribution", key, "sim")
        for w_h, w_s in zip(bootstrap_weights(n_h_rows, ctx.replicates, rng_h), bootstrap_weights(n_s_rows, ctx.replicates, rng_s)):
            js_parts = []
            for coded in coded_all:
                hc, hs = _side_counts(coded, "human", h_mask, w_h)
                sc, ss = _side_counts(coded, "sim", s_mask, w_s)
                for name, values in _distances(coded, hc, sc, hs, ss).items():
                    samples.add(f"boot:{coded.variable.name}:{name}", values)
                if coded.sim_values is not None and coded.human_values is not None:
                    samples.add(
                        f"boot:{coded.variable.name}:dispersion",
                        np.asarray(dispersion_ratio(coded.sim_values[s_mask], w_s, coded.human_values[h_mask], w_h)),
                    )
                if coded.variable.name in mean_over:
                    js_parts.append(np.asarray(js_distance(hc, sc)))
            if js_parts:
                samples.add("boot:mean_js", np.mean(js_parts, axis=0))
        # The noise floor: two independent resamples of this group's human rows, at the comparison's sizes.
        rng_f = ctx.rng("distribution", key, "floor")
        pairs = zip(
            resample_weights(n_h_rows, n_h_rows, ctx.replicates, rng_f),
            resample_weights(n_h_rows, n_s_rows, ctx.replicates, rng_f),
        )
        for w_a, w_b in pairs:
            js_parts = []
            for coded in coded_all:
                ac, as_ = _side_counts(coded, "human", h_mask, w_a)
                bc, bs = _side_counts(coded, "human", h_mask, w_b)
                for name, values in _distances(coded, ac, bc, as_, bs).items():
                    samples.add(f"floor:{coded.variable.name}:{name}", values)
                if coded.variable.name in mean_over:
                    js_parts.append(np.asarray(js_distance(ac, bc)))
            if js_parts:
                samples.add("floor:mean_js", np.mean(js_parts, axis=0))

    comparisons: list[VariableComparison] = []
    js_points: list[float] = []
    for coded in coded_all:
        name = coded.variable.name
        n_h, n_s = _n_valid(coded.human, h_mask), _n_valid(coded.sim, s_mask)
        hc, hs = _side_counts(coded, "human", h_mask, None)
        sc, ss = _side_counts(coded, "sim", s_mask, None)
        note = None
        if n_h == 0 and n_s == 0:
            note = "no rows in either dataset"
        elif n_h == 0:
            note = "absent from the human data"
        elif n_s == 0:
            note = "absent from the simulated data"
        point = _distances(coded, hc, sc, hs, ss) if n_h and n_s else {}

        def metric(metric_name: str, floor: bool = True) -> Metric:
            estimate = point.get(metric_name)
            return make_metric(
                None if estimate is None else float(estimate),
                samples.get(f"boot:{name}:{metric_name}"),
                ctx.level,
                samples.get(f"floor:{name}:{metric_name}") if floor else None,
            )

        extra: dict[str, Any] = {}
        if coded.human_values is not None and coded.sim_values is not None:
            ks_stat, ks_p = ks_test(coded.human_values[h_mask & np.isfinite(coded.human_values)], coded.sim_values[s_mask & np.isfinite(coded.sim_values)]) if n_h and n_s else (None, None)
            ratio = dispersion_ratio(coded.sim_values[s_mask], None, coded.human_values[h_mask], None) if n_h and n_s else None
            extra = {
                "wasserstein": metric("wasserstein"),
                "ks_statistic": metric("ks"),
                "ks_p_value": None if ks_p is None or not np.isfinite(ks_p) else float(ks_p),
                "dispersion_ratio": make_metric(None if ratio is None else float(ratio), samples.get(f"boot:{name}:dispersion"), ctx.level),
            }
        elif n_h and n_s:
            chi2, p, dof = chi_square_test(hc, sc)
            extra = {
                "chi2": float(chi2) if np.isfinite(chi2) else None,
                "chi2_p_value": float(p) if np.isfinite(p) else None,
                "chi2_dof": int(dof),
            }
        comparison = VariableComparison(
            variable=name,
            n_human=n_h,
            n_sim=n_s,
            low_n=min(n_h, n_s) < min_size,
            note=note,
            human_counts=tuple(float(x) for x in hc),
            sim_counts=tuple(float(x) for x in sc),
            js=metric("js"),
            tvd=metric("tvd"),
            **extra,
        )
        comparisons.append(comparison)
        if name in mean_over and comparison.js.estimate is not None:
            js_points.append(comparison.js.estimate)

    mean = None
    if mean_over:
        n_h, n_s = int(h_mask.sum()), int(s_mask.sum())
        estimate = float(np.mean(js_points)) if len(js_points) == len(mean_over) else None
        mean = MeanComparison(
            n_human=n_h,
            n_sim=n_s,
            low_n=min(n_h, n_s) < min_size,
            js=make_metric(estimate, samples.get("boot:mean_js"), ctx.level, samples.get("floor:mean_js")),
        )
    return comparisons, mean


def _breakdown(by: str, levels: list[tuple[str, Any]], value_of: Callable[[Any], float | None]) -> Breakdown:
    usable = [value for _, item in levels if not item.low_n and (value := value_of(item)) is not None]
    return Breakdown(
        by=by,
        levels=tuple(levels),
        max=float(np.max(usable)) if usable else None,
        mean=float(np.mean(usable)) if usable else None,
        n_levels_aggregated=len(usable),
    )


def compare_distributions(human: Dataset, sim: Dataset, spec: DistributionsSpec, ctx: CheckContext) -> DistributionResult:
    """Distributional alignment of ``sim`` against ``human`` as declared in the spec's ``distributions``."""
    h, s = human.frame, sim.frame
    coded = [_code(variable, h, s) for variable in spec.variables]
    all_h, all_s = np.ones(len(h), dtype=bool), np.ones(len(s), dtype=bool)
    overall, overall_mean = _compare_group(coded, spec.mean_over, all_h, all_s, spec.min_group_size, ctx, OVERALL)

    per_variable_levels: dict[str, dict[str, list[tuple[str, Any]]]] = {c.variable.name: {} for c in coded}
    mean_levels: dict[str, list[tuple[str, Any]]] = {}
    for by in spec.breakdowns:
        column = next((v for v in spec.variables if v.name == by), None)
        categories = column.categories if column is not None and column.categories else None
        if categories is None and isinstance(h[by].dtype, pd.CategoricalDtype):
            categories = tuple(str(c) for c in h[by].cat.categories)
        for level, h_mask, s_mask in _group_masks(h, s, by, categories):
            comparisons, mean = _compare_group(coded, spec.mean_over, h_mask, s_mask, spec.min_group_size, ctx, f"{by}={level}")
            for comparison in comparisons:
                per_variable_levels[comparison.variable].setdefault(by, []).append((level, comparison))
            if mean is not None:
                mean_levels.setdefault(by, []).append((level, mean))

    variables = tuple(
        VariableResult(
            variable=c.variable.name,
            kind="numeric" if c.support is not None else "categorical",
            labels=c.labels,
            overall=comparison,
            by=tuple(_breakdown(by, per_variable_levels[c.variable.name].get(by, []), lambda item: item.js.estimate) for by in spec.breakdowns),
        )
        for c, comparison in zip(coded, overall)
    )
    mean_js = None
    if overall_mean is not None:
        mean_js = MeanResult(
            variables=spec.mean_over,
            overall=overall_mean,
            by=tuple(_breakdown(by, mean_levels.get(by, []), lambda item: item.js.estimate) for by in spec.breakdowns),
        )
    return DistributionResult(spec.min_group_size, variables, mean_js)
