"""Distributional alignment: how far the simulated distribution of each variable is from the human one.

Per variable, overall and within every level of every breakdown: the
Jensen-Shannon distance (base 2, in [0, 1]; docs/metrics.md), the total variation
distance, and for numeric variables the Wasserstein-1 distance, the two-sample
Kolmogorov-Smirnov test and the dispersion ratio SD(sim) / SD(human); for
categorical ones a chi-square test of homogeneity. ``mean_js`` is the mean JS
distance over the spec's ``mean_over`` variables.

Every distance estimates the distance between the two populations'
distributions under the spec's binning. It is reported bias-corrected, with a
bootstrap interval chosen by measured coverage (human and simulated rows
resampled independently, B times; :mod:`validator.alignment.uncertainty`), the
raw sample distance as ``plug_in``, and a noise floor: the plug-in distances of
B random relabellings of the pooled rows, stratified by the breakdowns so each
group keeps its sizes (:mod:`validator.alignment.permutation`). One
family-wise verdict over every JS flag is calibrated on the same relabellings
(:mod:`validator.checks.joint_floor`).

Groups with fewer than ``min_group_size`` rows in either dataset are reported,
flagged ``low_n`` and left out of aggregates, except a group with enough human
rows and *no* simulated row: it is listed in ``missing_levels``, counts as the
largest possible distance (1) in the aggregates and fails the verdict. Numeric
values outside the bins go to overflow bins (``< start``, ``> stop``) that
exist only when some value falls there, so JS and TVD see them as the
Wasserstein and KS statistics (computed on the values) do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from validator.alignment.binning import bin_codes, bin_labels, category_codes
from validator.alignment.distances import (
    chi_square_test,
    dispersion_ratio,
    ks_test,
    replicate_distances,
)
from validator.alignment.permutation import permutation_labels, strata_codes, text_codes
from validator.alignment.uncertainty import DISTANCE_METHODS, distance_metric, mean_distance_metric
from validator.bootstrap.weights import bootstrap_weights, chunk_size
from validator.checks.context import CheckContext
from validator.checks.joint_floor import (
    Flag,
    JointFloor,
    joint_floor,
    verdict_from_joint,
)
from validator.checks.metric import Metric, make_metric
from validator.checks.record import MetricValue, prefixed
from validator.io.ingest import Dataset
from validator.spec.model import DistributionsSpec, DistributionVariable
from validator.verdict.records import ConstructVerdict

OVERALL = "overall"

#: The aggregate value of a subgroup the simulation lacks: the largest JS (and TVD) distance.
ABSENT_DISTANCE = 1.0


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
    out_of_bins_human: int = 0
    out_of_bins_sim: int = 0

    def to_dict(self) -> dict[str, Any]:
        block: dict[str, Any] = {
            "n_human": self.n_human,
            "n_sim": self.n_sim,
            "low_n": self.low_n,
            "note": self.note,
            "out_of_bins_human": self.out_of_bins_human,
            "out_of_bins_sim": self.out_of_bins_sim,
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
        """The distances of this comparison (paths ``js``, ``tvd``, and for numeric variables the rest).

        ``js.plug_in`` is the raw sample JS distance: the statistic the noise floor
        and suggested gates describe (``js`` itself is bias-corrected).
        """
        yield MetricValue.from_metric("js", self.js)
        yield MetricValue.of("js.plug_in", self.js.plug_in)
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
        yield MetricValue.of("plug_in", self.js.plug_in)


@dataclass(frozen=True)
class Breakdown:
    """Comparisons within each level of one breakdown variable, with aggregates over levels with enough rows."""

    by: str
    levels: tuple[tuple[str, Any], ...]
    max: float | None
    mean: float | None
    n_levels_aggregated: int
    missing_levels: tuple[str, ...] = ()
    max_plug_in: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "max": self.max,
            "mean": self.mean,
            "max_plug_in": self.max_plug_in,
            "n_levels_aggregated": self.n_levels_aggregated,
            "missing_levels": list(self.missing_levels),
            "levels": {level: item.to_dict() for level, item in self.levels},
        }

    def metrics(self) -> Iterator[MetricValue]:
        """``max``, ``mean`` and ``max_plug_in`` over the levels with enough rows (an absent level counts as 1), and each level's own metrics."""
        yield MetricValue.of("max", self.max)
        yield MetricValue.of("mean", self.mean)
        yield MetricValue.of("max_plug_in", self.max_plug_in)
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
    default_verdict: ConstructVerdict | None = None
    joint_floor: JointFloor | None = None

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
        block["default_verdict"] = self.default_verdict.to_dict() if self.default_verdict else None
        block["joint_floor"] = self.joint_floor.to_dict() if self.joint_floor else None
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
    human_out: np.ndarray | None = None
    sim_out: np.ndarray | None = None


