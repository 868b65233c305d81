"""Terminal tables for ``simval check`` (tabulate); reads results, computes nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tabulate import tabulate

from validator.io.ingest import Dataset
from validator.models.types import ModelFit
from validator.present.formatting import fmt_estimate, fmt_number, fmt_p
from validator.recovery.records import RecoveryResult, RecoverySummary
from validator.results import CheckResult, SimulationResult
from validator.recovery.notes import recovery_notes

if TYPE_CHECKING:
    from validator.checks.metric import Metric

OUTCOME_LABELS = {"TP": "TP", "FP": "FP", "FN": "FN", "sign_flip": "SIGN FLIP", "TN": "TN"}
TABLE2_HEADERS = [
    "Total coef.",
    "Sig. in reference",
    "Sig. in simulation",
    "N match",
    "FPR",
    "FNR",
    "F1(Sign)",
    "Sign flips",
    "F1 strict",
]


def table2_row(summary: RecoverySummary) -> list[object]:
    """The paper's Table 2 columns (plus strict F1) for one simulated dataset."""
    return [
        summary.n_coefficients,
        summary.n_reference_significant,
        summary.n_sim_significant,
        summary.tp,
        fmt_number(summary.fpr),
        fmt_number(summary.fnr),
        fmt_number(summary.f1_sign),
        summary.sign_flips,
        fmt_number(summary.f1_strict),
    ]


def dataset_line(dataset: Dataset) -> str:
    """'file: 929 rows read, 925 used, 4 set aside (2 out_of_range, ...)'."""
    line = f"{dataset.label}: {dataset.n_rows_read} rows read, {dataset.n_used} used, {dataset.n_set_aside} set aside"
    reasons = dataset.set_aside_by_reason()
    if reasons:
        line += " (" + ", ".join(f"{n} {reason}" for reason, n in reasons.items()) + ")"
    return line


def set_aside_table(dataset: Dataset, limit: int = 10) -> str:
    """The first ``limit`` set-aside rows with their reasons."""
    rows = [
        [item.row, item.line if item.line is not None else "-", item.column or "-", item.value if item.value is not None else "-", item.detail]
        for item in dataset.set_aside[:limit]
    ]
    text = tabulate(rows, headers=["row", "line", "column", "value", "reason"], tablefmt="simple")
    more = len(dataset.set_aside) - limit
    return text + (f"\n... and {more} more (all are listed in the JSON output)" if more > 0 else "")


def models_line(fits: tuple[ModelFit, ...]) -> str:
    estimable = [f for f in fits if f.estimable]
    line = f"models estimable: {len(estimable)} of {len(fits)}"
    failed = [f for f in fits if not f.estimable]
    if failed:
        line += " (not estimable: " + "; ".join(f"{f.model} {f.reason}" for f in failed) + ")"
    return line


def coefficient_table(recovery: RecoveryResult) -> str:
    """Per-coefficient comparison: estimates with significance marks, p-values, class, agreement."""
    rows = [
        [
            c.model,
            c.term,
            fmt_estimate(c.human_estimate, c.human_significant),
            fmt_number(c.human_std_error),
            fmt_p(c.human_p_value),
            fmt_estimate(c.sim_estimate, c.sim_significant),
            fmt_number(c.sim_std_error),
            fmt_p(c.sim_p_value),
            OUTCOME_LABELS[c.outcome],
            fmt_number(c.std_diff, 2),
            fmt_number(c.ci_overlap, 2),
            "yes" if c.sim_in_human_ci else "no",
        ]
        for c in recovery.coefficients
    ]
    headers = ["model", "term", "human b", "se", "p", "sim b", "se", "p", "class", "std diff", "CI overlap", "in human CI"]
    return tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)


def not_estimable_lines(recovery: RecoveryResult) -> list[str]:
    lines = []
    for m in recovery.models:
        sides = []
        if not m.human_estimable:
            sides.append(f"human: {m.human_reason}")
        if not m.sim_estimable:
            sides.append(f"simulation: {m.sim_reason}")
        if sides:
            lines.append(f"  {m.model} ({m.label}) not estimable - {', '.join(sides)}; its coefficients leave the totals")
    return lines


