"""Benchmark reading and ingesting files with thousands of columns (issue 14: it was quadratic).

Before the fix: 500 columns 0.6 s, 2,000 columns 9.4 s, 3,000 columns 51 s. The
target is linear growth: the time per column at the widest size at most 3 x the
time per column at the narrowest (generous, for noisy shared machines).

Usage:  python bench/bench_wide.py [--quick]
``--quick`` measures 500 and 2,000 columns; the full run adds 5,000 and 10,000.
Prints a table and exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from validator.io.ingest import ingest
from validator.io.readers import read_table
from validator.spec.load import load_spec


def seconds_for(columns: int, folder: Path) -> float:
    from validator.demo.generate import FILE_NAMES, write_demo

    if not (folder / FILE_NAMES["human"]).exists():
        write_demo(folder)
    human = pd.read_csv(folder / FILE_NAMES["human"], comment="#")
    extra = pd.DataFrame(np.ones((len(human), columns)), columns=[f"extra{i}" for i in range(columns)])
    path = folder / f"wide{columns}.csv"
    pd.concat([human, extra], axis=1).to_csv(path, index=False)
    spec = load_spec("hunt2025")
    start = time.perf_counter()
    ingest(read_table(path), spec)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [500, 2000] if args.quick else [500, 2000, 5000, 10000]
    with tempfile.TemporaryDirectory() as tmp:
        times = {n: seconds_for(n, Path(tmp)) for n in sizes}
    print(f"{'columns':>8} {'seconds':>8} {'ms/column':>10}")
    for n, t in times.items():
        print(f"{n:>8} {t:>8.2f} {1000 * t / n:>10.3f}")
    ratio = (times[sizes[-1]] / sizes[-1]) / (times[sizes[0]] / sizes[0])
    print(f"time per column, widest / narrowest: {ratio:.2f} (target <= 3)")
    return 0 if ratio <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
