"""Benchmark ``simval check --report DIR`` (HTML and PDF, figures included) on the demo data.

Target (issue "A Quarto validation report per simulated run"): ``simval check``
with the HTML and PDF report on the demo data (929 human rows, one simulated
run) under 3 seconds on the project's 2-core machine, figures included.

Measured, each as a fresh process, the median of N runs (default 5), as wall
time and as CPU time (user + system of the process and its children; the check
runs threads and the report runs Pandoc beside Python, so CPU may exceed wall):
  * the floor ``python -c "import pandas, statsmodels.api"``;
  * ``simval check`` without a report, and with ``--report`` (HTML + PDF), both
    with the spec's default bootstrap (1000 replicates) and with ``--bootstrap 0``;
  * the report's own cost: the difference of the two.
The renderer is the built-in one (``SIMVAL_QUARTO=none``) unless ``--quarto``.

Usage:  python bench/bench_report.py [--repeat N] [--quarto]
Prints a table; exits 1 when ``--bootstrap 0`` with the report misses 3 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 3.0


def wall(command: list[str], repeat: int, env: dict[str, str]) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system, the process and its children) of ``command``."""
    times, cpu = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(times), statistics.median(cpu)


def simval_command() -> list[str]:
    exe = shutil.which("simval", path=str(Path(sys.executable).parent)) or shutil.which("simval")
    return [exe] if exe else [sys.executable, "-m", "validator"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quarto", action="store_true", help="let simval use Quarto when it is installed")
    args = parser.parse_args()

    from validator.demo.generate import write_demo

    env = dict(os.environ)
    if not args.quarto:
        env["SIMVAL_QUARTO"] = "none"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_demo(tmp)
        simval = simval_command()
        check = [*simval, "check", str(paths["human"]), str(paths["unfinetuned"]), "--quiet"]
        report = ["--report", str(Path(tmp) / "reports"), "--format", "html,pdf"]
        floor = wall([sys.executable, "-c", "import pandas, statsmodels.api"], args.repeat, env)
        rows.append(("floor: import pandas, statsmodels.api", *floor, ""))
        results = {}
        for label, extra in (("--bootstrap 0", ["--bootstrap", "0"]), ("default bootstrap (1000)", [])):
            plain = wall([*check, *extra], args.repeat, env)
            full = wall([*check, *extra, *report], args.repeat, env)
            results[label] = full[0]
            rows.append((f"check, {label}", *plain, ""))
            rows.append((f"check + HTML + PDF report, {label}", *full, f"< {TARGET_S:.1f} s"))
            rows.append((f"  the report's own cost, {label}", full[0] - plain[0], full[1] - plain[1], ""))
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (wall times grow with it; CPU times much less)")
    print(f"{'command (demo data, 929 + 929 rows)':52s} {'wall s':>8s} {'CPU s':>7s}  target")
    for name, seconds, cpu, target in rows:
        print(f"{name:52s} {seconds:8.3f} {cpu:7.3f}  {target}")
    ok = results["--bootstrap 0"] < TARGET_S
    print("target met (--bootstrap 0)" if ok else "TARGET MISSED (--bootstrap 0)")
    if results["default bootstrap (1000)"] >= TARGET_S:
        print("with the default bootstrap the check itself dominates; see the check rows above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