def fmt_ci(metric: Metric | None, digits: int = 3, scale: float = 1.0) -> str:
    """'0.370 [0.347, 0.397]', or the estimate alone without an interval."""
    if metric is None or metric.estimate is None:
        return "-"
    text = fmt_number(metric.estimate * scale, digits)
    if metric.interval is not None and metric.interval.low is not None and metric.interval.high is not None:
        text += f" [{fmt_number(metric.interval.low * scale, digits)}, {fmt_number(metric.interval.high * scale, digits)}]"
    return text


def _floor(metric: Metric | None) -> tuple[str, str]:
    if metric is None or metric.floor is None:
        return "-", "-"
    within = metric.within_floor
    return fmt_number(metric.floor.p95), "-" if within is None else ("yes" if within else "no")


def recovery_interval_lines(sim: SimulationResult) -> list[str]:
    u = sim.recovery_uncertainty
    if u is None:
        return []
    lines = []
    if u.intervals:
        s = sim.recovery.summary
        parts = []
        for name, label in (("f1_sign", "F1(Sign)"), ("fpr", "FPR"), ("fnr", "FNR"), ("sign_flips", "sign flips"), ("f1_strict", "F1 strict")):
            interval = u.interval(name)
            value = getattr(s, name)
            digits = 0 if name == "sign_flips" else 3
            bounds = f" [{fmt_number(interval.low, digits)}, {fmt_number(interval.high, digits)}]" if interval.low is not None else ""
            parts.append(f"{label} {fmt_number(float(value) if value is not None else None, digits)}{bounds}")
        lines.append(f"  {int(u.level * 100)}% bootstrap intervals ({u.replicates} replicates): " + ", ".join(parts))
    if u.equal_n is not None:
        e = u.equal_n
        parts = [
            f"{label} {fmt_number(mean)} [{fmt_number(interval.low)}, {fmt_number(interval.high)}]"
            for name, mean, interval in e.statistics
            for key, label in (("f1_sign", "F1(Sign)"), ("fpr", "FPR"), ("fnr", "FNR"))
            if name == key
        ]
        lines.append(f"  at equal n per model ({e.description()}): " + ", ".join(parts))
    return lines


def distribution_tables(sim: SimulationResult) -> list[str]:
    d = sim.distribution
    if d is None:
        return []
    out = ["", "Distributional alignment (Jensen-Shannon distance, base 2, in [0, 1]; [95% bootstrap interval];"]
    out.append("  floor p95 = 95th percentile of the distance between two human resamples of the same sizes)")
    rows = []
    for v in d.variables:
        c = v.overall
        floor_p95, within = _floor(c.js)
        rows.append(
            [
                v.variable,
                fmt_ci(c.js),
                floor_p95,
                within,
                fmt_number(c.tvd.estimate),
                fmt_number(c.wasserstein.estimate) if c.wasserstein else "-",
                fmt_p(c.ks_p_value) if c.wasserstein else fmt_p(c.chi2_p_value),
                fmt_ci(c.dispersion_ratio, 2) if c.dispersion_ratio else "-",
            ]
        )
    if d.mean_js is not None:
        floor_p95, within = _floor(d.mean_js.overall.js)
        rows.append(["mean_js", fmt_ci(d.mean_js.overall.js), floor_p95, within, "", "", "", ""])
    out.append(
        tabulate(
            rows,
            headers=["variable", "JS overall", "floor p95", "within noise", "TVD", "Wasserstein", "KS / chi2 p", "SD ratio sim/human"],
            tablefmt="simple",
            disable_numparse=True,
        )
    )
    if d.mean_js is not None:
        for breakdown in d.mean_js.by:
            rows = []
            for level, item in breakdown.levels:
                floor_p95, within = _floor(item.js)
                rows.append([level, item.n_human, item.n_sim, fmt_ci(item.js), floor_p95, within, "low n" if item.low_n else ""])
            out.append("")
            out.append(
                f"Mean JS over {', '.join(d.mean_js.variables)} by {breakdown.by} "
                f"(max {fmt_number(breakdown.max)}, mean {fmt_number(breakdown.mean)} over groups with >= {d.min_group_size} rows)"
            )
            out.append(
                tabulate(rows, headers=[breakdown.by, "n human", "n sim", "mean JS", "floor p95", "within noise", ""], tablefmt="simple", disable_numparse=True)
            )
    return out


