"""Coverage study: do simval's distance intervals, noise floors, verdicts and suggested gates mean what they say?

A known process (the demo generator, validator.demo.generate) gives the truth:
population distances come from very large samples of the human population and
of a simulated one. Each replication draws a fresh human sample and a fresh
simulated sample (n = 929, personas from an independent human draw) and runs
the checks exactly as ``simval check`` does. Reported, with Monte-Carlo
standard errors sqrt(p (1 - p) / R):

1. coverage of every distance interval simval prints (JS, TVD, Wasserstein, KS,
   mean JS), overall, for groups with >= 100 rows per side and for 50-99
   (``--part intervals``; ``--offset`` runs fresh replications), and of candidate
   methods on the same replicates (``--part methods``, bench/distance_candidates.py);
2. for a perfect simulator (the simulated sample is a fresh human sample): the
   within-floor rate of every floor (per variable, per subgroup, per distance),
   and the pass rate of the default verdict of each construct;
3. the joint pass rate of suggested gates on fresh human samples, and the
   seed-to-seed spread of the thresholds.

Usage:  python bench/coverage_study.py [--quick] [--reps R] [--boot B] [--part intervals|methods|floors|verdicts|gates|all]
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
    """Replication r's human and simulated samples (``r`` may carry an offset: fresh replications for a check)."""
    from validator.demo.generate import generate_human, generate_simulated

    human = generate_human(n, seed=10_000 + r)
    sim = generate_human(n, seed=20_000 + r) if kind == "human" else generate_simulated(kind, generate_human(n, seed=30_000 + r), seed=40_000 + r)
    return human, sim


def _cached_truth(spec: Any, kind: str, n_pop: int, cache: str | None) -> dict[tuple[str, str, str], float]:
    """The population distances, kept in ``cache`` (a JSON file) so parallel runs compute them once."""
    import json

    if cache and os.path.exists(cache):
        with open(cache, encoding="utf-8") as handle:
            return {tuple(k.split("|")): v for k, v in json.load(handle).items()}  # type: ignore[misc]
    truth = _truth(spec, kind, n_pop)
    if cache:
        with open(cache, "w", encoding="utf-8") as handle:
            json.dump({"|".join(k): v for k, v in truth.items()}, handle)
    return truth


def intervals(spec: Any, kind: str, reps: int, boot: int, n_pop: int, n: int, offset: int = 0, cache: str | None = None, hits_out: str | None = None) -> None:
    """Coverage of the intervals simval prints; ``hits_out`` keeps the hits (JSON) to pool parallel runs with ``--pool``."""
    import json

    from validator.alignment import check as C

    truth = _cached_truth(spec, kind, n_pop, cache)
    covered: dict[tuple[str, str], list[bool]] = defaultdict(list)
    flagged: dict[str, list[bool]] = defaultdict(list)
    # The intervals do not depend on the noise floors (their own random streams), so the permutation
    # floors, most of the check's cost, are skipped here.
    # The floors part of the same run (--part all) needs them back: restored below.
    permutation_floors = C._permutation_floors
    C._permutation_floors = lambda coded, mean_over, groups, strata, ctx, tallies: {g.key: C._Samples() for g in groups}  # type: ignore[assignment]
    try:
        _interval_hits(spec, kind, reps, boot, n, offset, truth, covered, flagged)
    finally:
        C._permutation_floors = permutation_floors  # type: ignore[assignment]
    contains = all(flagged.pop("_contains", [True]))
    if hits_out:
        with open(hits_out, "w", encoding="utf-8") as handle:
            json.dump({"covered": {"|".join(k): v for k, v in covered.items()}, "flagged": flagged, "contains": contains}, handle)
    print_coverage(covered, flagged, contains, f"{kind} simulator (true distances from {n_pop:,}-row populations, n = {n}, B = {boot}, R = {reps}, replications {offset}-{offset + reps - 1})")


def _interval_hits(spec: Any, kind: str, reps: int, boot: int, n: int, offset: int, truth: dict[tuple[str, str, str], float],
                   covered: dict[tuple[str, str], list[bool]], flagged: dict[str, list[bool]]) -> None:
    """Run replications ``offset`` .. ``offset + reps - 1``; hits go to ``covered``, flags to ``flagged``
    (and whether every interval contained its estimate to ``flagged["_contains"]``)."""
    from validator.alignment.check import compare_distributions
    from validator.api import read_dataset
    from validator.checks.context import CheckContext

    contains = True
    for r in range(offset, offset + reps):
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
        print(f"  intervals: replication {r + 1 - offset}/{reps}", file=sys.stderr, end="\r")
    flagged["_contains"] = [contains]

def pool(paths: list[str], title: str) -> None:
    """One coverage table from the hits of several ``--hits`` files (parallel runs on disjoint replications)."""
    import json

    covered: dict[tuple[str, str], list[bool]] = defaultdict(list)
    flagged: dict[str, list[bool]] = defaultdict(list)
    contains = True
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            part = json.load(handle)
        for key, values in part["covered"].items():
            name, size = key.split("|")
            covered[(name, size)] += values
        for size, values in part["flagged"].items():
            flagged[size] += values
        contains &= part["contains"]
    print_coverage(covered, flagged, contains, title)


