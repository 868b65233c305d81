"""Benchmark the bootstrap: B = 1000 over the demo data, and batched refits against a naive loop.

Targets (issue "Distributional alignment, heterogeneity and belief-action coherence"):
  * ``simval check`` with B = 1000 on the demo data (all metrics, six models, the
    human data and one simulated run), as a fresh process: under 5 seconds;
  * the batched bootstrap refits at least 10 x faster per replicate than the naive
    loop of statsmodels fits, measured in the same run on a reduced B.

Usage:  python bench/bench_uncertainty.py [--repeat N] [--naive-b B]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-b", type=int, default=30, help="replicates for the naive statsmodels loop")
    args = parser.parse_args()

    import numpy as np

    from validator.api import read_dataset
    from validator.bootstrap.weights import bootstrap_weights
    from validator.checks.context import CheckContext
    from validator.demo.generate import write_demo
    from validator.models.fit import fit_model
    from validator.recovery.uncertainty import coefficient_draws
    from validator.spec.load import load_spec

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_check import simval_command  # noqa: E402

    spec = load_spec("hunt2025")
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_demo(tmp)
        command = [*simval_command(), "check", str(paths["human"]), str(paths["finetuned_random"]), "--bootstrap", "1000", "--json", str(Path(tmp) / "r.json")]
        walls = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            walls.append(time.perf_counter() - start)
        full = statistics.median(walls)

        human = read_dataset(paths["human"], spec)
        ctx = CheckContext(seed=0, replicates=1000)
        coefficient_draws(spec.models, human, bootstrap_weights(len(human.frame), 10, ctx.rng("warm")), alpha=0.05, correction=spec.correction)
        start = time.perf_counter()
        coefficient_draws(spec.models, human, bootstrap_weights(len(human.frame), 1000, ctx.rng("b")), alpha=0.05, correction=spec.correction)
        batched = (time.perf_counter() - start) / 1000

        rng = np.random.default_rng(0)
        start = time.perf_counter()
        for _ in range(args.naive_b):
            sample = human.frame.iloc[rng.integers(0, len(human.frame), len(human.frame))]
            for model in spec.models:
                fit_model(model, sample)
        naive = (time.perf_counter() - start) / args.naive_b

    print(f"simval check, demo human + 1 simulated, B = 1000, all metrics: {full:6.2f} s   (target < 5 s)")
    print(f"six models per replicate, batched (B = 1000):  {1000 * batched:8.3f} ms")
    print(f"six models per replicate, naive statsmodels loop (B = {args.naive_b}): {1000 * naive:8.3f} ms")
    print(f"speed-up: {naive / batched:6.1f} x   (target >= 10 x)")
    ok = full < 5.0 and naive / batched >= 10
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
