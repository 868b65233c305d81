"""Whole-process timings of ``simval check`` against baselines measured in the same run.

Every command runs as a fresh process, ``--repeat`` times; the table gives the
median wall time, the median CPU time (user + system of the process and its
children, from ``os.wait4``), the peak resident memory, and ratios against

* the import floor ``python -c "import pandas, statsmodels.api"``;
* SDMetrics' ``QualityReport`` and Evidently's data-drift report on the same
  files, when those packages are installed (``pip install "simval[bench]"``).

On a shared machine wall time depends on the load; CPU time much less, so
both are reported and the targets are checked on both. Targets (issue "Fast on
real studies"; medians, ratios from one run):

* demo, one simulated run, default B: <= 1.0 x SDMetrics QualityReport;
  ``--bootstrap 0``: <= 1.2 x the floor;
* demo, three runs, default B: <= 3 x the floor;
* real-shaped study (bench/realshaped.py: 3 files, 7 models, one clustered by
  a 50-level state; 57 coefficients), default B: <= 5 x the floor;
* 100,000-row simulated file, ``--bootstrap 0``: <= 1.0 x SDMetrics and
  <= 2 x the floor; default B: <= 6 x the floor;
* ``gates suggest`` on the demo human file: <= 5 x the floor (not in ``--quick``
  unless ``--gates``); check + HTML + PDF for one run: <= 2 s more than the check;
* with ``--scale``: a 1,000,000-row simulated file, ``--bootstrap 0``:
  < 15 s and < 2 GB peak; ``--files N`` simulated demo-sized files against
  one human file: marginal cost per file (t(N) - t(1)) / (N - 1) < 0.1 s
  with ``--bootstrap 0`` and < 1 s with the default B.

Usage:  python bench/bench_engine.py [--quick] [--repeat N] [--scale] [--files N] [--json PATH]
``--quick``: one repetition of the floor, the demo and the real-shaped study
(a few minutes on a busy 2-core machine). Exit code 0 always; missed targets
are marked in the table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from launcher import LAUNCHER  # noqa: E402 - beside this script

SDMETRICS = """
import sys, warnings, pandas as pd
warnings.simplefilter("ignore")
from sdmetrics.reports.single_table import QualityReport
real, synth = (pd.read_csv(p, comment="#") for p in sys.argv[1:3])
kind = {"b": "boolean", "i": "numerical", "u": "numerical", "f": "numerical"}
metadata = {"columns": {c: {"sdtype": kind.get(real[c].dtype.kind, "categorical")} for c in real.columns if c != sys.argv[3]}}
report = QualityReport()
report.generate(real.drop(columns=[sys.argv[3]]), synth.drop(columns=[sys.argv[3]]), metadata, verbose=False)
print(report.get_score())
"""

EVIDENTLY = """
import sys, pandas as pd
real, synth = (pd.read_csv(p, comment="#").drop(columns=[sys.argv[3]]) for p in sys.argv[1:3])
try:  # evidently >= 0.7
    from evidently import Report
    from evidently.presets import DataDriftPreset
    Report([DataDriftPreset()]).run(current_data=synth, reference_data=real)
except ImportError:  # evidently 0.4 - 0.6
    from evidently.report import Report
    from evidently.metric_preset import DataDriftPreset
    Report(metrics=[DataDriftPreset()]).run(reference_data=real, current_data=synth)
"""


@dataclass
class Timing:
    name: str
    wall: float
    cpu: float
    peak_mb: float
    runs: int




def run_once(command: Sequence[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system, its worker processes included) and peak RSS in MB of one process.

    The command is started by ``bench/launcher.py``: its peak memory is then its own, not
    this process's (which holds the generated 1,000,000-row file).
    """
    executable = command[0] if os.path.isabs(command[0]) else shutil.which(command[0]) or command[0]
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "usage"
        start = time.perf_counter()
        process = subprocess.run([sys.executable, "-c", LAUNCHER, str(report), executable, *command[1:]], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        wall = time.perf_counter() - start
        code = process.returncode
        if code not in (0, 1):  # 1: a gate failed, which is a result
            err = process.stderr.decode(errors="replace")
            raise RuntimeError(f"{' '.join(command)} exited {code}: {err.strip()[-500:]}")
        cpu, max_rss_kb = (float(v) for v in report.read_text().split())
    return wall, cpu, max_rss_kb / 1024.0


def measure(name: str, command: Sequence[str], repeat: int) -> Timing:
    results = [run_once(command) for _ in range(repeat)]
    wall, cpu, peak = (statistics.median(values) for values in zip(*results))
    print(f"  {name:34s} wall {wall:7.2f} s  cpu {cpu:7.2f} s  peak {peak:7.0f} MB", file=sys.stderr, flush=True)
    return Timing(name, wall, cpu, peak, repeat)


def simval_command() -> list[str]:
    exe = shutil.which("simval", path=str(Path(sys.executable).parent)) or shutil.which("simval")
    return [exe] if exe else [sys.executable, "-m", "validator"]


def installed(python: str, module: str) -> bool:
    """Whether ``python`` can import ``module`` (Evidently 0.7 fails to import under pandas 3)."""
    probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True, check=False)
    return probe.returncode == 0


