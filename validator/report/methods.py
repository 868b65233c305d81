"""The report's methods and reproducibility sections.

What was computed is described from the spec the check ran with (its models,
distribution variables, heterogeneity and coherence sections, as the result
records hold them), so a report for any study describes that study; the
general definitions follow docs/metrics.md. Nothing here quotes a particular
study's wording.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from validator.gates.records import threshold_text
from validator.present.formatting import fmt_level
from validator.report import markdown as mdx
from validator.report.escape import md, md_code
from validator.results import CheckResult, SimulationResult
from validator.spec.model import StudySpec

RECOVERY_DEFINITION = """\
Definition (see docs/metrics.md):

> Fit every model on the human data (the reference) and on the simulated data. A coefficient is significant when its
> two-sided p-value is below alpha. Compare coefficient by coefficient, over the coefficients estimable in both datasets:
> **TP**: significant in both, same sign ("N Match"). **FP**: significant in the simulation, not in the human data.
> **FN**: significant in the human data, not in the simulation. **Sign flip**: significant in both, opposite signs.
> **TN**: significant in neither.
>
> `FPR = FP / (number of coefficients not significant in the human data)`,
> `FNR = FN / (number significant in the human data)`, `F1(Sign) = 2TP / (2TP + FP + FN)`. Sign flips enter none of these
> three; simval reports them beside the three, always, and also a strict F1 that counts each sign flip as both a false
> positive and a false negative: `2TP / (2TP + FP + FN + 2 * flips)`.
>
> A model that cannot be estimated on a dataset (outcome without variation, perfect separation, singular design) is
> reported as such, with the reason, and its coefficients leave the totals.

Per coefficient, the standardized difference is `(b_sim - b_human) / sqrt(se_human^2 + se_sim^2)`; the confidence-interval
overlap is that of Karr et al. (2006), as synthpop's `compare.fit.synds` reports it (negative when the intervals do not
overlap); "in human CI" says whether the simulated estimate lies inside the human confidence interval."""

ALIGNMENT_DEFINITION = """\
Definition (see docs/metrics.md):

> Jensen-Shannon distance between the human and simulated distribution of a variable: the square root of the JS
> divergence with base-2 logarithms, so it lies in [0, 1].

