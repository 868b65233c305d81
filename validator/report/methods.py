"""The report's methods and reproducibility sections.

The metric definitions are quoted from STUDY.md (the project's binding
definitions), in its wording where it is general, and filled in with this
run's settings (alpha, bootstrap, the spec's models and variables).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from validator.report import markdown as mdx
from validator.report.escape import md, md_code
from validator.gates.records import threshold_text
from validator.present.formatting import fmt_level
from validator.report.verdict import breakable
from validator.results import CheckResult, SimulationResult
from validator.spec.model import StudySpec

RECOVERY_DEFINITION = """\
From STUDY.md:

> Fit every model on the human data (the reference) and on the simulated data. A coefficient is significant when its
> two-sided p-value is below alpha. Compare coefficient by coefficient, over the coefficients estimable in both datasets:
> **TP**: significant in both, same sign ("N Match"). **FP**: significant in the simulation, not in the human data.
> **FN**: significant in the human data, not in the simulation. **Sign flip**: significant in both, opposite signs.
> **TN**: significant in neither.
>
> The paper's convention, which simval reproduces exactly: `FPR = FP / (number of coefficients not significant in the human data)`,
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
From STUDY.md:

> Jensen-Shannon distance between the human and simulated distribution of a variable: the square root of the JS
> divergence with base-2 logarithms, so it lies in [0, 1].

Numeric variables are binned into the equal bins the spec declares (the upper bound falls in the last bin);
categorical variables use their categories. Beside the JS distance: the total variation distance
(`TVD = sum |p - q| / 2`), for numeric variables the Wasserstein-1 distance on the raw values, the two-sample
Kolmogorov-Smirnov test and the dispersion ratio `SD(sim) / SD(human)`; for categorical variables a chi-square test of
homogeneity. Each is reported overall and within every level of every breakdown; groups with fewer rows than the
minimum group size in either dataset are reported, flagged "low n" and left out of the aggregates (max and mean over
groups). The **noise floor** of a distance is its distribution between two independent resamples of the human rows (of
that group) at the sizes of the comparison; its median and 95th percentile are reported, and a distance at or below the
95th percentile is "within the floor": a fresh human sample of the same size would often be this far off."""

HETEROGENEITY_DEFINITION = """\
In the reference study (STUDY.md):

> The number of unique belief structures: distinct (belief_t1, belief_t2, belief_both) triples. It grows with sample
> size, so compare at equal n.

In general: distinct value tuples over the spec's declared columns. The larger dataset is subsampled without
replacement to the smaller one's n, and the mean count over the subsamples is reported with its 2.5-97.5 percentile
range. The Shannon entropy (bits) of the structures' empirical distribution is reported beside the counts. Neither gets
a bootstrap interval: resampling with replacement can only lose structures."""

COHERENCE_DEFINITION = """\
The value-action gap of the reference study (STUDY.md):

> Among respondents whose highest belief is "only at Target k" (k = 1, 2; ties excluded), the share who nevertheless
> attack Target k: P(attack T1 | T1 highest), P(attack T2 | T2 highest), and their average weighted by the two group
> sizes, each with its n.

In general, for each target declared in the spec (a belief and the action it maps to): among rows whose belief is
strictly the highest of the compared beliefs, the share who take the mapped action; the value-action gap pools the
targets, weighting each by its group size. The difference is simulation minus human."""


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
        f"Intervals are {b['method']} bootstrap intervals at level {fmt_level(result.level)} from {replicates} "
        f"replicates; in each, the human rows and the simulated rows are resampled independently and every statistic is "
        f"recomputed (models refitted). Noise floors use {replicates} pairs of human resamples. Equal-n comparisons use "
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


def _constructs_list(sim: SimulationResult) -> str:
    items = []
    for h in sim.heterogeneity:
        items.append(f"Heterogeneity {md(h.name)}: distinct tuples of " + ", ".join(md_code(c) for c in h.columns) + ".")
    for c in sim.coherence:
        targets = "; ".join(f"{md_code(t.belief)} highest -> {md_code(t.action)}" for t in c.human.point.targets)
        items.append(f"Coherence {md(c.name)}: action {md_code(c.action)}, compared beliefs " + ", ".join(md_code(b) for b in c.beliefs) + f"; targets {targets}.")
    return mdx.bullets(items)


def _gates_table(sim: SimulationResult) -> str:
    if not sim.gates:
        return "No gates were declared: the report passes or fails nothing."
    rows = []
    for g in sim.gates:
        gate = g.gate
        rule = threshold_text(gate)
        rows.append([breakable(gate.name), breakable(gate.path), mdx.num(rule), md(gate.on), md(gate.severity), md(gate.description) or "-"])
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
        f"Significance level alpha = {result.alpha:g}, {correction_text}. Definitions as in simval's docs/metrics.md, "
        "with this run's settings.",
        mdx.section(2, "Coefficient recovery", "sec-methods-recovery"),
        RECOVERY_DEFINITION,
        _models_table(result, spec),
        mdx.section(2, "Distributional alignment", "sec-methods-alignment"),
        ALIGNMENT_DEFINITION,
        _distribution_table(sim),
        mdx.section(2, "Heterogeneity and coherence", "sec-methods-constructs"),
        HETEROGENEITY_DEFINITION,
        COHERENCE_DEFINITION,
        _constructs_list(sim),
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
        ["bootstrap", md(", ".join(f"{k} {v}" for k, v in result.bootstrap.items()))],
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