def _binned(h_values: np.ndarray, s_values: np.ndarray, start: float, stop: float, count: int) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Bin codes of both samples, with an overflow bin on each side that some value falls in."""
    labels = list(bin_labels(start, stop, count))
    below = bool((h_values < start).any() or (s_values < start).any())
    above = bool((h_values > stop).any() or (s_values > stop).any())
    shift = 1 if below else 0

    def codes(values: np.ndarray) -> np.ndarray:
        out = bin_codes(values, start, stop, count)
        out = np.where(out >= 0, out + shift, out)
        if below:
            out[values < start] = 0
        if above:
            out[values > stop] = count + shift
        return out

    if below:
        labels.insert(0, f"< {start:g}")
    if above:
        labels.append(f"> {stop:g}")
    return tuple(labels), codes(h_values), codes(s_values)


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

    def outside(values: np.ndarray) -> np.ndarray:
        return np.asarray(np.isfinite(values) & ((values < start) | (values > stop)), dtype=bool)

    labels, h_codes, s_codes = _binned(h_values, s_values, start, stop, count)
    return _Coded(
        variable,
        labels,
        h_codes,
        s_codes,
        support,
        support_codes(h_values),
        support_codes(s_values),
        h_values,
        s_values,
        outside(h_values),
        outside(s_values),
    )


def _n_valid(codes: np.ndarray, mask: np.ndarray) -> int:
    return int((codes[mask] >= 0).sum())


def _group_masks(human: pd.DataFrame, sim: pd.DataFrame, by: str, categories: tuple[str, ...] | None) -> list[tuple[str, np.ndarray, np.ndarray]]:
    # A row's level is the text of its value; the levels are compared as codes.
    codes, texts = text_codes([human[by], sim[by]])
    h, s = codes[: len(human)], codes[len(human) :]
    seen = [texts[i] for i in np.unique(codes[codes >= 0])]
    order = [c for c in (categories or ()) if c in seen] + sorted(v for v in seen if v not in (categories or ()))
    return [(level, h == texts.index(level), s == texts.index(level)) for level in order]


class _Samples:
    """Bootstrap and noise-floor samples for one group, filled chunk by chunk."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {}

    def add(self, key: str, values: np.ndarray) -> None:
        self.parts.setdefault(key, []).append(np.asarray(values, dtype=float))

    def get(self, key: str) -> np.ndarray | None:
        parts = self.parts.get(key)
        return np.concatenate(parts) if parts else None


@dataclass(frozen=True)
class _Layout:
    """Where each variable's counts sit among the columns of a tally: its bins, and a numeric variable's support."""

    bins: tuple[slice, ...]
    support: tuple[slice | None, ...]
    width: int


def _layout(coded_all: list[_Coded]) -> _Layout:
    bins: list[slice] = []
    support: list[slice | None] = []
    at = 0
    for coded in coded_all:
        bins.append(slice(at, at + len(coded.labels)))
        at += len(coded.labels)
        if coded.support is None:
            support.append(None)
        else:
            support.append(slice(at, at + len(coded.support)))
            at += len(coded.support)
    return _Layout(tuple(bins), tuple(support), at)