Numeric variables are binned into the equal bins the spec declares (the upper bound falls in the last bin);
categorical variables use their categories. Beside the JS distance: the total variation distance
(`TVD = sum |p - q| / 2`), for numeric variables the Wasserstein-1 distance on the raw values, the two-sample
Kolmogorov-Smirnov test and the dispersion ratio `SD(sim) / SD(human)`; for categorical variables a chi-square test of
homogeneity. Each is reported overall and within every level of every breakdown; groups with fewer rows than the
minimum group size in either dataset are reported, flagged "low n" and left out of the aggregates (max and mean over
groups), except a group with enough human rows and no simulated row, which counts as the largest distance (1). Each
distance is reported bias-corrected, with its raw sample value as the plug-in. The **noise floor** of a distance is the
distribution of its plug-in value when the pooled human and simulated rows are randomly relabelled, keeping every
group's sizes; its median and 95th percentile are reported, and a plug-in distance at or below the 95th percentile is
"within the floor": a fresh human sample of the same size would often be this far off. The verdict judges all the JS
distances together (a max-type permutation test), so that a perfect simulation passes with the interval level's
probability."""

HETEROGENEITY_DEFINITION = """\
Definition (see docs/metrics.md): the number of unique response structures, the distinct value tuples over the declared
columns among the rows where all of them are present. The count grows with sample size, so the larger dataset is
subsampled without replacement to the smaller one's n and the mean count over the subsamples is reported with its
2.5-97.5 percentile range. The Shannon entropy (bits) of the structures' empirical distribution is reported beside the
counts. Neither gets a bootstrap interval: resampling with replacement can only lose structures."""

COHERENCE_DEFINITION = """\
Definition (see docs/metrics.md): for each target declared in the spec (a belief column and the action value it maps
to), the rows whose belief in that target is strictly the highest of the compared beliefs (a shared maximum is a tie and
belongs to no group), and the share of them who take the mapped action anyway. The value-action gap pools the targets:
the total count over the total n, each target weighted by its group size. The difference is simulation minus human."""


def _families(result: CheckResult) -> str:
    counts: dict[str, int] = {}
    for fit in result.human_fits:
        counts[fit.family] = counts.get(fit.family, 0) + 1
    return ", ".join(f"{n} {md(family)}" for family, n in counts.items())


def _recovery_text(result: CheckResult, spec: StudySpec | None) -> str:
    """What this spec's models are and how they were compared, from the fits (and the spec's row subsets)."""
    n = len(result.human_fits)
    if not n:
        return "The spec declares no regression model: coefficient recovery was not computed."
    subsets = sum(1 for m in spec.models if m.subset) if spec is not None else 0
    covariance = sorted({fit.cov_type for fit in result.human_fits})
    text = (
        f"The spec declares {n} model{'s' if n != 1 else ''} ({_families(result)}); each is fitted with the same formula, "
        f"row subset and covariance ({', '.join(md(c) for c in covariance)}) on the human and on the simulated data"
    )
    if spec is not None:
        text += f"; {subsets} of them on a subset of the rows" if subsets else "; all on every row"
    return text + " (the models table below)."


def _alignment_text(sim: SimulationResult) -> str:
    d = sim.distribution
    if d is None:
        return "The spec declares no distribution check."
    numeric = sum(1 for v in d.variables if v.kind == "numeric")
    categorical = len(d.variables) - numeric
    breakdowns = [md(b.by) for b in d.variables[0].by] if d.variables else []
    parts = [f"The spec's distribution check compares {len(d.variables)} variables ({numeric} numeric, binned as declared; {categorical} categorical)"]
    parts.append(f"overall and by {', '.join(breakdowns)}" if breakdowns else "overall only (no breakdown declared)")
    text = " ".join(parts)
    if d.mean_js is not None:
        text += "; the mean JS distance averages " + ", ".join(md(v) for v in d.mean_js.variables)
    return text + f"; minimum group size {d.min_group_size} (the variables table below)."


def _heterogeneity_text(sim: SimulationResult) -> str:
    if not sim.heterogeneity:
        return "The spec declares no heterogeneity check."
    items = []
    for h in sim.heterogeneity:
        equal = h.sim_at_human_n or h.human_at_sim_n
        draws = f", {equal.draws} subsamples" if equal is not None else ""
        items.append(
            f"{md(h.name)}: distinct tuples of " + ", ".join(md_code(c) for c in h.columns)
            + f", counted on {h.human.n} human and {h.sim.n} simulated rows and compared at equal n = {h.equal_n}{draws}."
        )
    return "The spec's heterogeneity checks:\n\n" + mdx.bullets(items)


def _coherence_text(sim: SimulationResult) -> str:
    if not sim.coherence:
        return "The spec declares no coherence check."
    items = []
    for c in sim.coherence:
        targets = "; ".join(f"{md_code(t.belief)} highest, action {md_code(c.action)} = {md_code(t.action)}" for t in c.human.point.targets)
        items.append(f"{md(c.name)}: compared beliefs " + ", ".join(md_code(b) for b in c.beliefs) + f"; targets: {targets}.")
    return "The spec's coherence checks:\n\n" + mdx.bullets(items)


@dataclass(frozen=True)
class Provenance:
    """What the reproducibility section states besides the results: how and when the report was made."""

    command: str
    timestamp: str
    python: str
    platform: str
    packages: Mapping[str, str]
    renderer: str


def _bootstrap_text(result: CheckResult) -> str:
    b = result.bootstrap
    replicates = result.context.replicates
    if not replicates:
        return (
            f"Bootstrap intervals and noise floors are off for this run (`--bootstrap 0`); equal-n comparisons use "
            f"{b.get('equal_n_draws')} subsamples; seed {result.seed}."
        )
    return (
        f"Intervals are at level {fmt_level(result.level)} and rest on {replicates} bootstrap replicates; in each, the human "
        f"rows and the simulated rows are resampled independently and every statistic is recomputed (models refitted). "
        f"Recovery totals get percentile intervals widened to contain their estimate (sign flips a one-sided upper bound); "
        f"distances are bias-corrected, with the interval method each distance's coverage study chose; value-action gaps get "
        f"Wilson score intervals and their difference Newcomb's. results.json names each interval's method "
        f"(`interval_method`), and simval's docs/calibration.md gives the measured coverage. Noise floors use {replicates} pairs of human resamples. Equal-n comparisons use "
        f"{b.get('equal_n_draws')} subsamples without replacement. Every random stream is derived from the seed "
        f"({result.seed}) and the name of the piece of work, so the numbers do not depend on the order or parallelism of the run."
    )


def _models_table(result: CheckResult, spec: StudySpec | None) -> str:
    subsets = {m.id: m.subset for m in spec.models} if spec is not None else {}
    rows = [
        [
            md(fit.model),
            md(fit.label),
            md(fit.family),
            md_code(fit.formula),
            md_code(subsets[fit.model]) if subsets.get(fit.model) else ("all rows" if spec is not None else "-"),
            md(fit.cov_type),
        ]
        for fit in result.human_fits
    ]
    return mdx.table(
        ["model", "label", "family", "formula", "rows", "covariance"],
        rows,
        caption="The spec's regression models (Wilkinson formulas; the intercept is included unless the formula removes it).",
        label="tbl-models",
    )


def _distribution_table(sim: SimulationResult) -> str:
    d = sim.distribution
    if d is None:
        return ""
    mean_over = set(d.mean_js.variables) if d.mean_js is not None else set()
    rows = []
    for v in d.variables:
        labels = v.labels
        if v.kind == "numeric" and len(labels) > 2:
            values = f"{len(labels)} bins: {md(labels[0])}, {md(labels[1])}, ..., {md(labels[-1])}"
        else:
            values = ", ".join(md(label) for label in labels)
        rows.append([md(v.variable), md(v.kind), values, "yes" if v.variable in mean_over else ""])
    breakdowns = ", ".join(md(b.by) for b in d.variables[0].by) if d.variables else ""
    caption = (
        f"Variables of the distribution check. Breakdowns: {breakdowns or 'none'}; minimum group size {d.min_group_size}."
    )
    return mdx.table(["variable", "kind", "bins or categories", "in mean JS"], rows, caption=caption, label="tbl-variables")


def _gates_table(sim: SimulationResult) -> str:
    if not sim.gates:
        return "No gates were declared: the report passes or fails nothing."
    rows = []
    for g in sim.gates:
        gate = g.gate
        rule = threshold_text(gate)
        rows.append([md(gate.name), md(gate.path), mdx.num(rule), md(gate.on), md(gate.severity), md(gate.description) or "-"])
    return mdx.table(["gate", "metric path", "rule", "compared value", "severity", "description"], rows, caption="Declared gates.", label="tbl-gate-definitions")


def methods_section(result: CheckResult, sim: SimulationResult, spec: StudySpec | None) -> str:
    """Every metric's definition, alpha and correction, the bootstrap settings and the models' formulas."""
    correction = result.correction
    correction_text = (
        "no correction for multiple comparisons"
        if correction.method == "none"
        else f"p-values adjusted with {md(correction.method)} over each {md(correction.scope)} before they are compared with alpha"
    )
    parts = [
        mdx.section(1, "Methods", "sec-methods"),
        f"Significance level alpha = {result.alpha:g}, {correction_text}. Each construct below says what was computed from the "
        "spec's sections, then the definition (docs/metrics.md in simval's documentation), with this run's settings.",
        mdx.section(2, "Coefficient recovery", "sec-methods-recovery"),
        _recovery_text(result, spec),
        RECOVERY_DEFINITION,
        _models_table(result, spec),
        mdx.section(2, "Distributional alignment", "sec-methods-alignment"),
        _alignment_text(sim),
        ALIGNMENT_DEFINITION if sim.distribution is not None else "",
        _distribution_table(sim),
        mdx.section(2, "Heterogeneity", "sec-methods-heterogeneity"),
        _heterogeneity_text(sim),
        HETEROGENEITY_DEFINITION if sim.heterogeneity else "",
        mdx.section(2, "Coherence", "sec-methods-coherence"),
        _coherence_text(sim),
        COHERENCE_DEFINITION if sim.coherence else "",
        mdx.section(2, "Uncertainty", "sec-methods-uncertainty"),
        _bootstrap_text(result),
        mdx.section(2, "Gates", "sec-methods-gates"),
        _gates_table(sim),
    ]
    return "\n\n".join(part for part in parts if part)


def reproducibility_section(result: CheckResult, provenance: Provenance, files: Sequence[str]) -> str:
    """simval version, spec and its hash, seed, command line, Python and package versions, renderer, timestamp."""
    rows = [
        ["simval", md(result.simval_version)],
        ["spec", f"{md(result.spec_name)}: {md(result.spec_title)}"],
        ["spec source", md(result.spec_source)],
        ["spec SHA-256", md_code(result.spec_sha256)],
        ["seed", str(result.seed)],
        ["alpha", f"{result.alpha:g}"],
        # Without "method": each interval's method is named with it (Methods, results.json's interval_method).
        ["bootstrap", md(", ".join(f"{k} {v}" for k, v in result.bootstrap.items() if k != "method"))],
        ["command", md_code(provenance.command)],
        ["Python", f"{md(provenance.python)} on {md(provenance.platform)}"],
        ["packages", md(", ".join(f"{name} {version}" for name, version in provenance.packages.items()))],
        ["rendered with", md(provenance.renderer)],
        ["report written", md(provenance.timestamp)],
    ]
    return "\n\n".join(
        [
            mdx.section(1, "Reproducibility", "sec-reproducibility"),
            mdx.table(["item", "value"], rows, caption="Everything needed to recompute this report.", label="tbl-reproducibility"),
            "This folder holds " + ", ".join(md_code(f) for f in files) + ". "
            "The same inputs, spec and seed give byte-identical `results.json` and figures.",
        ]
    )
