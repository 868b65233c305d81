"""``--scheduler``: the per-dataset work on a Dask cluster gives the local run's results, byte for byte.

The LocalCluster test runs real worker processes; the others stand in a fake client
for the cluster, so they need no Dask and take no time.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from validator.api import check
from validator.cli.main import main
from validator.errors import UsageError
from validator.run import distributed as dist
from validator.run.distributed import HumanSide, Scheduler, parse_scheduler, run_on_cluster

SPECS = Path(__file__).resolve().parents[2] / "specs"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("local:4", Scheduler(None, 4)),
        ("local:1", Scheduler(None, 1)),
        (" local:2 ", Scheduler(None, 2)),
        ("tcp://10.0.0.5:8786", Scheduler("tcp://10.0.0.5:8786")),
        ("scheduler.lab:8786", Scheduler("scheduler.lab:8786")),
    ],
)
def test_a_scheduler_is_local_n_or_an_address(text: str, expected: Scheduler) -> None:
    assert parse_scheduler(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("local:0", "needs a whole number of workers N of at least 1, got 'local:0'"),
        ("local:x", "needs a whole number of workers N of at least 1, got 'local:x'"),
        ("local", "needs a whole number of workers N of at least 1, got 'local'"),
        ("  ", "the scheduler is empty"),
    ],
)
def test_a_malformed_scheduler_is_a_usage_error(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_scheduler(text)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], Path]:
    """A demo-sized human file, 6 simulated files (the three demo kinds, two seeds each) and a lighter spec.

    The spec is hunt2025 with 20 equal-n draws instead of 200: the same checks, in a fifth of the time.
    """
    from validator.demo.generate import SIM_KINDS, generate_human, generate_simulated

    directory = tmp_path_factory.mktemp("sweep")
    human = generate_human()
    human.to_csv(directory / "human.csv", index=False)
    sims = []
    for index in range(6):
        path = directory / f"sim_{index}.csv"
        generate_simulated(SIM_KINDS[index % 3], human, seed=1000 + index).to_csv(path, index=False)
        sims.append(path)
    spec = directory / "light.yaml"
    text = (SPECS / "hunt2025.yaml").read_text(encoding="utf-8")
    assert "equal_n_draws: 200" in text
    spec.write_text(text.replace("equal_n_draws: 200", "equal_n_draws: 20"), encoding="utf-8")
    return directory / "human.csv", sims, spec


def test_a_local_cluster_gives_the_local_runs_json_and_output_byte_for_byte(
    sweep: tuple[Path, list[Path], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("distributed")
    human, sims, spec = sweep
    common = ["check", str(human), *map(str, sims), "--spec", str(spec), "--bootstrap", "50", "--quiet", "--no-progress"]
    local_code = main([*common, "--json", str(tmp_path / "local.json")])
    local_out = capsys.readouterr().out
    cluster_code = main([*common, "--json", str(tmp_path / "cluster.json"), "--scheduler", "local:2"])
    captured = capsys.readouterr()
    assert cluster_code == local_code
    assert (tmp_path / "cluster.json").read_bytes() == (tmp_path / "local.json").read_bytes()
    assert captured.out == local_out  # --quiet streams its verdict lines: the same lines, in input order
    assert len(local_out.splitlines()) == len(sims)
    assert captured.err == ""  # the cluster's own logging stays off simval's stderr


def test_without_dask_the_scheduler_option_says_how_to_install_it(
    sweep: tuple[Path, list[Path], Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    human, sims, _ = sweep
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now raises ImportError
    with pytest.raises(UsageError, match=r'needs Dask distributed, which is not installed: pip install "simval\[dask\]"'):
        check(human, sims[0], scheduler="local:2", bootstrap=0)
    assert main(["check", str(human), str(sims[0]), "--scheduler", "local:2", "--bootstrap", "0"]) == 2
    err = capsys.readouterr().err
    assert err == 'simval: error: running checks on a Dask cluster needs Dask distributed, which is not installed: pip install "simval[dask]"\n'


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_scheduler_is_a_usage_error_after_the_timeout(sweep: tuple[Path, list[Path], Path]) -> None:
    pytest.importorskip("distributed")
    human, sims, _ = sweep
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    with pytest.raises(UsageError, match=f"cannot reach a Dask scheduler at '{address}' within {dist.CONNECT_TIMEOUT_S} s"):
        check(human, sims[0], scheduler=address, bootstrap=0)


def test_a_malformed_address_is_a_usage_error(sweep: tuple[Path, list[Path], Path]) -> None:
    pytest.importorskip("distributed")
    human, sims, _ = sweep
    with pytest.raises(UsageError, match="'nonsense' is not a Dask scheduler address"):
        check(human, sims[0], scheduler="nonsense", bootstrap=0)


class FakeFuture:
    def __init__(self, key: str, value: Any) -> None:
        self.key = key
        self.value = value

    def result(self) -> Any:
        if isinstance(self.value, BaseException):
            raise self.value
        return self.value


class FakeClient:
    """Runs each submitted task at once; ``as_completed`` hands them back in ``completion`` order."""

    def __init__(self) -> None:
        self.scattered: list[tuple[Any, dict[str, Any]]] = []
        self.submitted: list[dict[str, Any]] = []
        self.cancelled: list[FakeFuture] = []

    def scatter(self, value: Any, **options: Any) -> Any:
        self.scattered.append((value, options))
        return value

    def submit(self, function: Any, *args: Any, **options: Any) -> FakeFuture:
        self.submitted.append(options)
        label = args[2]
        value: Any = ValueError(f"task {label} failed") if label.startswith("bad") else (f"dataset {label}", (f"record of {label}",))
        return FakeFuture(f"key-{len(self.submitted)}", value)

    def cancel(self, futures: list[FakeFuture]) -> None:
        self.cancelled.extend(futures)


def _fake_distributed(monkeypatch: pytest.MonkeyPatch, completion: list[int]) -> None:
    def as_completed(futures: list[FakeFuture]) -> Iterator[FakeFuture]:
        return iter([futures[i] for i in completion])

    monkeypatch.setitem(sys.modules, "distributed", SimpleNamespace(as_completed=as_completed))
    monkeypatch.setattr(dist, "check_dataset", lambda side, data, label, checks: None)


def _side() -> HumanSide:
    return HumanSide(study=None, context=None, alpha=0.05, strict=False, human=None, prepared={})  # type: ignore[arg-type]


def test_datasets_come_out_in_input_order_whatever_order_the_cluster_finishes_them(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_distributed(monkeypatch, completion=[2, 0, 3, 1])
    client = FakeClient()
    work = [(f"sim{i}.csv", f"s{i}", [("check", None)] * (i + 1)) for i in range(4)]
    seen: list[int] = []
    ticks: list[tuple[str, int, int]] = []
    results = run_on_cluster(client, _side(), work, lambda *tick: ticks.append(tick), lambda index, dataset, records: seen.append(index))  # type: ignore[arg-type]
    assert seen == [0, 1, 2, 3]
    assert [tuple(result) for result in results] == [(f"dataset s{i}", (f"record of s{i}",)) for i in range(4)]
    # The human side is sent once to every worker; earlier datasets are asked for first.
    assert [options for _, options in client.scattered] == [{"broadcast": True, "hash": False}]
    assert [options["priority"] for options in client.submitted] == [4, 3, 2, 1]
    # Progress counts the checks of the datasets done, in the order they finish (3, 1, 4, 2 checks).
    assert ticks == [("checks", 3, 10), ("checks", 4, 10), ("checks", 8, 10), ("checks", 10, 10)]


def test_dataset_k_is_handed_on_only_once_datasets_1_to_k_are_done(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_distributed(monkeypatch, completion=[1, 2, 0])
    events: list[str] = []
    work = [(f"sim{i}.csv", f"s{i}", [("check", None)]) for i in range(3)]
    run_on_cluster(FakeClient(), _side(), work, lambda phase, done, total: events.append(f"done {done}"), lambda index, *_: events.append(f"out {index}"))  # type: ignore[arg-type]
    assert events == ["done 1", "done 2", "done 3", "out 0", "out 1", "out 2"]


@pytest.mark.parametrize("failure", [KeyboardInterrupt(), ValueError("task bad failed")])
def test_ctrl_c_or_a_failing_task_cancels_the_tasks_not_yet_done(monkeypatch: pytest.MonkeyPatch, failure: BaseException) -> None:
    _fake_distributed(monkeypatch, completion=[0, 1, 2])
    client = FakeClient()
    labels = ["s0", "bad" if isinstance(failure, ValueError) else "s1", "s2"]
    work = [(f"{label}.csv", label, [("check", None)]) for label in labels]

    def interrupt(index: int, *_: Any) -> None:
        if isinstance(failure, KeyboardInterrupt):
            raise failure

    with pytest.raises(type(failure)):
        run_on_cluster(client, _side(), work, lambda *_: None, interrupt)  # type: ignore[arg-type]
    assert {future.key for future in client.cancelled} == {"key-1", "key-2", "key-3"}


def test_of_two_failing_datasets_the_first_in_input_order_is_raised_whichever_fails_first(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_distributed(monkeypatch, completion=[3, 0, 1, 2])  # dataset 3 fails first, dataset 1 later
    client = FakeClient()
    labels = ["s0", "bad1", "s2", "bad3"]
    seen: list[int] = []
    work = [(f"{label}.csv", label, [("check", None)]) for label in labels]
    with pytest.raises(ValueError, match="task bad1 failed"):
        run_on_cluster(client, _side(), work, lambda *_: None, lambda index, *_: seen.append(index))  # type: ignore[arg-type]
    assert seen == [0]  # the datasets before the failing one are handed on, as in the local run