def _tally_matrix(coded_all: list[_Coded], layout: _Layout, side: str, mask: np.ndarray) -> sparse.csr_array:
    """The rows in ``mask`` as a sparse 0/1 matrix (rows x ``layout.width``): a 1 in each variable's bin and support column.

    ``weights @ matrix`` is then every variable's weighted counts over its bins and
    support at once, one sparse product where a dense one-hot product per variable and
    per support cost most of the alignment bootstrap. A code of -1 (missing) has no column.
    """
    rows = np.flatnonzero(mask)
    columns: list[np.ndarray] = []
    for coded, bins, support in zip(coded_all, layout.bins, layout.support):
        codes = (coded.human if side == "human" else coded.sim)[rows]
        columns.append(np.where(codes >= 0, codes + bins.start, -1))
        support_codes = coded.human_support if side == "human" else coded.sim_support
        if support is not None and support_codes is not None:
            columns.append(np.where(support_codes[rows] >= 0, support_codes[rows] + support.start, -1))
    table = np.column_stack(columns) if columns else np.empty((rows.size, 0), dtype=np.int64)
    row_of = np.broadcast_to(np.arange(rows.size)[:, None], table.shape)
    keep = table >= 0
    return sparse.csr_array((np.ones(int(keep.sum())), (row_of[keep], table[keep])), shape=(rows.size, layout.width))


def _tallies(weights: np.ndarray, matrix: sparse.csr_array) -> np.ndarray:
    """The (b, width) weighted counts of b weight rows over a tally matrix's rows."""
    return np.asarray(weights @ matrix)


def _total(matrix: sparse.csr_array) -> np.ndarray:
    """The unweighted counts (width,) of a tally matrix's rows."""
    return np.asarray(matrix.sum(axis=0), dtype=np.float64).ravel()


