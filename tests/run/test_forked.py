"""Checks in forked worker processes: the same results as on threads, streamed in input order, errors as on threads.

Forking needs a process with one thread, and a pytest-xdist worker runs more, so each
case runs in a fresh interpreter (``python -c``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from validator.run.forked import can_fork

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="worker processes are forked on Linux only")


def _python(code: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1"}, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


RUN = """
import json, validator, validator.run.forked as forked
used = []
run_forked = forked.run_forked
def spy(*args, **kwargs):
    used.append(True)
    return run_forked(*args, **kwargs)
import validator.run.executor  # noqa
forked.run_forked = spy
h, sims = {human!r}, {sims!r}
order = []
forked_run = validator.check(h, sims, bootstrap=40, workers=2, on_dataset=lambda r: order.append(len(r.simulations)))
threaded = validator.check(h, sims, bootstrap=40, workers=1)
print(json.dumps({{"forked": bool(used), "same": forked_run.to_json() == threaded.to_json(), "order": order}}))
"""


def test_forked_workers_give_the_threaded_results_byte_for_byte_and_stream_in_input_order(demo_paths: dict[str, Path]) -> None:
    sims = [str(demo_paths[k]) for k in ("unfinetuned", "finetuned_random", "finetuned_balanced")]
    result = _python(RUN.format(human=str(demo_paths["human"]), sims=sims))
    assert result == {"forked": True, "same": True, "order": [1, 2, 3]}


ERRORS = """
import json, validator
from validator.errors import InputError
from validator.checks import registry
entry = registry.get("distribution")
compute = entry.compute
def failing(inputs, item):
    if inputs.label in {bad!r}:
        raise InputError("cannot be compared", source=inputs.label, row=7, column="belief")
    return compute(inputs, item)
import dataclasses
registry.unregister("distribution")
registry.register(dataclasses.replace(entry, compute=failing))
messages = []
for workers in (2, 1):
    try:
        validator.check({human!r}, {sims!r}, bootstrap=0, workers=workers)
    except InputError as exc:
        messages.append(str(exc))
print(json.dumps({{"messages": messages}}))
"""


def test_the_error_of_the_earliest_failing_dataset_is_raised_as_on_threads(demo_paths: dict[str, Path]) -> None:
    sims = [str(demo_paths[k]) for k in ("unfinetuned", "finetuned_random", "finetuned_balanced")]
    result = _python(ERRORS.format(human=str(demo_paths["human"]), sims=sims, bad=[Path(s).name for s in sims[1:]]))
    name = Path(sims[1]).name
    assert result == {"messages": [f"{name}, row 7, column 'belief': cannot be compared"] * 2}


def test_no_fork_while_another_thread_runs_or_with_one_worker() -> None:
    assert not can_fork(1, 10)
    assert not can_fork(4, 1)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name="a caller's thread")
    other.start()
    try:
        assert not can_fork(4, 10)
    finally:
        stop.set()
        other.join()


@pytest.mark.parametrize("large", [False, True], ids=["read by a worker", "read before forking"])
def test_a_file_that_cannot_be_read_is_the_error_even_after_an_earlier_dataset_failed_a_check(demo_paths: dict[str, Path], tmp_path: Path, large: bool) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text("participant_id,unknown\n1,2\n")
    sims = [str(demo_paths["unfinetuned"]), str(demo_paths["finetuned_random"]), str(broken)]
    code = ERRORS.format(human=str(demo_paths["human"]), sims=sims, bad=[Path(sims[0]).name]).replace("except InputError", "except Exception")
    if large:
        code = "import validator.run.forked as forked\nforked.LARGE_INPUT_BYTES = 1\n" + code
    messages = _python(code)["messages"]
    assert isinstance(messages, list) and len(messages) == 2
    assert messages[0] == messages[1] and "broken.csv" in messages[0]


PRUNED = """
import json
import pandas as pd
import validator.run.forked as forked
from validator.run.config import configure
from validator.run.executor import execute
from validator.run.plan import make_plan
sim = pd.read_csv({sim!r}, comment="#")
sim["undeclared_notes"] = "x"
sim.to_csv({out!r}, index=False)
config = configure({human!r}, [{out!r}], spec="hunt2025", seed=0, strict=False, alpha=None, bootstrap=0,
                   exclude_human_rows=(), workers=2, gates=None, fail_on="error")
plan = make_plan(config)
ran = execute(plan, config)
print(json.dumps({{"forked": forked.can_fork(2, 2), "columns": sorted(map(str, ran.sims[0].frame.columns)),
                   "extra": list(ran.sims[0].extra_columns)}}))
"""


def test_forked_workers_read_only_the_spec_columns_and_list_the_others(demo_paths: dict[str, Path], tmp_path: Path) -> None:
    result = _python(PRUNED.format(human=str(demo_paths["human"]), sim=str(demo_paths["finetuned_random"]), out=str(tmp_path / "sim.csv")))
    assert result["forked"] is True
    assert "undeclared_notes" not in result["columns"] and result["extra"] == ["undeclared_notes"]


LARGE = """
import json, validator
import validator.run.forked as forked
forked.LARGE_INPUT_BYTES = 1  # every file counts as large: read here, inherited by the workers
sims = {sims!r}
order = []
big = validator.check({human!r}, sims, bootstrap=30, workers=2, on_dataset=lambda r: order.append(len(r.simulations))).to_json()
forked.LARGE_INPUT_BYTES = 10**15  # none does: read and sent by the workers
small = validator.check({human!r}, sims, bootstrap=30, workers=2).to_json()
one = validator.check({human!r}, sims, bootstrap=30, workers=1).to_json()
print(json.dumps({{"same": big == small == one, "order": order}}))
"""


def test_large_files_read_before_forking_give_the_same_results(demo_paths: dict[str, Path]) -> None:
    sims = [str(demo_paths[k]) for k in ("unfinetuned", "finetuned_random")]
    assert _python(LARGE.format(human=str(demo_paths["human"]), sims=sims)) == {"same": True, "order": [1, 2]}
