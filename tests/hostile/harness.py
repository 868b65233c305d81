"""The hostile-input battery's harness (loaded by path: the tests are not a package): run the console script in a child, bounded in time and memory.

Each case runs ``simval`` as a user would, in a subprocess, and records its exit
code, output, CPU time and peak resident memory (from ``wait4`` in a launcher, so the
number is simval's own). A child still running after ``TIME_LIMIT`` seconds is killed, so
a hang fails the case instead of the session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
TIME_LIMIT = 10.0  # CPU seconds per case (issue 14): CPU time, so a loaded machine does not fail a case
HANG_LIMIT = 180.0  # wall seconds after which a child is killed (a hang: waiting uses no CPU)
MEMORY_LIMIT_MB = 500.0  # peak resident memory per case (issue 14)

SPEC = """\
simval_spec: 1
name: small
columns:
  g: {type: categorical, values: [a, b]}
  x: {type: numeric}
  w: {type: numeric}
  y: {type: numeric}
  decision: {type: categorical, values: [left, right]}
models:
  - {id: m1, family: ols, formula: y ~ x}
  - {id: m2, family: logit, formula: decision ~ x}
uncertainty: {bootstrap: 0, equal_n_draws: 5}
"""


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    seconds: float  # CPU time, user + system
    max_rss_mb: float


def simval_command() -> list[str]:
    exe = shutil.which("simval", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "validator"]


def _launcher() -> str:
    """The fork-exec launcher of ``bench/launcher.py``, which the benchmarks measure with too."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("simval_bench_launcher", REPO / "bench" / "launcher.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.LAUNCHER)


# simval is started by this launcher: started directly, its high-water mark would start at
# the size of the pytest process it was spawned from, which grows as other tests run.
LAUNCHER = _launcher()


def run_limited(
    args: list[str], cwd: Path, *, stdin: bytes | None = None, env: dict[str, str] | None = None, timeout: float = HANG_LIMIT
) -> Outcome:
    """Run ``simval *args`` in ``cwd``; kill it after ``timeout`` wall seconds (returncode -9 then)."""
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as inp, tempfile.TemporaryDirectory() as scratch:
        if stdin is not None:
            inp.write(stdin)
            inp.seek(0)
        report = Path(scratch) / "usage"
        command = simval_command()
        executable = command[0] if os.path.isabs(command[0]) else shutil.which(command[0]) or command[0]
        child = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(report), executable, *command[1:], *args],
            cwd=cwd, env=environment, stdin=inp, stdout=out, stderr=err, start_new_session=True,
        )
        # A hang: kill the launcher's whole session (simval and any child of it).
        timer = threading.Timer(timeout, lambda: os.killpg(child.pid, 9))
        timer.start()
        try:
            child.wait()
        finally:
            timer.cancel()
        seconds, max_rss_kb = (float(v) for v in report.read_text().split()) if report.exists() else (0.0, 0.0)
        out.seek(0)
        err.seek(0)
        return Outcome(
            child.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            seconds,
            max_rss_kb / 1024.0,  # kilobytes on Linux
        )


def small_frame(n: int = 80, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n).round(3)
    return pd.DataFrame(
        {
            "g": rng.choice(["a", "b"], n),
            "x": x,
            "w": rng.normal(size=n).round(3),
            "y": (0.5 * x + rng.normal(size=n)).round(3),
            "decision": np.where(x + rng.normal(size=n) > 0, "right", "left"),
        }
    )
