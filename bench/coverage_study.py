"""Coverage study: do simval's distance intervals, noise floors, verdicts and suggested gates mean what they say?

A known process (the demo generator, validator.demo.generate) gives the truth:
population distances come from very large samples of the human population and
of a simulated one. Each replication draws a fresh human sample and a fresh
simulated sample (n = 929, personas from an independent human draw) and runs
the checks exactly as ``simval check`` does. Reported, with Monte-Carlo
standard errors sqrt(p (1 - p) / R):

1. coverage of every distance interval simval prints (JS, TVD, Wasserstein, KS,
   mean JS), overall, for groups with >= 100 rows per side and for 50-99;
2. for a perfect simulator (the simulated sample is a fresh human sample): the
   within-floor rate of every floor (per variable, per subgroup, per distance),
   and the pass rate of the default verdict of each construct;
3. the joint pass rate of suggested gates on fresh human samples, and the
   seed-to-seed spread of the thresholds.

Usage:  python bench/coverage_study.py [--quick] [--reps R] [--boot B] [--part intervals|floors|gates|all]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections import defaultdict
from typing import Any

# One BLAS thread per process: the study runs replications serially, and oversubscribed BLAS threads
# on a shared machine made it three times slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np


def _se(p: float, n: int) -> float:
    return math.sqrt(max(p * (1 - p), 0.0) / n) if n else math.nan


def _pct(p: float, n: int) -> str:
    return f"{100 * p:.1f}% +- {100 * _se(p, n):.1f} (R = {n})"


def _size_class(n_h: int, n_s: int, group: str) -> str:
    if group == "overall":
        return "overall"
    rows = min(n_h, n_s)
    return ">=100" if rows >= 100 else "50-99" if rows >= 50 else "<50"


def _truth(spec: Any, kind: str, n_pop: int) -> dict[tuple[str, str, str], float]:
    """Population distances by (variable, group, metric) from two n_pop-row populations."""
    from validator.alignment.check import compare_distributions
    from validator.api import read_dataset
    from validator.checks.context import CheckContext
    from validator.demo.generate import generate_human, generate_simulated

    human = generate_human(n_pop, seed=101)
    sim = generate_human(n_pop, seed=102) if kind == "human" else generate_simulated(kind, generate_human(n_pop, seed=103), seed=104)
    result = compare_distributions(read_dataset(human, spec, label="h"), read_dataset(sim, spec, label="s"), spec.distributions, CheckContext(replicates=0))
    truth: dict[tuple[str, str, str], float] = {}
    for key, item in _metrics(result.to_dict()):
        if item.get("plug_in") is not None:
            truth[key] = float(item["plug_in"])
    return truth


def _metrics(block: dict[str, Any]) -> list[tuple[tuple[str, str, str], dict[str, Any]]]:
    """Every distance block of a distribution result: ((variable, group, metric), block with n_human/n_sim)."""
    out = []
    names = {"js": "js", "tvd": "tvd", "wasserstein": "wasserstein", "ks_statistic": "ks"}
    for variable, result in block.items():
        if not isinstance(result, dict) or "overall" not in result:
            continue
        places = [("overall", result["overall"])]
        for by, breakdown in result.get("by", {}).items():
            places += [(f"{by}={level}", item) for level, item in breakdown["levels"].items()]
        for group, item in places:
            if variable == "mean_js":
                out.append(((variable, group, "js"), {**item, "n_human": item["n_human"], "n_sim": item["n_sim"]}))
                continue
            for key, metric in names.items():
                if isinstance(item.get(key), dict):
                    out.append(((variable, group, metric), {**item[key], "n_human": item["n_human"], "n_sim": item["n_sim"]}))
    return out


def _pair(kind: str, r: int, n: int) -> tuple[Any, Any]:
    from validator.demo.generate import generate_human, generate_simulated

    human = generate_human(n, seed=10_000 + r)
    sim = generate_human(n, seed=20_000 + r) if kind == "human" else generate_simulated(kind, generate_human(n, seed=30_000 + r), seed=40_000 + r)
    return human, sim


def intervals(spec: Any, kind: str, reps: int, boot: int, n_pop: int, n: int) -> None:
    from validator.alignment.check import compare_distributions
    from validator.api import read_dataset
    from validator.checks.context import CheckContext

    truth = _truth(spec, kind, n_pop)
    covered: dict[tuple[str, str], list[bool]] = defaultdict(list)
    flagged: dict[str, list[bool]] = defaultdict(list)
    contains = True
    for r in range(reps):
        human, sim = _pair(kind, r, n)
        result = compare_distributions(read_dataset(human, spec, label="h"), read_dataset(sim, spec, label="s"), spec.distributions, CheckContext(seed=r, replicates=boot))
        for key, item in _metrics(result.to_dict()):
            if key not in truth or item.get("low") is None:
                continue
            size = _size_class(item["n_human"], item["n_sim"], key[1])
            contains &= item["low"] <= item["estimate"] <= item["high"]
            hit = item["low"] - 1e-12 <= truth[key] <= item["high"] + 1e-12
            name = "mean_js" if key[0] == "mean_js" else key[2]
            covered[(name, size)].append(hit)
            flagged[size].append(bool(item.get("low_coverage")))
        print(f"  intervals: replication {r + 1}/{reps}", file=sys.stderr, end="\r")
    print(f"\n### Interval coverage, {kind} simulator (true distances from {n_pop:,}-row populations, n = {n}, B = {boot})\n")
    print("| distance | overall | groups >= 100 rows/side | groups 50-99 | groups < 50 |")
    print("|---|---|---|---|---|")
    for name in ("js", "mean_js", "tvd", "wasserstein", "ks"):
        cells = []
        for size in ("overall", ">=100", "50-99", "<50"):
            hits = covered.get((name, size), [])
            cells.append(f"{100 * np.mean(hits):.1f}% +- {100 * _se(float(np.mean(hits)), len(hits)):.1f} ({len(hits)})" if hits else "-")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\n(count in brackets = intervals; +- is the binomial Monte-Carlo SE, which ignores the correlation of intervals within a replication.) Every interval contained its estimate: {contains}.")
    print("Flagged low_coverage: " + ", ".join(f"{size} {100 * np.mean(v):.0f}%" for size, v in sorted(flagged.items())))


def floors(spec: Any, reps: int, boot: int, n: int, alignment: bool = True) -> None:
    from validator.alignment.check import compare_distributions
    from validator.api import read_dataset
    from validator.checks.context import CheckContext
    from validator.coherence.check import compare_coherence
    from validator.heterogeneity.check import compare_structures

    within: dict[tuple[str, str, str], list[bool]] = defaultdict(list)
    verdicts: dict[str, list[str]] = defaultdict(list)
    for r in range(reps):
        human, sim = _pair("human", r, n)
        h, s = read_dataset(human, spec, label="h"), read_dataset(sim, spec, label="s")
        ctx = CheckContext(seed=r, replicates=boot)
        if alignment:
            result = compare_distributions(h, s, spec.distributions, ctx)
            for key, item in _metrics(result.to_dict()):
                if item.get("within_floor") is not None and min(item["n_human"], item["n_sim"]) >= spec.distributions.min_group_size:
                    within[key].append(bool(item["within_floor"]))
            verdicts["alignment"].append(result.default_verdict.verdict if result.default_verdict else "none")
        for item in spec.heterogeneity:
            het = compare_structures(h, s, item, ctx)
            verdicts["heterogeneity"].append(het.default_verdict.verdict if het.default_verdict else "none")
        for item in spec.coherence:
            coh = compare_coherence(h, s, item, ctx)
            verdicts["coherence"].append(coh.default_verdict.verdict if coh.default_verdict else "none")
        print(f"  floors: replication {r + 1}/{reps}", file=sys.stderr, end="\r")
    print(f"\n### Noise floors and default verdicts, perfect simulator (fresh human samples, n = {n}, B = {boot}, R = {reps})\n")
    by_metric: dict[str, list[float]] = defaultdict(list)
    for (variable, _group, metric), hits in within.items():
        by_metric["mean_js" if variable == "mean_js" else metric].append(float(np.mean(hits)))
    all_rates = [float(np.mean(h)) for h in within.values()] or [math.nan]
    print("| floor | cells | mean within-floor rate | lowest cell | highest cell |")
    print("|---|---|---|---|---|")
    for name, rates in sorted(by_metric.items()):
        print(f"| {name} | {len(rates)} | {100 * np.mean(rates):.1f}% | {100 * min(rates):.1f}% | {100 * max(rates):.1f}% |")
    pooled = float(np.mean([x for h in within.values() for x in h])) if within else math.nan
    print(f"\nAll {len(all_rates)} cells: pooled within-floor rate {100 * pooled:.1f}%; a single cell's Monte-Carlo SE at 95% is {100 * _se(0.95, reps):.1f} points, "
          f"so cells spread over about 95 +- {200 * _se(0.95, reps):.1f} by chance alone; "
          f"{sum(abs(x - 0.95) > 2.58 * _se(0.95, reps) for x in all_rates)} of {len(all_rates)} cells lie outside 95 +- 2.58 SE.")
    print("\n| construct | default verdict pass rate | inconclusive |")
    print("|---|---|---|")
    for name, values in verdicts.items():
        p = float(np.mean([v == "pass" for v in values]))
        print(f"| {name} | {_pct(p, len(values))} | {sum(v == 'inconclusive' for v in values)} |")


def gates(spec: Any, humans: int, fresh: int, draws: int, n: int, seeds: int) -> None:
    import validator
    from validator.api import read_dataset
    from validator.demo.generate import generate_human
    from validator.gates.thresholds import suggest_gates

    passes: list[bool] = []
    per_gate: dict[str, list[bool]] = defaultdict(list)
    thresholds: dict[str, list[Any]] = defaultdict(list)
    for g in range(humans):
        human = generate_human(n, seed=50_000 + g)
        suggestion = suggest_gates(spec, read_dataset(human, spec, label="h"), draws=draws, seed=g)
        samples = [generate_human(n, seed=60_000 + 1000 * g + f) for f in range(fresh)]
        result = validator.check(human, samples, spec=spec, bootstrap=0, gates=list(suggestion.gates))
        for sim in result.simulations:
            passes.append(sim.passed)
            for gate in sim.gates:
                per_gate[gate.gate.path].append(gate.passed)
        if g == 0:
            for seed in range(seeds):
                again = suggest_gates(spec, read_dataset(human, spec, label="h"), draws=draws, seed=100 + seed)
                for gate in again.gates:
                    thresholds[gate.path].append(gate.threshold)
        print(f"  gates: human sample {g + 1}/{humans}: {np.mean(passes):.3f} so far", file=sys.stderr)
    p = float(np.mean(passes))
    print(f"\n### Suggested gates ({draws} calibration pairs), fresh human samples (n = {n}): {humans} human samples x {fresh} fresh samples\n")
    print(f"Joint pass rate: {_pct(p, len(passes))}\n")
    print(f"| gate | pass rate alone | thresholds from {seeds} more seeds (first human sample) |")
    print("|---|---|---|")
    for path, values in per_gate.items():
        print(f"| {path} | {100 * np.mean(values):.1f}% | {', '.join(str(t) for t in thresholds.get(path, []))} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smoke run: few replications, small populations")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--boot", type=int, default=1000)
    parser.add_argument("--pop", type=int, default=2_000_000, help="rows of each population for the true distances")
    parser.add_argument("--kind", default="finetuned_random", help="simulated process whose population distance the intervals estimate")
    parser.add_argument("--part", choices=("intervals", "floors", "verdicts", "gates", "all"), default="all", help="verdicts: the heterogeneity and coherence verdicts only")
    parser.add_argument("--gate-humans", type=int, default=10)
    parser.add_argument("--gate-fresh", type=int, default=40)
    parser.add_argument("--gate-draws", type=int, default=400)
    parser.add_argument("--gate-seeds", type=int, default=3, help="extra suggestions from the first human sample, for the seed-to-seed spread")
    args = parser.parse_args()
    if args.quick:
        args.reps, args.boot, args.pop = 20, 300, 200_000
        args.gate_humans, args.gate_fresh, args.gate_draws, args.gate_seeds = 2, 10, 100, 1

    from validator.spec.load import load_spec

    spec = load_spec("hunt2025")
    n = 929
    started = time.time()
    if args.part in ("intervals", "all"):
        intervals(spec, args.kind, args.reps, args.boot, args.pop, n)
    if args.part in ("floors", "all"):
        floors(spec, args.reps, args.boot, n)
    if args.part == "verdicts":
        floors(spec, args.reps, args.boot, n, alignment=False)
    if args.part in ("gates", "all"):
        gates(spec, args.gate_humans, args.gate_fresh, args.gate_draws, n, args.gate_seeds)
    print(f"\n(ran in {time.time() - started:.0f} s: {' '.join(sys.argv[1:]) or 'defaults'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
