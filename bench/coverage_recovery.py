"""Calibration of the default recovery verdict and coverage of the recovery and gap intervals.

A perfect simulator is a fresh sample from the human generator (validator.demo.generate):
each replication draws an independent human sample and an independent "simulated" sample
of n = 929 rows from the same synthetic population and runs the recovery and coherence
checks with B bootstrap replicates. Reported, with Monte-Carlo standard errors
(sqrt(p (1 - p) / R)):

- the pass rate of the default recovery verdict (target 93-97%);
- the coverage of the 95% percentile intervals of F1(Sign), FPR, FNR and sign flips for
  their expectation at these sample sizes (estimated from --truth-pairs extra point-only
  pairs), and of the value-action gap intervals (human, simulated, difference) for the
  population values computed on a 2,000,000-row population (target 93-98%).

``--coherence-only`` runs the value-action gap alone (its intervals and the
coherence default verdict, a permutation test), which is cheap enough for the 1,000+
replications that decide a 93-97% band.

Usage::

    python bench/coverage_recovery.py            # 200 replications, B = 200
    python bench/coverage_recovery.py --quick    # 20 replications, B = 100 (a smoke run)
    python bench/coverage_recovery.py --coherence-only --replications 1500 --bootstrap 1000
    python bench/coverage_recovery.py --verdict-only --replications 418 --bootstrap 200

``--verdict-only`` computes the recovery verdict alone (no simulated replicates, no
intervals), about half the cost per replication.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import Counter
from typing import Any

import numpy as np

from validator.api import read_dataset
from validator.checks.context import CheckContext
from validator.coherence.check import compare_coherence
from validator.demo.generate import generate_human
from validator.models.fit import fit_models
from validator.recovery.check import fresh_sample_null, recovery_part, same_family
from validator.recovery.compare import compare_fits
from validator.recovery.uncertainty import human_draws
from validator.recovery.verdict import default_verdict
from validator.spec.load import load_spec

METRICS = ("f1_sign", "fpr", "fnr", "sign_flips")


def _se(p: float, r: int) -> float:
    return math.sqrt(max(p * (1 - p), 1e-12) / r)


def _truth(spec: Any, pairs: int, n: int, seed: int) -> dict[str, float]:
    """Expected recovery metrics at n rows per side, over point-only pairs of fresh samples."""
    values: dict[str, list[float]] = {m: [] for m in METRICS}
    for i in range(pairs):
        h = read_dataset(generate_human(n, seed=seed + 2 * i), spec, label="h")
        s = read_dataset(generate_human(n, seed=seed + 2 * i + 1), spec, label="s")
        hf, sf = same_family(fit_models(spec.models, h.frame), fit_models(spec.models, s.frame), spec.correction)
        summary = compare_fits(hf, sf, alpha=spec.alpha).summary
        for m in METRICS:
            v = getattr(summary, m)
            if v is not None:
                values[m].append(float(v))
    return {m: float(np.mean(v)) for m, v in values.items()}


def _population_gaps(spec: Any, rows: int, seed: int) -> float:
    """The value-action gap of the generator's population (one large sample)."""
    data = read_dataset(generate_human(rows, seed=seed), spec, label="population")
    ctx = CheckContext(seed=0, replicates=0)
    result = compare_coherence(data, data, spec.coherence[0], ctx)
    estimate = result.human.gap.estimate
    assert estimate is not None
    return float(estimate)