def print_coverage(covered: dict[tuple[str, str], list[bool]], flagged: dict[str, list[bool]], contains: bool, title: str) -> None:
    print(f"\n### Interval coverage, {title}\n")
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


def _groups(spec: Any, h: Any, s: Any) -> list[Any]:
    """The groups compare_distributions compares: overall, then every level of every breakdown."""
    from validator.alignment import check as C

    groups = [C._Group(C.OVERALL, np.ones(len(h), dtype=bool), np.ones(len(s), dtype=bool))]
    groups += [C._Group(f"{by}={level}", hm, sm) for by, level, hm, sm in C.breakdown_levels(spec, h, s)]
    return groups


def methods(spec: Any, kind: str, reps: int, boot: int, n_pop: int, n: int, dump: str | None = None) -> None:
    """Every candidate interval method of bench/distance_candidates.py on the same replicates.

    ``dump``: a pickle file to keep every plug-in, replicate and truth in, for trying more methods offline.
    """
    import distance_candidates as dc

    from validator.alignment import check as C
    from validator.api import read_dataset
    from validator.bootstrap.weights import bootstrap_weights, chunk_size
    from validator.checks.context import CheckContext

    truth = _truth(spec, kind, n_pop)
    dspec = spec.distributions
    hits: dict[tuple[str, str, str], list[bool]] = defaultdict(list)
    widened: dict[tuple[str, str], list[bool]] = defaultdict(list)
    started = time.process_time()
    kept: list[dict[str, Any]] = []
    for r in range(reps):
        human, sim = _pair(kind, r, n)
        h, s = read_dataset(human, spec, label="h").frame, read_dataset(sim, spec, label="s").frame
        ctx = CheckContext(seed=r, replicates=boot)
        coded = [C._code(v, h, s) for v in dspec.variables]
        for group in _groups(dspec, h, s):
            n_h, n_s = int(group.h_mask.sum()), int(group.s_mask.sum())
            if not (n_h and n_s):
                continue
            # The same random streams and chunks as validator.alignment.check._compare_group.
            rng_h, rng_s = ctx.rng("distribution", group.key, "human"), ctx.rng("distribution", group.key, "sim")
            step = chunk_size(max(n_h, n_s), boot)
            reps_counts: dict[str, list[list[np.ndarray]]] = defaultdict(lambda: [[], [], [], []])
            for w_h, w_s in zip(bootstrap_weights(n_h, boot, rng_h, step=step), bootstrap_weights(n_s, boot, rng_s, step=step)):
                for c in coded:
                    parts = (*C._side_counts(c, "human", group.h_mask, w_h), *C._side_counts(c, "sim", group.s_mask, w_s))
                    for slot, value in zip(reps_counts[c.variable.name], (parts[0], parts[2], parts[1], parts[3])):
                        if value is not None:
                            slot.append(value)
            mean_parts: list[tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
            for c in coded:
                name = c.variable.name
                hb, sb, hsb, ssb = (np.concatenate(x) if x else None for x in reps_counts[name])
                h0, _ = C._side_counts(c, "human", group.h_mask, None)
                s0, _ = C._side_counts(c, "sim", group.s_mask, None)
                hs0, ss0 = (C._side_counts(c, side, mask, None)[1] for side, mask in (("human", group.h_mask), ("sim", group.s_mask)))
                rows = min(h0.sum(), s0.sum())
                if not rows:
                    continue
                size = _size_class(int(h0.sum()), int(s0.sum()), group.key)
                views = [("js", h0, s0, hb, sb, None), ("tvd", h0, s0, hb, sb, None)]
                if c.support is not None:
                    views += [("wasserstein", hs0, ss0, hsb, ssb, c.support), ("ks", hs0, ss0, hsb, ssb, c.support)]
                for metric, a0, b0, ab, bb, support in views:
                    key = (name, group.key, metric)
                    if key not in truth:
                        continue
                    dist = dc.distance_of(metric, support)
                    plug = float(dist(a0, b0))
                    boots = np.asarray(dist(ab, bb), dtype=float)
                    jack_h, jack_s = dc.leave_one_out(dist, a0, b0, True), dc.leave_one_out(dist, b0, a0, False)
                    se = boot_se = None
                    if metric != "ks":
                        se, boot_se = float(dc.delta_se(metric, a0, b0, support)), dc.delta_se(metric, ab, bb, support)
                    draws = dc.Draws(plug, boots, jack_h, jack_s, se, boot_se)
                    if dump:
                        kept.append({"rep": r, "metric": metric, "variable": name, "group": group.key, "size": size, "rows": int(rows),
                                     "plug": plug, "boot": boots.astype(np.float32), "truth": truth[key], "se": se,
                                     "boot_se": None if boot_se is None else boot_se.astype(np.float32)})
                    for label, method in dc.CANDIDATES.items():
                        est, lo, hi = method(draws)
                        if not math.isfinite(lo):
                            continue
                        widened[(metric, label)].append(not lo <= est <= hi)
                        lo, hi = min(lo, est), max(hi, est)
                        hits[(metric, size, label)].append(lo - 1e-12 <= truth[key] <= hi + 1e-12)
                    if metric == "js" and name in dspec.mean_over:
                        # Row-level jackknife of the mean: one value per category of this variable.
                        mean_parts.append((plug, boots, jack_h, jack_s, c.human[group.h_mask], c.sim[group.s_mask]))
                        per_cat_h = _per_category(dist, h0, s0, True)
                        per_cat_s = _per_category(dist, s0, h0, False)
                        mean_parts[-1] = (plug, boots, per_cat_h, per_cat_s, c.human[group.h_mask], c.sim[group.s_mask])
            key = ("mean_js", group.key, "js")
            if key in truth and len(mean_parts) == len(dspec.mean_over):
                plugs = np.array([m[0] for m in mean_parts])
                boots_v = np.vstack([m[1] for m in mean_parts])
                jh = np.mean([np.where(m[4] >= 0, m[2][np.clip(m[4], 0, None)], m[0]) for m in mean_parts], axis=0)
                js_ = np.mean([np.where(m[5] >= 0, m[3][np.clip(m[5], 0, None)], m[0]) for m in mean_parts], axis=0)
                mdraws = dc.MeanDraws(plugs, boots_v, jh, js_)
                if dump:
                    kept.append({"rep": r, "metric": "mean_js", "variable": "mean_js", "group": group.key, "size": _size_class(n_h, n_s, group.key),
                                 "rows": min(n_h, n_s), "plug": plugs, "boot": boots_v.astype(np.float32), "truth": truth[key]})
                size = _size_class(n_h, n_s, group.key)
                for label, mmethod in dc.MEAN_CANDIDATES.items():
                    est, lo, hi = mmethod(mdraws)
                    widened[("mean_js", label)].append(not lo <= est <= hi)
                    lo, hi = min(lo, est), max(hi, est)
                    hits[("mean_js", size, label)].append(lo - 1e-12 <= truth[key] <= hi + 1e-12)
        print(f"  methods: replication {r + 1}/{reps} ({time.process_time() - started:.0f} s CPU)", file=sys.stderr, end="\r")
    if dump:
        import pickle

        with open(dump, "wb") as handle:
            pickle.dump(kept, handle)
    print(f"\n### Candidate interval methods, {kind} simulator (same replicates; true distances from {n_pop:,}-row populations, n = {n}, B = {boot}, R = {reps})\n")
    print("| distance | method | overall | groups >= 100 rows/side | groups 50-99 | groups < 50 | widened to the estimate |")
    print("|---|---|---|---|---|---|---|")
    for metric in ("js", "tvd", "wasserstein", "ks", "mean_js"):
        labels = dc.MEAN_CANDIDATES if metric == "mean_js" else dc.CANDIDATES
        for label in labels:
            cells = []
            for size in ("overall", ">=100", "50-99", "<50"):
                v = hits.get((metric, size, label), [])
                cells.append(f"{100 * np.mean(v):.1f} +- {100 * _se(float(np.mean(v)), len(v)):.1f} ({len(v)})" if v else "-")
            w = widened.get((metric, label), [])
            print(f"| {metric} | {label} | " + " | ".join(cells) + (f" | {100 * np.mean(w):.1f}% |" if w else " | - |"))


def _per_category(dist: Any, mine: np.ndarray, other: np.ndarray, first: bool) -> np.ndarray:
    """The distance with one row of category k left out of ``mine``, for every category k."""
    k = mine.size
    reduced = np.repeat(mine[None, :], k, axis=0) - np.eye(k)
    reduced = np.clip(reduced, 0, None)
    return np.asarray(dist(reduced, other[None, :]) if first else dist(other[None, :], reduced), dtype=float)


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
    parser.add_argument("--part", choices=("intervals", "methods", "floors", "verdicts", "gates", "all"), default="all", help="verdicts: the heterogeneity and coherence verdicts only")
    parser.add_argument("--offset", type=int, default=0, help="intervals: first replication (fresh replications to check a method chosen on others)")
    parser.add_argument("--truth-cache", help="intervals: JSON file for the population distances (computed once, then read)")
    parser.add_argument("--hits", help="intervals: write the hits to this JSON file")
    parser.add_argument("--pool", nargs="+", help="intervals: print one table from these --hits files instead of running")
    parser.add_argument("--dump", help="methods: keep every replicate in this pickle file")
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
        if args.pool:
            pool(args.pool, f"{args.kind} simulator, pooled from {len(args.pool)} runs")
        else:
            intervals(spec, args.kind, args.reps, args.boot, args.pop, n, args.offset, args.truth_cache, args.hits)
    if args.part == "methods":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        methods(spec, args.kind, args.reps, args.boot, args.pop, n, args.dump)
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