def _block_distances(coded: _Coded, index: int, layout: _Layout, a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """One variable's distances between the tallies ``a`` and ``b`` (``(..., width)``)."""
    bins, support = layout.bins[index], layout.support[index]
    if support is None or coded.support is None:
        return replicate_distances(a[..., bins], b[..., bins])
    return replicate_distances(a[..., bins], b[..., bins], coded.support, a[..., support], b[..., support])


@dataclass(frozen=True)
class _Group:
    key: str
    h_mask: np.ndarray
    s_mask: np.ndarray


class _GroupTallies:
    """Each group's tally matrices on both sides, built once for its bootstrap and for the noise floor."""

    def __init__(self, coded_all: list[_Coded]) -> None:
        self.coded = coded_all
        self.layout = _layout(coded_all)
        self._built: dict[str, tuple[sparse.csr_array, sparse.csr_array]] = {}

    def of(self, group: _Group) -> tuple[sparse.csr_array, sparse.csr_array]:
        """The group's human and simulated rows as tally matrices (:func:`_tally_matrix`)."""
        if group.key not in self._built:
            self._built[group.key] = (
                _tally_matrix(self.coded, self.layout, "human", group.h_mask),
                _tally_matrix(self.coded, self.layout, "sim", group.s_mask),
            )
        return self._built[group.key]


def _permutation_floors(
    coded_all: list[_Coded], mean_over: tuple[str, ...], groups: list[_Group], strata: np.ndarray, ctx: CheckContext, tallies: _GroupTallies
) -> dict[str, _Samples]:
    """Plug-in distances of every group under the same stratified relabellings of the pooled rows."""
    floors = {g.key: _Samples() for g in groups}
    live = [g for g in groups if g.h_mask.any() and g.s_mask.any()]
    if not ctx.replicates or not live:
        return floors
    n_h = live[0].h_mask.size
    is_human = np.concatenate([np.ones(n_h, dtype=bool), np.zeros(live[0].s_mask.size, dtype=bool)])
    layout = tallies.layout
    # Each group's pooled rows (its human rows, then its simulated ones) as one tally matrix.
    tallied = []
    for group in live:
        matrix = sparse.vstack(tallies.of(group), format="csr")
        tallied.append((group, np.concatenate([group.h_mask, group.s_mask]), matrix, _total(matrix)))
    for labels in permutation_labels(strata, is_human, ctx.replicates, ctx.rng("distribution", "permutation")):
        for group, mask, matrix, total in tallied:
            a = _tallies(labels[:, mask], matrix)
            # The other side's counts are the group's total minus this side's.
            b = total - a
            js_parts = []
            for index, coded in enumerate(coded_all):
                values = _block_distances(coded, index, layout, a, b)
                for name, value in values.items():
                    floors[group.key].add(f"floor:{coded.variable.name}:{name}", value)
                if coded.variable.name in mean_over:
                    js_parts.append(values["js"])
            if js_parts:
                floors[group.key].add("floor:mean_js", np.mean(js_parts, axis=0))
    return floors


def _out_of_bins_note(coded: _Coded, h_mask: np.ndarray, s_mask: np.ndarray) -> tuple[int, int, str | None]:
    if coded.human_out is None or coded.sim_out is None or coded.variable.bins is None:
        return 0, 0, None
    n_h, n_s = int(coded.human_out[h_mask].sum()), int(coded.sim_out[s_mask].sum())
    if not (n_h or n_s):
        return 0, 0, None
    b = coded.variable.bins
    return n_h, n_s, f"{n_h} human and {n_s} simulated values outside the bins [{b.start:g}, {b.stop:g}], counted in overflow bins"


def _compare_group(
    coded_all: list[_Coded],
    mean_over: tuple[str, ...],
    group: _Group,
    min_size: int,
    ctx: CheckContext,
    floor: _Samples,
    tallies: _GroupTallies,
) -> tuple[list[VariableComparison], MeanComparison | None]:
    samples = _Samples()
    h_mask, s_mask, key = group.h_mask, group.s_mask, group.key
    n_h_rows, n_s_rows = int(h_mask.sum()), int(s_mask.sum())
    layout = tallies.layout
    h_matrix, s_matrix = tallies.of(group)
    if ctx.replicates and n_h_rows and n_s_rows:
        rng_h, rng_s = ctx.rng("distribution", key, "human"), ctx.rng("distribution", key, "sim")
        # Both sides in chunks of the same number of replicates (sized for the larger side), so that
        # the i-th chunks pair up replicate by replicate whatever the two files' sizes.
        step = chunk_size(max(n_h_rows, n_s_rows), ctx.replicates)
        human_chunks = bootstrap_weights(n_h_rows, ctx.replicates, rng_h, step=step)
        sim_chunks = bootstrap_weights(n_s_rows, ctx.replicates, rng_s, step=step)
        for w_h, w_s in zip(human_chunks, sim_chunks):
            h_tallies, s_tallies = _tallies(w_h, h_matrix), _tallies(w_s, s_matrix)
            for index, coded in enumerate(coded_all):
                for name, values in _block_distances(coded, index, layout, h_tallies, s_tallies).items():
                    samples.add(f"boot:{coded.variable.name}:{name}", values)
                support = layout.support[index]
                if coded.support is not None and support is not None:
                    # Each replicate's SDs from its counts over the support (the distinct values):
                    # the same weighted samples as weighing every row, in U columns instead of n.
                    samples.add(
                        f"boot:{coded.variable.name}:dispersion",
                        np.asarray(dispersion_ratio(coded.support, s_tallies[:, support], coded.support, h_tallies[:, support])),
                    )

    h_total, s_total = _total(h_matrix), _total(s_matrix)
    comparisons: list[VariableComparison] = []
    js_points: list[float | None] = []
    for index, coded in enumerate(coded_all):
        name = coded.variable.name
        n_h, n_s = _n_valid(coded.human, h_mask), _n_valid(coded.sim, s_mask)
        hc, sc = h_total[layout.bins[index]], s_total[layout.bins[index]]
        notes = []
        if n_h == 0 and n_s == 0:
            notes.append("no rows in either dataset")
        elif n_h == 0:
            notes.append("absent from the human data")
        elif n_s == 0:
            notes.append("absent from the simulated data")
        out_h, out_s, out_note = _out_of_bins_note(coded, h_mask, s_mask)
        if out_note:
            notes.append(out_note)
        point = _block_distances(coded, index, layout, h_total, s_total) if n_h and n_s else {}
        rows = min(n_h, n_s)

        def metric(metric_name: str, point: dict[str, np.ndarray] = point, name: str = name, rows: int = rows) -> Metric:
            estimate = point.get(metric_name)
            return distance_metric(
                None if estimate is None else float(estimate),
                samples.get(f"boot:{name}:{metric_name}"),
                ctx.level,
                floor.get(f"floor:{name}:{metric_name}"),
                rows,
                DISTANCE_METHODS[metric_name],
            )

        extra: dict[str, Any] = {}
        if coded.human_values is not None and coded.sim_values is not None:
            _, ks_p = ks_test(coded.human_values[h_mask & np.isfinite(coded.human_values)], coded.sim_values[s_mask & np.isfinite(coded.sim_values)]) if n_h and n_s else (None, None)
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
            low_n=rows < min_size,
            note="; ".join(notes) or None,
            human_counts=tuple(float(x) for x in hc),
            sim_counts=tuple(float(x) for x in sc),
            js=metric("js"),
            tvd=metric("tvd"),
            out_of_bins_human=out_h,
            out_of_bins_sim=out_s,
            **extra,
        )
        comparisons.append(comparison)
        if name in mean_over:
            js_points.append(comparison.js.plug_in)

    mean = None
    if mean_over:
        boots = [samples.get(f"boot:{v}:js") for v in mean_over]
        replicates = None if any(b is None for b in boots) else [b for b in boots if b is not None]
        mean = MeanComparison(
            n_human=n_h_rows,
            n_sim=n_s_rows,
            low_n=min(n_h_rows, n_s_rows) < min_size,
            js=mean_distance_metric(js_points, replicates, ctx.level, floor.get("floor:mean_js"), min(n_h_rows, n_s_rows)),
        )
    return comparisons, mean


