"""Thresholds a fresh human sample would pass: gates suggested from the human data's own resampling.

Draw pairs of independent samples with replacement from the human rows, the
first at the human n (playing the human data) and the second at the expected
simulated n (playing a simulation that is as good as a fresh human sample). Run
every check on each pair exactly as ``simval check`` would, read the gateable
metrics, and choose thresholds so that a share ``level`` (default 95%) of the
pairs pass *all* suggested gates jointly: each gate sits at the same tail
quantile of its own resampling distribution, and that tail is as large as the
joint pass rate allows. A simulation that fails these gates differs from the
human data by more than a fresh sample of people would.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from validator.checks.context import CheckContext
from validator.checks.record import MetricValue
from validator.gates.records import Gate
from validator.io.ingest import Dataset
from validator.spec.model import StudySpec

#: (path, direction): "upper" gates are <= a high quantile, "lower" >= a low one, "both" between.
Direction = str


@dataclass(frozen=True)
class Candidate:
    path: str
    direction: Direction
    why: str


@dataclass(frozen=True)
class Suggestion:
    """Suggested gates, the joint pass rate on the resampled pairs, and the per-gate tail used."""

    gates: tuple[Gate, ...]
    draws: int
    joint_pass: float
    tail: float
    n_human: int
    n_sim: int
    samples: dict[str, np.ndarray]


def candidates(spec: StudySpec) -> list[Candidate]:
    """The metrics worth gating for a spec, each with the direction that is bad."""
    out: list[Candidate] = []
    if spec.models:
        out += [
            Candidate("recovery.f1_sign", "lower", "sign-aware recovery of the human regression conclusions"),
            Candidate("recovery.fpr", "upper", "coefficients significant only in the simulation"),
            Candidate("recovery.fnr", "upper", "human findings the simulation misses"),
            Candidate("recovery.sign_flips", "upper", "findings with the opposite sign"),
        ]
    d = spec.distributions
    if d is not None:
        if d.mean_over:
            out.append(Candidate("distribution.mean_js.overall", "upper", f"mean JS distance over {', '.join(d.mean_over)}"))
            for by in d.breakdowns:
                out.append(Candidate(f"distribution.mean_js.by.{by}.max", "upper", f"worst {by} group"))
        for variable in d.variables:
            if variable.name not in d.mean_over:
                out.append(Candidate(f"distribution.{variable.name}.overall.js", "upper", f"JS distance of {variable.name}"))
    for h in spec.heterogeneity:
        out.append(Candidate(f"heterogeneity.{h.name}.ratio_at_equal_n", "both", "unique structures, simulation / human, at equal n"))
    for c in spec.coherence:
        out.append(Candidate(f"coherence.{c.name}.difference", "both", "value-action gap, simulation minus human"))
    return out


def _pair_values(spec: StudySpec, human: Dataset, rng: np.random.Generator, n_sim: int, ctx: CheckContext) -> dict[str, MetricValue]:
    """The metric values of one pair of resamples, checked exactly as ``simval check`` would."""
    from validator.run.assemble import compare_datasets

    n = len(human.frame)
    a = replace(human, frame=human.frame.iloc[rng.integers(0, n, n)].reset_index(drop=True))
    b = replace(human, frame=human.frame.iloc[rng.integers(0, n, n_sim)].reset_index(drop=True), label="resample")
    return compare_datasets(spec, a, b, ctx, spec.alpha, label="resample").metric_values()


def _passes(values: np.ndarray, direction: Direction, low: float, high: float) -> np.ndarray:
    finite = np.isfinite(values)
    if direction == "upper":
        return finite & (np.nan_to_num(values, nan=np.inf) <= high)
    if direction == "lower":
        return finite & (np.nan_to_num(values, nan=-np.inf) >= low)
    return finite & (values >= low) & (values <= high)


def _bounds(values: np.ndarray, direction: Direction, tail: float) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if direction == "both":
        low, high = np.quantile(finite, [tail / 2, 1 - tail / 2], method="inverted_cdf")
    else:
        low, high = np.quantile(finite, [tail, 1 - tail], method="inverted_cdf")
    return float(low), float(high)


def suggest_gates(
    spec: StudySpec,
    human: Dataset,
    *,
    draws: int = 200,
    level: float = 0.95,
    n_sim: int | None = None,
    seed: int = 0,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Suggestion:
    """Gates that a ``level`` share of independent human resample pairs pass jointly."""
    import os

    n_sim = n_sim or len(human.frame)
    # Equal-n subsampling is exact when both samples have the same n; the checks run without bootstrap.
    ctx = CheckContext(seed=seed, replicates=0, level=spec.uncertainty.level, equal_n_draws=20)
    streams = np.random.SeedSequence([seed, 0x5EED]).spawn(draws)
    done = 0

    def one(stream: np.random.SeedSequence) -> dict[str, MetricValue]:
        nonlocal done
        block = _pair_values(spec, human, np.random.default_rng(stream), n_sim, ctx)
        done += 1
        if progress:
            progress(done, draws)
        return block

    with ThreadPoolExecutor(max_workers=max(1, workers or os.cpu_count() or 1)) as pool:
        blocks = list(pool.map(one, streams))

    chosen = [c for c in candidates(spec)]
    samples: dict[str, np.ndarray] = {}
    for c in chosen:
        values = np.array([_estimate(block.get(c.path)) for block in blocks], dtype=float)
        if np.isfinite(values).sum() >= max(10, draws // 2):
            samples[c.path] = values
    chosen = [c for c in chosen if c.path in samples]

    # The largest common tail whose thresholds still let `level` of the pairs pass every gate.
    tail = 0.0
    for candidate_tail in np.linspace(0.05, 0.0, 101):
        passing = np.ones(draws, dtype=bool)
        for c in chosen:
            low, high = _bounds(samples[c.path], c.direction, candidate_tail)
            passing &= _passes(samples[c.path], c.direction, low, high)
        if passing.mean() >= level:
            tail = float(candidate_tail)
            break
    gates = []
    passing = np.ones(draws, dtype=bool)
    for c in chosen:
        low, high = _bounds(samples[c.path], c.direction, tail)
        passing &= _passes(samples[c.path], c.direction, low, high)
        if c.direction == "upper":
            gate = Gate(c.path, c.path, "<=", _round(high, up=True), description=c.why)
        elif c.direction == "lower":
            gate = Gate(c.path, c.path, ">=", _round(low, up=False), description=c.why)
        else:
            gate = Gate(c.path, c.path, "between", (_round(low, up=False), _round(high, up=True)), description=c.why)
        gates.append(gate)
    return Suggestion(tuple(gates), draws, float(passing.mean()), tail, len(human.frame), n_sim, samples)


def _estimate(value: MetricValue | None) -> float:
    return np.nan if value is None or value.estimate is None else value.estimate


def _round(value: float, *, up: bool) -> float:
    """Round outward to 4 decimals so the rounded gate is never stricter than the quantile."""
    scaled = value * 10_000
    return float((np.ceil(scaled) if up else np.floor(scaled)) / 10_000)


def suggestion_yaml(suggestion: Suggestion, spec_name: str, human_label: str) -> str:
    """The suggested gates as a commented YAML gates file."""
    lines = [
        f"# Gates suggested by `simval gates suggest` from {human_label} (spec {spec_name}).",
        f"# {suggestion.draws} pairs of independent resamples of the human rows (n = {suggestion.n_human} and",
        f"# n = {suggestion.n_sim}) went through every check. Each threshold sits at the same tail of its own",
        f"# resampling distribution ({100 * suggestion.tail:.2f}% per side), chosen so that {100 * suggestion.joint_pass:.1f}%",
        "# of the pairs pass all gates together: a fresh human sample of this size passes them with",
        "# about that probability. A simulation that fails one differs from the human data by more",
        "# than a fresh sample of people would. Tighten or loosen them deliberately, not by guesswork.",
        "gates:",
    ]
    for gate in suggestion.gates:
        values = suggestion.samples[gate.path]
        finite = values[np.isfinite(values)]
        lines.append(f"  # {gate.description}; human resamples: median {np.median(finite):.4g}, range {finite.min():.4g} to {finite.max():.4g}")
        threshold = f"[{gate.threshold[0]}, {gate.threshold[1]}]" if isinstance(gate.threshold, tuple) else f"{gate.threshold}"
        lines.append(f"  - name: {gate.name}")
        lines.append(f"    path: {gate.path}")
        lines.append(f"    comparison: \"{gate.comparison}\"")
        lines.append(f"    threshold: {threshold}")
        lines.append("    severity: error")
    return "\n".join(lines) + "\n"


