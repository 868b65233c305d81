"""Shared fixtures of the report tests: one check of the demo data and its rendered reports, made once."""

from __future__ import annotations

from pathlib import Path

import pytest

#: Few replicates: the intervals must exist, their width does not matter here.
REPLICATES = 30


@pytest.fixture(scope="session")
def demo_result(demo_paths: dict[str, Path]):
    import validator

    return validator.check(demo_paths["human"], [demo_paths["unfinetuned"]], bootstrap=REPLICATES, seed=3)


@pytest.fixture(scope="session")
def demo_reports(demo_result, tmp_path_factory: pytest.TempPathFactory):
    """The demo report rendered to HTML and PDF through the built-in route."""
    from validator.report import build_reports

    directory = tmp_path_factory.mktemp("reports")
    return build_reports(demo_result, directory, renderer="builtin", command=["simval", "check", "human.csv", "sim.csv"])


@pytest.fixture(scope="session")
def demo_run(demo_reports):
    (run,) = demo_reports.runs
    return run