def _absent(item: Any, min_size: int) -> bool:
    """A level with enough human rows and no simulated row: the simulation lacks the group."""
    return bool(item.n_sim == 0 and item.n_human >= min_size)


def _breakdown(by: str, levels: list[tuple[str, Any]], min_size: int) -> Breakdown:
    """Max and mean JS over the levels with enough rows; a level the simulation lacks counts as 1."""
    usable = [value for _, item in levels if not item.low_n and (value := item.js.estimate) is not None]
    raw = [value for _, item in levels if not item.low_n and (value := item.js.plug_in) is not None]
    missing = tuple(level for level, item in levels if _absent(item, min_size))
    usable += [ABSENT_DISTANCE] * len(missing)
    raw += [ABSENT_DISTANCE] * len(missing)
    return Breakdown(
        by=by,
        levels=tuple(levels),
        max=float(np.max(usable)) if usable else None,
        mean=float(np.mean(usable)) if usable else None,
        n_levels_aggregated=len(usable),
        missing_levels=missing,
        max_plug_in=float(np.max(raw)) if raw else None,
    )


def _flags(per_group: list[tuple[str, list[VariableComparison], MeanComparison | None]], floors: dict[str, _Samples]) -> list[Flag]:
    """The JS flags of every group with enough rows: each variable, and the mean."""
    flags: list[Flag] = []
    for key, comparisons, mean in per_group:
        floor = floors[key]
        for c in comparisons:
            draws = floor.get(f"floor:{c.variable}:js")
            if not c.low_n and c.js.plug_in is not None and draws is not None:
                flags.append(Flag(f"{c.variable} JS ({key})", c.js.plug_in, draws))
        if mean is not None and not mean.low_n and mean.js.plug_in is not None:
            draws = floor.get("floor:mean_js")
            if draws is not None:
                flags.append(Flag(f"mean JS ({key})", mean.js.plug_in, draws))
    return flags


