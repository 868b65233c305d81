"""Benchmark batched bootstrap refits against a Python loop of statsmodels fits.

Targets (issue "bootstrap intervals of the coefficient-recovery metrics"):
  * B = 1000 replicates of the six hunt2025 models on the 929-row demo human
    data: at least 10 x faster than a loop of statsmodels fits, one per
    replicate and model, timed in the same run on ``--naive-b`` replicates
    and extrapolated per replicate;
  * the same B x 6 models in well under 1 second (the target checked: < 1 s).

Also reported, without a target: one chunk of 50 replicates of a 100,000-row
dataset (the size the caller hands over at a time), for a logit and a
multinomial logit on the demo data (whose discrete answers repeat, so rows are
merged) and for a logit with a continuous covariate (every row distinct).

Usage:  python bench/bench_batched.py [--b 1000] [--naive-b 50] [--repeat 5]
The batched fits are timed ``--repeat`` times and the median is reported (the
first, cold run is shown too). Prints a table and exits 1 when a target is
missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from typing import Any

import numpy as np


def _replicates(n: int, size: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).multinomial(n, np.full(n, 1.0 / n), size=size)


def _batched(designs: list[tuple[Any, Any, np.ndarray]]) -> float:
    from validator.bootstrap.batched import fit_batched

    start = time.perf_counter()
    for model, design, weights in designs:
        fit_batched(design, model.family, weights, cov_type=model.cov_type)
    return time.perf_counter() - start


def _naive(designs: list[tuple[Any, Any, np.ndarray]], replicates: int) -> float:
    """statsmodels on the rows repeated by their weights, one fit per replicate and model (as fit_model fits)."""
    from statsmodels.discrete.discrete_model import Logit, MNLogit, Probit
    from statsmodels.regression.linear_model import OLS

    classes = {"logit": Logit, "probit": Probit, "mnlogit": MNLogit}
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for model, design, weights in designs:
            for w in weights[:replicates]:
                rows = np.repeat(np.arange(design.n_obs), w)
                endog, exog = design.endog[rows], design.exog[rows]
                if model.family == "ols":
                    res = OLS(endog, exog).fit(cov_type=model.cov_type, use_t=True)
                else:
                    res = classes[model.family](endog, exog).fit(
                        method="newton", maxiter=100, disp=0, cov_type=model.cov_type
                    )
                np.asarray(res.bse)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--b", type=int, default=1000, help="bootstrap replicates per model")
    parser.add_argument("--naive-b", type=int, default=50, help="replicates per model in the statsmodels loop")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from validator.api import read_dataset
    from validator.bootstrap.batched import fit_batched
    from validator.demo.generate import generate_human
    from validator.models.design import Design, build_design
    from validator.spec.load import load_spec
    from validator.spec.model import ModelSpec

    spec = load_spec("hunt2025")
    frame = read_dataset(generate_human(), spec).frame
    designs = []
    for i, model in enumerate(spec.models):
        design = build_design(model, frame)
        assert isinstance(design, Design), model.id
        designs.append((model, design, _replicates(design.n_obs, args.b, seed=i)))

    runs = [_batched(designs) for _ in range(args.repeat)]
    batched = statistics.median(runs)
    naive = _naive(designs, args.naive_b) * args.b / args.naive_b
    speedup = naive / batched

    big = read_dataset(generate_human(100_000, seed=11), spec).frame
    big["noise"] = np.random.default_rng(5).normal(size=len(big))
    chunks = []
    for label, model in [
        ("logit m2, 100,000 rows x 50 replicates", next(m for m in spec.models if m.id == "m2")),
        ("mnlogit, 100,000 rows x 50 replicates", ModelSpec("mn", "MN", "mnlogit", "decision ~ belief_t1 + v2")),
        ("logit, 100,000 distinct rows x 50 replicates", ModelSpec("c", "C", "logit", "abort ~ belief_t1 + noise")),
    ]:
        design = build_design(model, big)
        assert isinstance(design, Design), model.id
        weights = _replicates(design.n_obs, 50, seed=99)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            fit_batched(design, model.family, weights)
            times.append(time.perf_counter() - start)
        chunks.append((label, statistics.median(times)))

    n_models = len(designs)
    print(f"hunt2025: {n_models} models, B = {args.b} replicates each, demo human data ({designs[0][1].n_obs} rows)")
    print(f"{'what':50s} {'seconds':>9s}  target")
    print(f"{'batched fit_batched, all models (median)':50s} {batched:9.3f}  < 1.000 s")
    print(f"{'batched fit_batched, all models (first run)':50s} {runs[0]:9.3f}")
    print(f"{f'statsmodels loop, extrapolated from B = {args.naive_b}':50s} {naive:9.3f}")
    print(f"{'speed-up':50s} {speedup:8.1f}x  >= 10x")
    for label, seconds in chunks:
        print(f"{label:50s} {seconds:9.3f}")
    ok = speedup >= 10.0 and batched < 1.0
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
