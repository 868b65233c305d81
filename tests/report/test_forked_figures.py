"""The forest plots drawn by a forked worker are the files drawn in process, byte for byte."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

CODE = """
import json, sys
from pathlib import Path
import validator
import validator.report.build as build
import validator.run.forked as forked
result = validator.check({human!r}, [{sim!r}], bootstrap=0)
pools = []
fork_pool = forked.fork_pool
forked.fork_pool = lambda workers: (pools.append(workers), fork_pool(workers))[1]
out = {{}}
for name, fork in (("forked", True), ("here", False)):
    if not fork:
        forked.can_fork = lambda workers, pieces: False
    build.build_reports(result, Path({root!r}) / name, formats=("html",))
    folder = next((Path({root!r}) / name).iterdir()) / "figures"
    out[name] = {{p.name: p.read_bytes().hex() for p in sorted(folder.iterdir())}}
print(json.dumps({{"pools": pools, "same": out["forked"] == out["here"], "forest": sorted(n for n in out["here"] if n.startswith("forest"))}}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="figure workers are forked on Linux only")
def test_forest_plots_from_a_forked_worker_are_the_same_files(demo_paths: dict[str, Path], tmp_path: Path) -> None:
    code = CODE.format(human=str(demo_paths["human"]), sim=str(demo_paths["finetuned_random"]), root=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["pools"] == [1]  # the first build forked one figure worker, the second none
    assert result["same"] and result["forest"]