def _verdict(
    per_group: list[tuple[str, list[VariableComparison], MeanComparison | None]],
    joint: JointFloor | None,
    min_size: int,
    ctx: CheckContext,
) -> ConstructVerdict:
    _, overall, _ = per_group[0]
    absent = [(key, c) for key, comparisons, _ in per_group[1:] for c in comparisons[:1] if _absent(c, min_size)]
    if absent:
        names = ", ".join(f"{key} ({c.n_human} human rows)" for key, c in absent)
        return ConstructVerdict("fail", f"absent from the simulation: {names}")
    rows = min((min(c.n_human, c.n_sim) for c in overall), default=0)
    if rows < min_size:
        return ConstructVerdict("inconclusive", f"too few rows to compare distributions ({rows} < min_group_size {min_size})")
    if not ctx.replicates or joint is None:
        return ConstructVerdict("inconclusive", "no noise floor to judge the distances against (bootstrap off)")
    return verdict_from_joint(joint, f"{joint.n_flags} JS distances")


def breakdown_levels(spec: DistributionsSpec, human: pd.DataFrame, sim: pd.DataFrame) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
    """Every level of every breakdown, in the report's order, with its rows in each dataset: ``(by, level, human mask, sim mask)``."""
    out: list[tuple[str, str, np.ndarray, np.ndarray]] = []
    for by in spec.breakdowns:
        column = next((v for v in spec.variables if v.name == by), None)
        categories = column.categories if column is not None and column.categories else None
        if categories is None and isinstance(human[by].dtype, pd.CategoricalDtype):
            categories = tuple(str(c) for c in human[by].cat.categories)
        out.extend((by, level, h_mask, s_mask) for level, h_mask, s_mask in _group_masks(human, sim, by, categories))
    return out


def compare_distributions(human: Dataset, sim: Dataset, spec: DistributionsSpec, ctx: CheckContext) -> DistributionResult:
    """Distributional alignment of ``sim`` against ``human`` as declared in the spec's ``distributions``."""
    h, s = human.frame, sim.frame
    coded = [_code(variable, h, s) for variable in spec.variables]
    groups = [_Group(OVERALL, np.ones(len(h), dtype=bool), np.ones(len(s), dtype=bool))]
    group_by: list[tuple[str, str, str]] = []
    for by, level, h_mask, s_mask in breakdown_levels(spec, h, s):
        groups.append(_Group(f"{by}={level}", h_mask, s_mask))
        group_by.append((by, level, f"{by}={level}"))
    strata = strata_codes([h, s], list(spec.breakdowns))
    tallies = _GroupTallies(coded)
    floors = _permutation_floors(coded, spec.mean_over, groups, strata, ctx, tallies)
    per_group = []
    for group in groups:
        comparisons, mean = _compare_group(coded, spec.mean_over, group, spec.min_group_size, ctx, floors[group.key], tallies)
        per_group.append((group.key, comparisons, mean))

    overall, overall_mean = per_group[0][1], per_group[0][2]
    per_variable_levels: dict[str, dict[str, list[tuple[str, Any]]]] = {c.variable.name: {} for c in coded}
    mean_levels: dict[str, list[tuple[str, Any]]] = {}
    for (by, level, _), (_, comparisons, mean) in zip(group_by, per_group[1:]):
        for comparison in comparisons:
            per_variable_levels[comparison.variable].setdefault(by, []).append((level, comparison))
        if mean is not None:
            mean_levels.setdefault(by, []).append((level, mean))

    size = spec.min_group_size
    variables = tuple(
        VariableResult(
            variable=c.variable.name,
            kind="numeric" if c.support is not None else "categorical",
            labels=c.labels,
            overall=comparison,
            by=tuple(_breakdown(by, per_variable_levels[c.variable.name].get(by, []), size) for by in spec.breakdowns),
        )
        for c, comparison in zip(coded, overall)
    )
    mean_js = None
    if overall_mean is not None:
        mean_js = MeanResult(
            variables=spec.mean_over,
            overall=overall_mean,
            by=tuple(_breakdown(by, mean_levels.get(by, []), size) for by in spec.breakdowns),
        )
    joint = joint_floor(_flags(per_group, floors), ctx.level) if ctx.replicates else None
    return DistributionResult(spec.min_group_size, variables, mean_js, _verdict(per_group, joint, size, ctx), joint)