def heterogeneity_lines(sim: SimulationResult) -> list[str]:
    out = []
    for h in sim.heterogeneity:
        out.append("")
        out.append(f"Heterogeneity ({h.name}: distinct {', '.join(h.columns)} tuples)")
        rows = [
            ["human", h.human.n, h.human.unique, fmt_number(h.human.entropy.estimate, 2)],
            ["simulation", h.sim.n, h.sim.unique, fmt_number(h.sim.entropy.estimate, 2)],
        ]
        out.append(tabulate(rows, headers=["data", "n", "unique", "entropy (bits)"], tablefmt="simple", disable_numparse=True))
        if h.sim_at_human_n is not None:
            e = h.sim_at_human_n
            out.append(f"  at equal n ({e.n}): simulation {e.mean:.1f} [{e.low:.0f}, {e.high:.0f}] vs human {h.human.unique}; ratio {fmt_number(h.ratio_at_equal_n, 2)}")
        if h.human_at_sim_n is not None:
            e = h.human_at_sim_n
            out.append(f"  at equal n ({e.n}): human {e.mean:.1f} [{e.low:.0f}, {e.high:.0f}] vs simulation {h.sim.unique}; ratio {fmt_number(h.ratio_at_equal_n, 2)}")
    return out


def coherence_lines(sim: SimulationResult) -> list[str]:
    out = []
    for c in sim.coherence:
        out.append("")
        out.append(f"Coherence ({c.name}: P(mapped {c.action} | belief strictly highest among {', '.join(c.beliefs)}), ties excluded)")
        rows = []
        for human_t, sim_t, human_share, sim_share in zip(c.human.point.targets, c.sim.point.targets, c.human.shares, c.sim.shares):
            rows.append(
                [
                    f"P({human_t.action} | {human_t.belief} highest)",
                    human_t.n,
                    fmt_ci(human_share, 1, 100),
                    sim_t.n,
                    fmt_ci(sim_share, 1, 100),
                ]
            )
        rows.append(["value-action gap (pooled)", c.human.point.n, fmt_ci(c.human.gap, 1, 100), c.sim.point.n, fmt_ci(c.sim.gap, 1, 100)])
        out.append(tabulate(rows, headers=["", "n human", "human %", "n sim", "simulation %"], tablefmt="simple", disable_numparse=True))
        out.append(f"  difference simulation - human: {fmt_ci(c.difference, 1, 100)} percentage points")
    return out


def verdict_line(sim: SimulationResult) -> str:
    """One line per simulated dataset: PASS or FAIL by its gates, and the headline numbers."""
    s = sim.recovery.summary
    headline = (
        f"F1(Sign) {fmt_number(s.f1_sign)}, FPR {fmt_number(s.fpr)}, FNR {fmt_number(s.fnr)}, "
        f"sign flips {s.sign_flips}, {s.n_coefficients} coefficients compared"
    )
    if not sim.gates:
        return f"DONE {sim.label}: no gates declared; {headline}"
    failed = [g for g in sim.gates if not g.passed]
    warnings = [g for g in failed if g.severity == "warning"]
    errors = [g for g in failed if g.severity == "error"]
    status = "PASS" if sim.passed else "FAIL"
    counts = f"{len(sim.gates) - len(failed)} of {len(sim.gates)} gates passed"
    if errors:
        counts += f", {len(errors)} failed"
    if warnings:
        counts += f", {len(warnings)} warning{'s' if len(warnings) > 1 else ''}"
    return f"{status} {sim.label}: {counts}; {headline}"