@dataclass
class Target:
    name: str
    value: float
    limit: float
    unit: str

    @property
    def met(self) -> bool:
        return self.value <= self.limit


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one repetition; floor, demo and real-shaped study only")
    parser.add_argument("--scale", action="store_true", help="also the 1,000,000-row file and many simulated files")
    parser.add_argument("--files", type=int, default=100, help="simulated files for the many-files measurement")
    parser.add_argument("--json", type=Path, help="also write the timings and targets as JSON")
    parser.add_argument("--gates", action="store_true", help="with --quick: also time gates suggest (a minute or more)")
    parser.add_argument(
        "--baseline-python",
        default=sys.executable,
        help="the interpreter that runs SDMetrics and Evidently (e.g. a venv with pandas < 3, which Evidently needs)",
    )
    args = parser.parse_args()
    repeat = 1 if args.quick else args.repeat

    from realshaped import SPEC, write_study

    from validator.demo.generate import generate_human, generate_simulated, write_demo

    simval = simval_command()
    timings: dict[str, Timing] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        demo = write_demo(root / "demo")
        study = write_study(root / "realshaped")
        human, sims = str(demo["human"]), [str(demo[k]) for k in ("unfinetuned", "finetuned_random", "finetuned_balanced")]
        jobs: list[tuple[str, list[str], int]] = [
            ("floor", [sys.executable, "-c", "import pandas, statsmodels.api"], repeat),
            ("demo 1 run, B=0", [*simval, "check", human, sims[1], "--bootstrap", "0"], repeat),
            ("demo 1 run, default B", [*simval, "check", human, sims[1]], repeat),
            ("demo 3 runs, default B", [*simval, "check", human, *sims], repeat),
            ("real-shaped 3 files, B=0", [*simval, "check", str(study["human"]), str(study["sim1"]), str(study["sim2"]), "--spec", str(SPEC), "--bootstrap", "0"], repeat),
            ("real-shaped 3 files, default B", [*simval, "check", str(study["human"]), str(study["sim1"]), str(study["sim2"]), "--spec", str(SPEC)], repeat),
        ]
        jobs += [
            ("demo 1 run, B=0 + HTML and PDF", [*simval, "check", human, sims[1], "--bootstrap", "0", "--report", str(root / "report")], repeat),
            ("demo 1 run, default B + HTML and PDF", [*simval, "check", human, sims[1], "--report", str(root / "report_b")], repeat),
        ]
        if not args.quick or args.gates:
            jobs.append(("gates suggest, demo human", [*simval, "gates", "suggest", human, "--out", str(root / "gates.yaml"), "--force"], 1))
        base = args.baseline_python
        if installed(base, "sdmetrics"):
            jobs.append(("SDMetrics QualityReport, demo", [base, "-c", SDMETRICS, human, sims[1], "participant_id"], repeat))
        if installed(base, "evidently"):
            jobs.append(("Evidently DataDrift, demo", [base, "-c", EVIDENTLY, human, sims[1], "participant_id"], repeat))
        if not args.quick:
            big = root / "sim_100k_synthetic.csv"
            generate_simulated("finetuned_random", generate_human(100_000, seed=11), seed=11).to_csv(big, index=False)
            jobs += [
                ("100k rows, B=0", [*simval, "check", human, str(big), "--no-coefficients", "--bootstrap", "0"], repeat),
                ("100k rows, default B", [*simval, "check", human, str(big), "--no-coefficients"], max(1, repeat // 2)),
            ]
            if installed(base, "sdmetrics"):
                jobs.append(("SDMetrics QualityReport, 100k", [base, "-c", SDMETRICS, human, str(big), "participant_id"], repeat))
        if args.scale:
            million = root / "sim_1m_synthetic.csv"
            generate_simulated("finetuned_random", generate_human(1_000_000, seed=12), seed=12).to_csv(million, index=False)
            many = [str(root / f"sim_{i:03d}.csv") for i in range(args.files)]
            for i, path in enumerate(many):
                generate_simulated("finetuned_random", generate_human(929, seed=100 + i), seed=100 + i).to_csv(path, index=False)
            jobs += [
                ("1M rows, B=0", [*simval, "check", human, str(million), "--no-coefficients", "--bootstrap", "0"], 1),
                ("1 file, B=0", [*simval, "check", human, many[0], "--bootstrap", "0", "--quiet"], repeat),
                (f"{args.files} files, B=0", [*simval, "check", human, *many, "--bootstrap", "0", "--quiet"], 1),
                ("1 file, default B", [*simval, "check", human, many[0], "--quiet"], repeat),
                (f"{args.files} files, default B", [*simval, "check", human, *many, "--quiet"], 1),
            ]
        print(f"measuring ({repeat} run(s) each) ...", file=sys.stderr)
        failed: dict[str, str] = {}
        for name, command, times in jobs:
            try:
                timings[name] = measure(name, command, times)
            except RuntimeError as exc:  # a failing command is a finding, not the end of the run
                failed[name] = str(exc)
                print(f"  {name:34s} FAILED: {exc}", file=sys.stderr, flush=True)

    targets = _targets(timings, args.files)
    floor = timings["floor"]
    print(f"\n{'command':34s} {'wall s':>8s} {'cpu s':>8s} {'peak MB':>8s} {'wall/floor':>10s} {'cpu/floor':>10s}")
    for t in timings.values():
        print(f"{t.name:34s} {t.wall:8.2f} {t.cpu:8.2f} {t.peak_mb:8.0f} {t.wall / floor.wall:10.2f} {t.cpu / floor.cpu:10.2f}")
    for name, error in failed.items():
        print(f"{name:34s} FAILED: {error.splitlines()[-1][:200]}")
    print(f"\n{'target':58s} {'value':>9s} {'limit':>7s}")
    for target in targets:
        print(f"{target.name:58s} {target.value:9.2f} {target.limit:7.2f} {target.unit:8s} {'met' if target.met else 'MISSED'}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "timings": [asdict(t) for t in timings.values()],
                    "failed": failed,
                    "targets": [{**asdict(t), "met": t.met} for t in targets],
                },
                indent=2,
            )
        )
    return 0


