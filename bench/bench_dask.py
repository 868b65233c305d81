"""A sweep on a Dask LocalCluster against the same sweep in one process: identical results, and what it costs.

Target (issue 11): "a 4-worker LocalCluster on 40 files: results byte-identical to
the local run". The script writes a demo-sized human file (929 rows) and N
simulated files (the three demo kinds with different seeds), then runs, each as a
fresh process,

    simval check human.csv sim_000.csv ... --bootstrap B --quiet --no-progress --json local.json
    simval check human.csv sim_000.csv ... --bootstrap B --quiet --no-progress --json cluster.json --scheduler local:W

and compares the two JSON files byte for byte (and the printed verdicts). It reports
wall time and CPU time (the process and every process it started: the cluster's
scheduler and workers included). On a 2-core machine W = 4 workers cannot be faster
than the local run's threads; the cluster is for more machines than one.

Usage:  python bench/bench_dask.py [--files 40] [--workers 4] [--bootstrap 50] [--quick]
``--quick``: 8 files, 2 workers. Exits 1 when the results differ.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def simval_command() -> list[str]:
    exe = shutil.which("simval", path=str(Path(sys.executable).parent)) or shutil.which("simval")
    return [exe] if exe else [sys.executable, "-m", "validator"]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (the process and its descendants) and stdout of one run."""
    cpu = children_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command[:3])} ... exited {done.returncode}: {done.stderr.strip()}")
    return wall, children_cpu() - cpu, done.stdout


def write_sweep(directory: Path, files: int) -> tuple[Path, list[Path]]:
    from validator.demo.generate import SIM_KINDS, generate_human, generate_simulated

    human = generate_human()
    human_path = directory / "human.csv"
    human.to_csv(human_path, index=False)
    sims = []
    for index in range(files):
        path = directory / f"sim_{index:03d}.csv"
        generate_simulated(SIM_KINDS[index % len(SIM_KINDS)], human, seed=1000 + index).to_csv(path, index=False)
        sims.append(path)
    return human_path, sims


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--bootstrap", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="8 files, 2 workers")
    args = parser.parse_args()
    files, workers = (8, 2) if args.quick else (args.files, args.workers)
    simval = simval_command()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        human, sims = write_sweep(directory, files)
        common = [*simval, "check", str(human), *map(str, sims), "--bootstrap", str(args.bootstrap), "--quiet", "--no-progress"]
        local_wall, local_cpu, local_out = timed([*common, "--json", str(directory / "local.json")])
        cluster_wall, cluster_cpu, cluster_out = timed([*common, "--json", str(directory / "cluster.json"), "--scheduler", f"local:{workers}"])
        identical = (directory / "local.json").read_bytes() == (directory / "cluster.json").read_bytes() and local_out == cluster_out
        size = (directory / "local.json").stat().st_size
    print(f"{files} simulated files of 929 rows against one human file, --bootstrap {args.bootstrap}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print(f"{'run':28s} {'wall s':>8s} {'CPU s':>8s}")
    print(f"{'local (threads)':28s} {local_wall:8.1f} {local_cpu:8.1f}")
    print(f"{f'LocalCluster, {workers} workers':28s} {cluster_wall:8.1f} {cluster_cpu:8.1f}")
    print(f"JSON ({size:,} bytes) and printed verdicts byte-identical: {'yes' if identical else 'NO'}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
