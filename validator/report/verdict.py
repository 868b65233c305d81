"""The report's first screen: the gates' verdict and the headline numbers, human vs simulation."""

from __future__ import annotations

from validator.gates.records import threshold_text
from validator.present.formatting import fmt_level
from validator.report import markdown as mdx
from validator.report.escape import md
from validator.results import CheckResult, SimulationResult


def gate_status(sim: SimulationResult) -> str:
    """'PASS', 'FAIL' or 'INCONCLUSIVE': the simulated dataset's overall verdict."""
    return sim.verdict.overall.upper() if sim.verdict is not None else "INCONCLUSIVE"


def _g(value: float | None) -> str:
    """A gate's value as its message prints it (four significant digits)."""
    return "-" if value is None else f"{value:.4g}"


def _gates_table(sim: SimulationResult) -> str:
    rows = []
    for g in sim.gates:
        gate = g.gate
        threshold = threshold_text(gate)
        on = "" if gate.on == "estimate" else f" ({gate.on} bound)"
        name = md(gate.name) + ("" if gate.name == gate.path else f" ({md(gate.path)})")
        rows.append(
            [
                name,
                mdx.num(threshold) + on,
                _g(g.observed) + (mdx.num(f" [{_g(g.low)},{mdx.NBSP}{_g(g.high)}]") if g.low is not None and g.high is not None else ""),
                "**PASS**" if g.passed else ("**FAIL**" if gate.severity == "error" else "**warning**"),
            ]
        )
    table = mdx.table(
        ["gate (metric path)", "rule", "observed [interval]", "result"],
        rows,
        caption="Gates declared for this check, in declaration order.",
        label="tbl-gates",
    )
    failed = [g for g in sim.gates if not g.passed]
    details = mdx.bullets([f"**{md(g.gate.name)}** ({md(g.severity)}): {md(g.message)}" for g in failed])
    return table + ("\n\n" + details if failed else "")


def _models_line(result: CheckResult, sim: SimulationResult) -> str:
    failed = [f for f in sim.fits if not f.estimable]
    human_failed = [f for f in result.human_fits if not f.estimable]
    parts = []
    coefficients = {f.model: len(f.coefficients) for f in result.human_fits}
    for side, fits in (("simulated", failed), ("human", human_failed)):
        for f in fits:
            n = coefficients.get(f.model, 0)
            leave = f"; its {n} coefficients leave the totals" if n else "; its coefficients leave the totals"
            parts.append(f"model {md(f.model)} ({md(f.label)}) cannot be estimated on the {side} data ({md(f.reason or 'unknown reason')}){leave}")
    return ("Not estimable: " + "; ".join(parts) + ".") if parts else ""