def _verdict_only(spec: Any, args: argparse.Namespace) -> None:
    """The default recovery verdict's pass rate for a perfect simulator, without the intervals."""
    started = time.time()
    verdicts: Counter[str] = Counter()
    reasons: list[str] = []
    for i in range(args.replications):
        human = read_dataset(generate_human(args.n, seed=1_000_000 + i), spec, label="human")
        sim = read_dataset(generate_human(args.n, seed=5_000_000 + i), spec, label="sim")
        ctx = CheckContext(seed=i, replicates=args.bootstrap)
        h_fits, s_fits = same_family(fit_models(spec.models, human.frame), fit_models(spec.models, sim.frame), spec.correction)
        point = compare_fits(h_fits, s_fits, alpha=spec.alpha)
        replicates = human_draws(spec.models, human, ctx, alpha=spec.alpha, correction=spec.correction)
        null = fresh_sample_null(spec, human, h_fits, replicates, sim, point, ctx, alpha=spec.alpha)
        verdict, _ = default_verdict(point, null, level=0.95)
        verdicts[verdict.verdict] += 1
        if verdict.verdict != "pass":
            reasons.append(verdict.reason)
        if (i + 1) % 50 == 0:
            print(f"  ... {i + 1} replications: {dict(verdicts)} ({time.time() - started:.0f} s)", flush=True)
    r = args.replications
    p = verdicts["pass"] / r
    print(f"default recovery verdict, perfect simulator: pass {100 * p:.1f}% +- {100 * _se(p, r):.1f} ({dict(verdicts)}; {r} replications, B = {args.bootstrap})")
    for reason in reasons:
        print(f"  {reason}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"verdicts": dict(verdicts), "pass_rate": p, "pass_rate_se": _se(p, r), "non_pass_reasons": reasons}, handle, indent=2, sort_keys=True)


def _coherence_only(spec: Any, args: argparse.Namespace) -> None:
    """The coherence verdict's pass rate and the gap intervals' coverage for a perfect simulator."""
    started = time.time()
    gap = _population_gaps(spec, args.population, seed=9_000_001)
    verdicts: Counter[str] = Counter()
    covered: dict[str, list[bool]] = {"human": [], "sim": [], "difference": []}
    for i in range(args.replications):
        human = read_dataset(generate_human(args.n, seed=1_000_000 + i), spec, label="human")
        sim = read_dataset(generate_human(args.n, seed=5_000_000 + i), spec, label="sim")
        coherence = compare_coherence(human, sim, spec.coherence[0], CheckContext(seed=i, replicates=args.bootstrap))
        verdict = coherence.default_verdict
        verdicts[verdict.verdict if verdict else "none"] += 1
        for side, metric, target in (("human", coherence.human.gap, gap), ("sim", coherence.sim.gap, gap), ("difference", coherence.difference, 0.0)):
            if metric.interval is not None and metric.interval.contains(target) is not None:
                covered[side].append(bool(metric.interval.contains(target)))
        if (i + 1) % 100 == 0:
            print(f"  ... {i + 1} replications: {dict(verdicts)} ({time.time() - started:.0f} s)", flush=True)
    r = args.replications
    p = verdicts["pass"] / r
    print(f"coherence default verdict, perfect simulator: pass {100 * p:.1f}% +- {100 * _se(p, r):.1f} ({dict(verdicts)}; {r} replications, B = {args.bootstrap})")
    for side, hits in covered.items():
        c = float(np.mean(hits))
        print(f"  value-action gap interval {side}: coverage {100 * c:.1f}% +- {100 * _se(c, len(hits)):.1f} ({len(hits)} intervals; population gap {gap:.4f})")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"verdicts": dict(verdicts), "pass_rate": p, "coverage": {k: float(np.mean(v)) for k, v in covered.items()}, "population_gap": gap}, handle, indent=2, sort_keys=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--truth-pairs", type=int, default=400)
    parser.add_argument("--population", type=int, default=2_000_000)
    parser.add_argument("--n", type=int, default=929)
    parser.add_argument("--quick", action="store_true", help="20 replications, B = 100, 50 truth pairs, a 200,000-row population")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--coherence-only", action="store_true", help="only the value-action gap: its intervals and the coherence verdict")
    parser.add_argument("--verdict-only", action="store_true", help="only the default recovery verdict (no intervals)")
    parser.add_argument("--mid-p", action="store_true", help="count ties half in the verdict's p-values (mid-p)")
    parser.add_argument("--null", choices=("findings", "pairs", "shifted", "resample", "debiased"), default=None, help="how the verdict's fresh-sample null is built (default: simval's)")
    args = parser.parse_args()
    if args.quick:
        args.replications, args.bootstrap, args.truth_pairs, args.population = 20, 100, 50, 200_000
    if args.mid_p:
        import validator.recovery.verdict as recovery_verdict

        recovery_verdict.MID_P = True
    if args.null:
        import validator.recovery.check as recovery_check

        recovery_check.NULL_METHOD = args.null
    spec = load_spec("hunt2025")
    started = time.time()
    if args.coherence_only:
        _coherence_only(spec, args)
        return
    if args.verdict_only:
        _verdict_only(spec, args)
        return
    truth = _truth(spec, args.truth_pairs, args.n, seed=7_000_000)
    gap = _population_gaps(spec, args.population, seed=9_000_001)
    verdicts: Counter[str] = Counter()
    covered: dict[str, list[bool]] = {m: [] for m in METRICS}
    gap_covered: dict[str, list[bool]] = {"human": [], "sim": [], "difference": []}
    reasons: list[str] = []
    for i in range(args.replications):
        human = read_dataset(generate_human(args.n, seed=1_000_000 + i), spec, label="human")
        sim = read_dataset(generate_human(args.n, seed=5_000_000 + i), spec, label="sim")
        ctx = CheckContext(seed=i, replicates=args.bootstrap, level=0.95, equal_n_draws=spec.uncertainty.equal_n_draws)
        human_fits = fit_models(spec.models, human.frame, alpha=spec.alpha, correction=spec.correction)
        replicates = human_draws(spec.models, human, ctx, alpha=spec.alpha, correction=spec.correction)
        _, recovery, uncertainty = recovery_part(spec, human, human_fits, replicates, "sim", sim, ctx, spec.alpha)
        verdict = recovery.default_verdict
        assert verdict is not None
        verdicts[verdict.verdict] += 1
        if verdict.verdict != "pass":
            reasons.append(verdict.reason)
        if uncertainty is not None:
            for m in METRICS:
                contains = uncertainty.interval(m).contains(truth[m])
                if contains is not None:
                    covered[m].append(contains)
        if (i + 1) % 10 == 0:
            print(f"  ... {i + 1} replications: {dict(verdicts)} ({time.time() - started:.0f} s)", flush=True)
        coherence = compare_coherence(human, sim, spec.coherence[0], ctx)
        for side, metric, target in (("human", coherence.human.gap, gap), ("sim", coherence.sim.gap, gap), ("difference", coherence.difference, 0.0)):
            if metric.interval is not None:
                contains = metric.interval.contains(target)
                if contains is not None:
                    gap_covered[side].append(contains)
    r = args.replications
    pass_rate = verdicts["pass"] / r
    figures: dict[str, Any] = {
        "null": args.null,
        "mid_p": args.mid_p,
        "replications": r,
        "bootstrap": args.bootstrap,
        "n": args.n,
        "seconds": round(time.time() - started, 1),
        "verdicts": dict(verdicts),
        "pass_rate": pass_rate,
        "pass_rate_se": _se(pass_rate, r),
        "truth": truth,
        "population_gap": gap,
        "recovery_coverage": {m: {"coverage": float(np.mean(v)), "se": _se(float(np.mean(v)), len(v)), "n": len(v)} for m, v in covered.items() if v},
        "gap_coverage": {k: {"coverage": float(np.mean(v)), "se": _se(float(np.mean(v)), len(v)), "n": len(v)} for k, v in gap_covered.items() if v},
        "non_pass_reasons": reasons,
    }
    print(f"default recovery verdict, perfect simulator: pass {100 * pass_rate:.1f}% +- {100 * figures['pass_rate_se']:.1f} ({dict(verdicts)}; {r} replications, B = {args.bootstrap})")
    for m, c in figures["recovery_coverage"].items():
        print(f"  recovery interval {m}: coverage {100 * c['coverage']:.1f}% +- {100 * c['se']:.1f} (truth {truth[m]:.4f}, {c['n']} intervals)")
    for k, c in figures["gap_coverage"].items():
        print(f"  value-action gap interval {k}: coverage {100 * c['coverage']:.1f}% +- {100 * c['se']:.1f} ({c['n']} intervals)")
    print(f"  {figures['seconds']} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