def _targets(t: dict[str, Timing], files: int) -> list[Target]:
    """Every issue target measurable from ``t``, on wall and on CPU time."""
    out: list[Target] = []

    def ratio(name: str, over: str, limit: float, label: str) -> None:
        if name in t and over in t:
            for kind, get in (("wall", _wall), ("cpu", _cpu)):
                out.append(Target(f"{label} ({kind})", get(t[name]) / get(t[over]), limit, f"x {over.split(',')[0]}"))

    sdm = "SDMetrics QualityReport, demo"
    ratio("demo 1 run, default B", sdm, 1.0, "demo 1 run, default B / SDMetrics")
    ratio("demo 1 run, B=0", "floor", 1.2, "demo 1 run, B=0 / floor")
    ratio("demo 3 runs, default B", "floor", 3.0, "demo 3 runs, default B / floor")
    ratio("real-shaped 3 files, default B", "floor", 5.0, "real-shaped, default B / floor")
    ratio("Evidently DataDrift, demo", sdm, float("inf"), "Evidently DataDrift / SDMetrics (no target)")
    ratio("gates suggest, demo human", "floor", 5.0, "gates suggest, demo human / floor")
    for b in ("B=0", "default B"):
        alone, report = t.get(f"demo 1 run, {b}"), t.get(f"demo 1 run, {b} + HTML and PDF")
        if alone and report:
            for kind, get in (("wall", _wall), ("cpu", _cpu)):
                out.append(Target(f"report (HTML + PDF) over the check, {b} ({kind})", get(report) - get(alone), 2.0, "s"))
    ratio("100k rows, B=0", "SDMetrics QualityReport, 100k", 1.0, "100k rows, B=0 / SDMetrics")
    ratio("100k rows, B=0", "floor", 2.0, "100k rows, B=0 / floor")
    ratio("100k rows, default B", "floor", 6.0, "100k rows, default B / floor")
    if "1M rows, B=0" in t:
        out.append(Target("1M rows, B=0: wall", t["1M rows, B=0"].wall, 15.0, "s"))
        out.append(Target("1M rows, B=0: peak memory", t["1M rows, B=0"].peak_mb / 1024, 2.0, "GB"))
    for b, limit in (("B=0", 0.1), ("default B", 1.0)):
        one, many = t.get(f"1 file, {b}"), t.get(f"{files} files, {b}")
        if one and many and files > 1:
            for kind, get in (("wall", _wall), ("cpu", _cpu)):
                out.append(Target(f"{files} files, {b}: marginal s per file ({kind})", (get(many) - get(one)) / (files - 1), limit, "s"))
    return out


_wall: Callable[[Timing], float] = lambda timing: timing.wall
_cpu: Callable[[Timing], float] = lambda timing: timing.cpu


if __name__ == "__main__":
    sys.exit(main())