def headline_rows(result: CheckResult, sim: SimulationResult) -> list[list[str]]:
    """Measure, human, simulation, how to read it: the rows of the headline table."""
    s = sim.recovery.summary
    u = sim.recovery_uncertainty
    iv = dict(u.intervals) if u is not None else {}
    n_models = len(result.human_fits)
    rows = [
        [
            "Models estimable",
            f"{sum(f.estimable for f in result.human_fits)} of {n_models}",
            f"{sum(f.estimable for f in sim.fits)} of {len(sim.fits)}",
            f"{s.n_coefficients} coefficients compared (models estimable on both)",
        ],
        [
            f"Significant at alpha = {result.alpha:g}",
            mdx.with_interval(s.n_reference_significant, iv.get("n_reference_significant"), 0),
            mdx.with_interval(s.n_sim_significant, iv.get("n_sim_significant"), 0),
            f"of the {s.n_coefficients} compared coefficients",
        ],
        ["F1(Sign)", "1 (reference)", mdx.with_interval(s.f1_sign, iv.get("f1_sign")), "2TP / (2TP + FP + FN); 1 = every human result reproduced"],
        ["FPR", "0 (reference)", mdx.with_interval(s.fpr, iv.get("fpr")), "FP / coefficients not significant in the human data"],
        ["FNR", "0 (reference)", mdx.with_interval(s.fnr, iv.get("fnr")), "FN / coefficients significant in the human data"],
        [
            "**Sign flips**",
            "0 (reference)",
            "**" + mdx.with_interval(s.sign_flips, iv.get("sign_flips"), 0) + "**",
            "significant in both with opposite signs; counted in none of F1(Sign), FPR, FNR",
        ],
        ["F1 strict", "1 (reference)", mdx.with_interval(s.f1_strict, iv.get("f1_strict")), "flips count as FP and FN"],
    ]
    d = sim.distribution
    if d is not None and d.mean_js is not None:
        m = d.mean_js.overall.js
        floor = m.floor
        human = f"noise floor {mdx.number(floor.median)} (median), {mdx.number(floor.p95)} (p95)" if floor else "0 (reference)"
        verdict = {True: "within the human noise floor", False: "beyond the human noise floor", None: "no noise floor (bootstrap off)"}[m.within_floor]
        rows.append([f"Mean JS distance ({md(', '.join(d.mean_js.variables))})", human, mdx.metric(m), f"0 = identical, 1 = disjoint; {verdict}"])
    for h in sim.heterogeneity:
        equal = h.sim_at_human_n or h.human_at_sim_n
        note = f"at equal n = {h.equal_n}: simulated / human = {mdx.number(h.ratio_at_equal_n, 2)}"
        if equal is not None and h.human.n != h.sim.n:
            side = "simulation" if h.sim_at_human_n is not None else "human"
            note += f" ({side} subsampled: {mdx.number(equal.mean, 1)} {mdx.interval(equal.low, equal.high, 0)})"
        rows.append([f"Unique structures ({md(h.name)})", f"{h.human.unique} (n = {h.human.n})", f"{h.sim.unique} (n = {h.sim.n})", note])
    for c in sim.coherence:
        rows.append(
            [
                f"Value-action gap ({md(c.name)}), %",
                mdx.metric(c.human.gap, 1, 100),
                mdx.metric(c.sim.gap, 1, 100),
                f"difference {mdx.metric(c.difference, 1, 100)} percentage points",
            ]
        )
    return rows


def _summary_sentence(sim: SimulationResult) -> str:
    s = sim.recovery.summary
    return (
        f"Of the {s.n_reference_significant} coefficients significant in the human data, the simulation reproduces "
        f"{s.tp} with the same sign, misses {s.fn} and reverses the sign of {s.sign_flips}; "
        f"{s.fp} of the coefficients not significant in the human data are significant in the simulation."
    )


def _verdict_box(sim: SimulationResult) -> str:
    verdict = sim.verdict
    status = gate_status(sim)
    if verdict is None or not verdict.constructs:
        return mdx.callout("note", f"Verdict: {status}", "No construct could be judged on this data.")
    source = (
        "from the gates declared for this check"
        if verdict.source == "gates"
        else "from simval's default rules: each construct against what a fresh sample of the human data shows at these sizes"
    )
    lines = [f"**{md(name)}: {construct.verdict}**. {md(construct.reason)}" for name, construct in verdict.constructs]
    kind = {"PASS": "tip", "FAIL": "important"}.get(status, "note")
    return mdx.callout(kind, f"Verdict: {status}", f"Verdict {source}.\n\n" + mdx.bullets(lines))


def verdict_section(result: CheckResult, sim: SimulationResult) -> str:
    """The verdict per construct and overall, the gates when declared, and the headline numbers with their intervals."""
    box = _verdict_box(sim)
    replicates = result.context.replicates
    intervals = (
        f"Brackets hold {fmt_level(result.level)} intervals from {replicates} bootstrap replicates (Wilson score intervals for "
        "the value-action gap; each method is named in Methods)."
        if replicates
        else "Bootstrap intervals and noise floors are off for this run (`--bootstrap 0`)."
    )
    parts = [
        mdx.section(1, "Verdict", "sec-verdict"),
        box,
        _gates_table(sim) if sim.gates else "",
        mdx.table(
            ["Measure", "Human", "Simulation", "Reads as"],
            headline_rows(result, sim),
            caption=f"Headline numbers. {intervals}",
            label="tbl-headline",
        ),
        _summary_sentence(sim) + (" " + _models_line(result, sim) if _models_line(result, sim) else ""),
    ]
    return "\n\n".join(part for part in parts if part)
