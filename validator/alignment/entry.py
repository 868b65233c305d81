"""The registry entry of distributional alignment, and the metrics it reports."""

from __future__ import annotations

from typing import Any

from validator.alignment.check import DistributionResult, compare_distributions
from validator.alignment.present import alignment_headline, alignment_tables
from validator.checks.entry import CheckEntry
from validator.checks.inputs import CheckInputs
from validator.checks.record import Better, MetricInfo
from validator.spec.model import DistributionsSpec, StudySpec

#: Each distance: meaning, which way is better, range.
DISTANCES: dict[str, tuple[str, Better, tuple[float | None, float | None]]] = {
    "js": ("Jensen-Shannon distance (base 2, in [0, 1])", "lower", (0.0, 1.0)),
    "tvd": ("total variation distance", "lower", (0.0, 1.0)),
    "wasserstein": ("Wasserstein-1 distance (units of the variable)", "lower", (0.0, None)),
    "ks_statistic": ("Kolmogorov-Smirnov statistic", "lower", (0.0, 1.0)),
    "dispersion_ratio": ("SD(simulation) / SD(human)", "match", (0.0, None)),
}


def distribution_metrics(spec: StudySpec) -> tuple[MetricInfo, ...]:
    """Every distance per variable, overall, per breakdown level and aggregated over levels."""
    d = spec.distributions
    if d is None:
        return ()
    paths: list[MetricInfo] = []
    for variable in d.variables:
        names = ("js", "tvd", "wasserstein", "ks_statistic", "dispersion_ratio") if variable.kind == "binned" else ("js", "tvd")
        for name in names:
            meaning, better, value_range = DISTANCES[name]
            paths.append(MetricInfo(f"{variable.name}.overall.{name}", f"{meaning} of {variable.name}, all rows", better, value_range, True))
        for by in d.breakdowns:
            paths.append(MetricInfo(f"{variable.name}.by.{by}.max", f"largest JS distance of {variable.name} over {by} groups with enough rows", "lower", (0.0, 1.0)))
            paths.append(MetricInfo(f"{variable.name}.by.{by}.mean", f"mean JS distance of {variable.name} over {by} groups with enough rows", "lower", (0.0, 1.0)))
            for name in names:
                meaning, better, value_range = DISTANCES[name]
                paths.append(MetricInfo(f"{variable.name}.by.{by}.levels.*.{name}", f"{meaning} of {variable.name} within one {by} group", better, value_range, True))
    if d.mean_over:
        over = ", ".join(d.mean_over)
        paths.append(MetricInfo("mean_js.overall", f"mean JS distance over {over}, all rows", "lower", (0.0, 1.0), True))
        for by in d.breakdowns:
            paths.append(MetricInfo(f"mean_js.by.{by}.max", f"largest mean JS distance over {by} groups with enough rows", "lower", (0.0, 1.0)))
            paths.append(MetricInfo(f"mean_js.by.{by}.mean", f"mean of the mean JS distance over {by} groups with enough rows", "lower", (0.0, 1.0)))
            paths.append(MetricInfo(f"mean_js.by.{by}.levels.*", f"mean JS distance over {over} within one {by} group", "lower", (0.0, 1.0), True))
    return tuple(paths)


def _items(spec: StudySpec) -> tuple[DistributionsSpec, ...]:
    return (spec.distributions,) if spec.distributions is not None else ()


def _compute(inputs: CheckInputs, section: Any) -> DistributionResult:
    return compare_distributions(inputs.human, inputs.sim, section, inputs.context)


ENTRY = CheckEntry(
    name="distribution",
    title="Distributional alignment",
    construct="alignment",
    description="Jensen-Shannon distance (and TVD, Wasserstein, KS, chi-square, dispersion ratio) per variable, overall and by subgroup",
    items=_items,
    compute=_compute,
    metrics=distribution_metrics,
    tables=alignment_tables,
    headline=alignment_headline,
)
