"""Benchmark ``simval check`` against the floor of importing pandas and statsmodels.

Targets (issue "simval check, end to end"), for the point estimates of every
check (``--bootstrap 0``; intervals and noise floors are benchmarked in
bench_uncertainty.py):
  * paper scale (929 human rows, one simulated run): within 1.3 x the floor
    ``python -c "import pandas, statsmodels.api"`` measured in the same run;
  * a 100,000-row simulated file: under 3 seconds.

Usage:  python bench/bench_check.py [--repeat N]
Each command is run N times (default 7) as a fresh process; the median wall
time is reported. Prints a table and exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def wall(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def simval_command() -> list[str]:
    exe = shutil.which("simval", path=str(Path(sys.executable).parent)) or shutil.which("simval")
    return [exe] if exe else [sys.executable, "-m", "validator"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from validator.demo.generate import generate_human, generate_simulated, write_demo

    with tempfile.TemporaryDirectory() as tmp:
        paths = write_demo(tmp)
        big = Path(tmp) / "sim_100k_synthetic.csv"
        human_big = generate_human(100_000, seed=11)
        generate_simulated("finetuned_random", human_big, seed=11).to_csv(big, index=False)
        simval = simval_command()
        floor = wall([sys.executable, "-c", "import pandas, statsmodels.api"], args.repeat)
        paper = wall([*simval, "check", str(paths["human"]), str(paths["finetuned_random"]), "--bootstrap", "0"], args.repeat)
        large = wall([*simval, "check", str(paths["human"]), str(big), "--no-coefficients", "--bootstrap", "0"], max(3, args.repeat // 2))
        helptime = wall([*simval, "--help"], args.repeat)

    rows = [
        ("floor: import pandas, statsmodels.api", floor, "", ""),
        ("simval --help", helptime, f"{helptime / floor:.2f} x floor", ""),
        ("simval check, 929 + 929 rows", paper, f"{paper / floor:.2f} x floor", "<= 1.30 x floor"),
        ("simval check, 929 + 100,000 rows", large, f"{large / floor:.2f} x floor", "< 3.00 s"),
    ]
    print(f"{'command':40s} {'median s':>9s}  {'ratio':>14s}  target")
    for name, seconds, ratio, target in rows:
        print(f"{name:40s} {seconds:9.3f}  {ratio:>14s}  {target}")
    ok = paper <= 1.3 * floor and large < 3.0
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
