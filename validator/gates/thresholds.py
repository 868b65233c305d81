"""Thresholds a fresh human sample would pass: gates suggested from the human data's own noise.

Each calibration draw plays "the human data against a simulation that is as
good as a fresh sample of people", with the two samples independent:

- Distances and the value-action gap difference come from a *split sample*:
  the human rows are split at random into two disjoint halves, so the two
  samples are truly independent draws of the population. Their null spread
  scales as ``sqrt(1/n_a + 1/n_b)`` (a difference of shares; a distance
  between two samples of one population), so the half-sample value is
  rescaled to the sizes of the real comparison, the human n and the expected
  simulated n: multiplied by ``sqrt((1/n + 1/n_sim) / (4/n))``.
- Recovery statistics and the unique-structure ratio do not rescale, so they
  come from two independent bootstrap samples of the human rows at the human
  n and the simulated n (independent given the human data, which plays the
  population).

Distance gates are on the plug-in distance (``...plug_in``, ``max_plug_in``):
the statistic these draws and the noise floors describe, computed the same way
with or without bootstrap replicates. Every gate sits at the same tail of its
own calibration distribution, that tail chosen as large as possible so that a
share ``level`` (default 95%) of the draws pass *all* gates jointly; the
suggestion reports that joint pass rate and, per gate, the Monte-Carlo spread
of its threshold. A metric that takes one value in every draw (other than its
best possible value, e.g. no sign flips in any draw: that gate stays), or whose
threshold would sit at its best possible value while some draws miss it, gets
no gate or a loosened one (never ``between 1 and 1`` or ``sign_flips <= 0``
when the human data's own draws flip signs).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from validator.checks.context import CheckContext
from validator.checks.record import MetricValue
from validator.gates.records import Gate
from validator.io.ingest import Dataset
from validator.run.forked import can_fork
from validator.spec.model import StudySpec

#: "upper" gates are <= a high quantile, "lower" >= a low one, "both" between two.
Direction = str

#: Best possible value of bounded recovery statistics: a gate at it is degenerate.
_BEST = {"recovery.f1_sign": 1.0, "recovery.fpr": 0.0, "recovery.fnr": 0.0, "recovery.sign_flips": 0.0}


@dataclass(frozen=True)
class Candidate:
    path: str
    direction: Direction
    why: str
    source: str  # "split": split-sample, rescaled; "bootstrap": independent bootstrap pair


@dataclass(frozen=True)
class Suggestion:
    """Suggested gates, the joint pass rate over the calibration draws, the per-gate tail used."""

    gates: tuple[Gate, ...]
    draws: int
    joint_pass: float
    tail: float
    n_human: int
    n_sim: int
    samples: dict[str, np.ndarray]
    spread: dict[str, float]
    skipped: dict[str, str]
    scale: float


def candidates(spec: StudySpec) -> list[Candidate]:
    """The metrics worth gating for a spec, each with the direction that is bad and its calibration source."""
    out: list[Candidate] = []
    if spec.models:
        out += [
            Candidate("recovery.f1_sign", "lower", "sign-aware recovery of the human regression conclusions", "bootstrap"),
            Candidate("recovery.fpr", "upper", "coefficients significant only in the simulation", "bootstrap"),
            Candidate("recovery.fnr", "upper", "human findings the simulation misses", "bootstrap"),
            Candidate("recovery.sign_flips", "upper", "findings with the opposite sign", "bootstrap"),
        ]
    d = spec.distributions
    if d is not None:
        if d.mean_over:
            out.append(Candidate("distribution.mean_js.overall.plug_in", "upper", f"plug-in mean JS distance over {', '.join(d.mean_over)}", "split"))
            for by in d.breakdowns:
                out.append(Candidate(f"distribution.mean_js.by.{by}.max_plug_in", "upper", f"worst {by} group, plug-in mean JS (a missing group counts as 1)", "split"))
        for variable in d.variables:
            if variable.name not in d.mean_over:
                out.append(Candidate(f"distribution.{variable.name}.overall.js.plug_in", "upper", f"plug-in JS distance of {variable.name}", "split"))
    for h in spec.heterogeneity:
        out.append(Candidate(f"heterogeneity.{h.name}.ratio_at_equal_n", "both", "unique structures, simulation / human, at equal n", "bootstrap"))
    for c in spec.coherence:
        out.append(Candidate(f"coherence.{c.name}.difference", "both", "value-action gap, simulation minus human", "split"))
    return out


def _values(spec: StudySpec, a: Dataset, b: Dataset, ctx: CheckContext) -> dict[str, MetricValue]:
    """The metric values of one pair, checked exactly as ``simval check`` would check it."""
    from validator.run.assemble import compare_datasets

    return compare_datasets(spec, a, b, ctx, spec.alpha, label=b.label).metric_values()


def _only(spec: StudySpec, *, models: bool, distributions: bool, heterogeneity: bool, coherence: bool) -> StudySpec:
    """The spec with only the sections one kind of draw needs (the others would be computed and thrown away)."""
    return replace(
        spec,
        models=spec.models if models else (),
        distributions=spec.distributions if distributions else None,
        heterogeneity=spec.heterogeneity if heterogeneity else (),
        coherence=spec.coherence if coherence else (),
        inference=None,
    )


def _halved(spec: StudySpec) -> StudySpec:
    """The spec for half samples: the same subgroups count as large enough as at full size."""
    if spec.distributions is None:
        return spec
    size = max(1, math.ceil(spec.distributions.min_group_size / 2))
    return replace(spec, distributions=replace(spec.distributions, min_group_size=size))


@dataclass(frozen=True)
class _Rows:
    """The rows one draw compares: a random order of the rows (its halves), and two bootstrap samples."""

    order: np.ndarray | None
    first: np.ndarray | None
    second: np.ndarray | None


def _rows(rng: np.random.Generator, n: int, n_sim: int, *, split: bool, bootstrap: bool) -> _Rows:
    order = rng.permutation(n) if split else None
    first = rng.integers(0, n, n) if bootstrap else None
    second = rng.integers(0, n, n_sim) if bootstrap else None
    return _Rows(order, first, second)


def _draw(spec: StudySpec, human: Dataset, rows: _Rows, ctx: CheckContext, chosen: list[Candidate], scale: float, *, batched: frozenset[str] = frozenset(), recovery: bool = True) -> dict[str, float]:
    """One calibration draw: every candidate's value (split-sample ones rescaled) not in ``batched``.

    ``recovery`` False leaves the recovery candidates out (computed for every draw at once).
    """
    n = len(human.frame)
    values: dict[str, float] = {}
    todo = [c for c in chosen if c.path not in batched and (recovery or not c.path.startswith("recovery."))]
    if rows.order is not None and any(c.source == "split" for c in todo):
        order = rows.order
        half_a = replace(human, frame=human.frame.iloc[np.sort(order[: n // 2])].reset_index(drop=True))
        half_b = replace(human, frame=human.frame.iloc[np.sort(order[n // 2 :])].reset_index(drop=True), label="split half")
        distributions = any(c.source == "split" and c.path.startswith("distribution.") for c in todo)
        split = _only(_halved(spec), models=False, distributions=distributions, heterogeneity=False, coherence=True)
        found = _values(split, half_a, half_b, ctx)
        for c in todo:
            if c.source == "split":
                value = _estimate(found.get(c.path))
                # A missing group (value 1) stays 1: it is not noise to be rescaled.
                values[c.path] = value if not math.isfinite(value) or value >= 1.0 else value * scale
    if rows.first is not None and rows.second is not None and any(c.source == "bootstrap" for c in todo):
        a = replace(human, frame=human.frame.iloc[rows.first].reset_index(drop=True))
        b = replace(human, frame=human.frame.iloc[rows.second].reset_index(drop=True), label="resample")
        paired = _only(spec, models=recovery, distributions=False, heterogeneity=True, coherence=False)
        found = _values(paired, a, b, ctx)
        for c in todo:
            if c.source == "bootstrap":
                values[c.path] = _estimate(found.get(c.path))
    return values


def _batched_values(
    spec: StudySpec, human: Dataset, rows: list[_Rows], ctx: CheckContext, chosen: list[Candidate], scale: float
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The split-half distances and the bootstrap pairs' recovery of every draw at once (:mod:`validator.gates.batched_draws`).

    Returns the values by path and, per draw, whether its recovery was computed here
    (all False when no recovery was).
    """
    from validator.gates.batched_draws import recovery_pairs, split_distances

    out: dict[str, np.ndarray] = {}
    exact = np.zeros(len(rows), dtype=bool)
    n = len(human.frame)
    distances = [c.path for c in chosen if c.source == "split" and c.path.startswith("distribution.")]
    halved = _halved(spec).distributions
    if distances and halved is not None and rows and all(r.order is not None for r in rows):
        halves = np.zeros((len(rows), n), dtype=bool)
        for i, r in enumerate(rows):
            assert r.order is not None
            halves[i, r.order[: n // 2]] = True
        for path, values in split_distances(halved, human, halves, distances).items():
            # A missing group (value 1) stays 1: it is not noise to be rescaled.
            out[path] = np.where(np.isfinite(values) & (values < 1.0), values * scale, values)
    recovery = [c.path for c in chosen if c.path.startswith("recovery.")]
    if recovery and rows and all(r.first is not None and r.second is not None for r in rows):
        first = np.stack([r.first for r in rows if r.first is not None])
        second = np.stack([r.second for r in rows if r.second is not None])
        pairs = recovery_pairs(spec, human, first, second, ctx)
        for path in recovery:
            out[path] = pairs.statistics[path.split(".", 1)[1]]
        exact = pairs.exact
    return out, exact


# What every forked worker of :func:`_forked_draws` inherits: the spec, the human data and the settings.
_DRAW_STATE: tuple[StudySpec, Dataset, CheckContext, list[Candidate], float, frozenset[str]] | None = None


def _forked_draw(job: tuple[_Rows, bool]) -> dict[str, float]:
    assert _DRAW_STATE is not None, "not in a forked worker"
    spec, human, ctx, chosen, scale, batched = _DRAW_STATE
    return _draw(spec, human, job[0], ctx, chosen, scale, batched=batched, recovery=job[1])


def _forked_draws(
    state: tuple[StudySpec, Dataset, CheckContext, list[Candidate], float, frozenset[str]],
    jobs: list[tuple[_Rows, bool]],
    workers: int,
    progress: Callable[[int, int], None] | None,
) -> list[dict[str, float]]:
    """The draws in forked worker processes (as :mod:`validator.run.forked` runs checks: threads hold one lock)."""
    global _DRAW_STATE
    from validator.run.forked import fork_pool

    _DRAW_STATE = state
    try:
        with fork_pool(workers) as pool:
            blocks = []
            # Chunks of draws keep the pipe traffic small; each draw's rows are its own, so the chunking changes nothing.
            for done, values in enumerate(pool.map(_forked_draw, jobs, chunksize=max(1, len(jobs) // (8 * workers))), start=1):
                blocks.append(values)
                if progress:
                    progress(done, len(jobs))
    finally:
        _DRAW_STATE = None
    return blocks


def _passes(values: np.ndarray, direction: Direction, low: float, high: float) -> np.ndarray:
    finite = np.isfinite(values)
    if direction == "upper":
        passed = finite & (np.nan_to_num(values, nan=np.inf) <= high)
    elif direction == "lower":
        passed = finite & (np.nan_to_num(values, nan=-np.inf) >= low)
    else:
        passed = finite & (values >= low) & (values <= high)
    return np.asarray(passed, dtype=bool)


def _quantile(finite: np.ndarray, q: float) -> float:
    # Counts and rates of a few coefficients take few values: a quantile must be one of them.
    if np.unique(finite).size <= 50:
        return float(np.quantile(finite, q, method="inverted_cdf"))
    return float(np.quantile(finite, q, method="linear"))


def _bounds(values: np.ndarray, direction: Direction, tail: float, best: float | None, centre: float | None = None) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if direction == "both" and centre is not None:
        # Draws symmetric about `centre` by construction (two exchangeable halves): one quantile of the
        # distance to the centre uses every draw for both bounds, halving their Monte-Carlo noise.
        half = _quantile(np.abs(finite - centre), 1 - tail)
        return centre - half, centre + half
    if direction == "both":
        return _quantile(finite, tail / 2), _quantile(finite, 1 - tail / 2)
    low, high = _quantile(finite, tail), _quantile(finite, 1 - tail)
    if best is not None:
        # A threshold at the best possible value while draws miss it fails a fresh sample whenever it
        # misses by one unit: loosen it to the nearest value the draws take.
        if direction == "upper" and high <= best and (finite > best).any():
            high = float(finite[finite > best].min())
        if direction == "lower" and low >= best and (finite < best).any():
            low = float(finite[finite < best].max())
    return low, high


def _spread(values: np.ndarray, direction: Direction, tail: float) -> float:
    """Monte-Carlo spread of a threshold: half the distance between the order statistics one SE of rank away."""
    finite = np.sort(values[np.isfinite(values)])
    m = finite.size
    q = 1 - tail / 2 if direction == "both" else (tail if direction == "lower" else 1 - tail)
    rank_se = math.sqrt(m * q * (1 - q))
    lo = finite[min(m - 1, max(0, math.floor(q * m - rank_se)))]
    hi = finite[min(m - 1, max(0, math.ceil(q * m + rank_se)))]
    return float(hi - lo) / 2


def suggest_gates(
    spec: StudySpec,
    human: Dataset,
    *,
    draws: int = 400,
    level: float = 0.95,
    n_sim: int | None = None,
    seed: int = 0,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Suggestion:
    """Gates that a share ``level`` of the calibration draws pass jointly (module docstring)."""
    n = len(human.frame)
    n_sim = n_sim or n
    scale = math.sqrt((1 / n + 1 / n_sim) / (4 / n))
    # Plug-in values need no bootstrap; equal-n subsampling is exact when both samples have one n.
    ctx = CheckContext(seed=seed, replicates=0, level=spec.uncertainty.level, equal_n_draws=20)
    streams = np.random.SeedSequence([seed, 0x5EED]).spawn(draws)
    chosen = candidates(spec)
    split = any(c.source == "split" for c in chosen)
    bootstrap = any(c.source == "bootstrap" for c in chosen)
    rows = [_rows(np.random.default_rng(stream), n, n_sim, split=split, bootstrap=bootstrap) for stream in streams]
    batched, exact = _batched_values(spec, human, rows, ctx, chosen, scale)
    # Recovery is left to the draws one by one only where some model failed on a sample.
    names = frozenset(batched)
    jobs = [(r, not bool(exact[i])) for i, r in enumerate(rows)]
    done = 0

    def one(job: tuple[_Rows, bool]) -> dict[str, float]:
        nonlocal done
        values = _draw(spec, human, job[0], ctx, chosen, scale, batched=names, recovery=job[1])
        done += 1
        if progress:
            progress(done, draws)
        return values

    count = max(1, workers or os.cpu_count() or 1)
    if can_fork(count, draws):
        blocks = _forked_draws((spec, human, ctx, chosen, scale, names), jobs, count, progress)
    else:
        with ThreadPoolExecutor(max_workers=count) as pool:
            blocks = list(pool.map(one, jobs))
    for i, block in enumerate(blocks):
        for path, values in batched.items():
            if path not in block:
                block[path] = float(values[i])

    samples: dict[str, np.ndarray] = {}
    skipped: dict[str, str] = {}
    for c in chosen:
        values = np.array([block.get(c.path, math.nan) for block in blocks], dtype=float)
        finite = values[np.isfinite(values)]
        if finite.size < max(10, draws // 2):
            skipped[c.path] = f"computable in only {finite.size} of {draws} draws"
        elif np.unique(finite).size == 1 and _BEST.get(c.path) != finite[0]:
            skipped[c.path] = f"every draw gave {finite[0]:g}: a gate on it would fail any difference at all"
        else:
            samples[c.path] = values
    chosen = [c for c in chosen if c.path in samples]

    def centre(c: Candidate) -> float | None:
        # A split-sample difference is as likely as its negative (swap the halves).
        return 0.0 if c.source == "split" and c.direction == "both" else None

    def joint(tail: float) -> np.ndarray:
        passing = np.ones(draws, dtype=bool)
        for c in chosen:
            low, high = _bounds(samples[c.path], c.direction, tail, _BEST.get(c.path), centre(c))
            passing &= _passes(samples[c.path], c.direction, low, high)
        return passing

    # The largest common tail whose thresholds still let `level` of the draws pass every gate.
    tail = 0.0
    for candidate_tail in np.linspace(0.05, 0.0, 201):
        if joint(float(candidate_tail)).mean() >= level:
            tail = float(candidate_tail)
            break
    gates = []
    for c in chosen:
        low, high = _bounds(samples[c.path], c.direction, tail, _BEST.get(c.path), centre(c))
        if c.direction == "upper":
            gate = Gate(c.path, c.path, "<=", _round(high, up=True), description=c.why)
        elif c.direction == "lower":
            gate = Gate(c.path, c.path, ">=", _round(low, up=False), description=c.why)
        else:
            gate = Gate(c.path, c.path, "between", (_round(low, up=False), _round(high, up=True)), description=c.why)
        gates.append(gate)
    spread = {c.path: _spread(samples[c.path], c.direction, tail) for c in chosen}
    return Suggestion(tuple(gates), draws, float(joint(tail).mean()), tail, n, n_sim, samples, spread, skipped, scale)


def _estimate(value: MetricValue | None) -> float:
    return np.nan if value is None or value.estimate is None else value.estimate


def _round(value: float, *, up: bool) -> float:
    """Round outward to 4 decimals so the rounded gate is never stricter than the quantile."""
    scaled = value * 10_000
    # + 0.0 turns a -0.0 from ceil(-1e-9) into 0.0.
    return float((np.ceil(scaled - 1e-9) if up else np.floor(scaled + 1e-9)) / 10_000) + 0.0


def suggestion_yaml(suggestion: Suggestion, spec_name: str, human_label: str) -> str:
    """The suggested gates as a commented YAML gates file."""
    pct = 100 * suggestion.joint_pass
    lines = [
        f"# Gates suggested by `simval gates suggest` from {human_label} (spec {spec_name}).",
        f"# Calibrated on {suggestion.draws} draws of two independent samples standing in for the human data",
        f"# (n = {suggestion.n_human}) and a simulation as good as a fresh human sample (n = {suggestion.n_sim}):",
        "# distances and the value-action gap from random halves of the human rows, rescaled to these",
        f"# sizes (x {suggestion.scale:.4f}); recovery and unique structures from two bootstrap samples.",
        f"# Each threshold sits at the same tail of its own draws ({100 * suggestion.tail:.2f}% per side), chosen",
        f"# so that {pct:.1f}% of the draws pass all gates together: a fresh human sample of this size passes",
        "# them all with about that probability. A simulation that fails one differs from the human data by",
        "# more than a fresh sample of people would. Tighten or loosen them deliberately, not by guesswork.",
    ]
    for path, why in suggestion.skipped.items():
        lines.append(f"# not gated: {path} ({why})")
    lines.append("gates:")
    for gate in suggestion.gates:
        values = suggestion.samples[gate.path]
        finite = values[np.isfinite(values)]
        lines.append(
            f"  # {gate.description}; draws: median {np.median(finite):.4g}, range {finite.min():.4g} to {finite.max():.4g};"
            f" threshold Monte-Carlo spread +- {suggestion.spread[gate.path]:.2g}"
        )
        threshold = f"[{gate.threshold[0]}, {gate.threshold[1]}]" if isinstance(gate.threshold, tuple) else f"{gate.threshold}"
        lines.append(f"  - name: {gate.name}")
        lines.append(f"    path: {gate.path}")
        lines.append(f"    comparison: \"{gate.comparison}\"")
        lines.append(f"    threshold: {threshold}")
        lines.append("    severity: error")
    return "\n".join(lines) + "\n"