def gate_lines(sim: SimulationResult) -> list[str]:
    """A table of the gates of one simulated dataset, failing ones first."""
    if not sim.gates:
        return []
    ordered = sorted(sim.gates, key=lambda g: (g.passed, g.severity != "error"))
    rows = [
        [
            "pass" if g.passed else ("FAIL" if g.severity == "error" else "warn"),
            g.gate.name,
            g.message,
        ]
        for g in ordered
    ]
    return ["", "Gates", tabulate(rows, headers=["", "gate", "result"], tablefmt="simple", disable_numparse=True)]


def construct_columns(sim: SimulationResult) -> list[str]:
    """Leaderboard columns beside Table 2: mean JS, unique structures at equal n, value-action gap."""
    mean_js = fmt_number(sim.distribution.mean_js.overall.js.estimate) if sim.distribution and sim.distribution.mean_js else "-"
    unique = "-"
    if sim.heterogeneity:
        h = sim.heterogeneity[0]
        sim_count = h.sim_at_human_n.mean if h.sim_at_human_n else float(h.sim.unique)
        human_count = h.human_at_sim_n.mean if h.human_at_sim_n else float(h.human.unique)
        unique = f"{sim_count:.0f} vs {human_count:.0f}"
    gap = "-"
    if sim.coherence and sim.coherence[0].sim.gap.estimate is not None:
        human_gap = sim.coherence[0].human.gap.estimate
        gap = f"{100 * sim.coherence[0].sim.gap.estimate:.1f} vs {100 * human_gap:.1f}" if human_gap is not None else f"{100 * sim.coherence[0].sim.gap.estimate:.1f}"
    return [mean_js, unique, gap]


def format_check(result: CheckResult, *, coefficients: bool = True) -> str:
    """The full terminal report of ``simval check``."""
    out: list[str] = []
    out.append(f"simval check - spec {result.spec_name}: {result.spec_title}")
    out.append(f"alpha {result.alpha:g}, correction {result.correction['method']}")
    out.append("")
    out.append("human  " + dataset_line(result.human))
    out.append("       " + models_line(result.human_fits))
    if result.human.set_aside:
        out.append(set_aside_table(result.human))
    for sim in result.simulations:
        out.append("")
        out.append("=" * 78)
        out.append("sim    " + dataset_line(sim.dataset))
        out.append("       " + models_line(sim.fits))
        if sim.dataset.set_aside:
            out.append(set_aside_table(sim.dataset))
        out.append("")
        out.append("Coefficient recovery (layout of the paper's Table 2; sign flips enter none of FPR, FNR, F1(Sign))")
        out.append(tabulate([table2_row(sim.recovery.summary)], headers=TABLE2_HEADERS, tablefmt="simple", disable_numparse=True))
        out.extend(recovery_interval_lines(sim))
        out.extend(recovery_notes(sim.recovery, sim.recovery_uncertainty))
        out.extend(not_estimable_lines(sim.recovery))
        if coefficients:
            out.append("")
            out.append(f"Per coefficient (* significant at alpha {result.alpha:g}):")
            out.append(coefficient_table(sim.recovery))
        out.extend(distribution_tables(sim))
        out.extend(heterogeneity_lines(sim))
        out.extend(coherence_lines(sim))
        out.extend(gate_lines(sim))
    if len(result.simulations) > 1:
        out.append("")
        out.append("=" * 78)
        out.append("Leaderboard")
        rows = [[sim.label, *table2_row(sim.recovery.summary), *construct_columns(sim)] for sim in result.simulations]
        out.append(
            tabulate(rows, headers=["simulation", *TABLE2_HEADERS, "mean JS", "unique (equal n)", "gap %"], tablefmt="simple", disable_numparse=True)
        )
    out.append("")
    out.extend(verdict_line(sim) for sim in result.simulations)
    return "\n".join(out)
