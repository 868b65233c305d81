"""Shared fixtures: the synthetic demo data, written once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The GSS 2024 example data shipped with the repository (examples/gss2024/DATA.md).
GSS2024_DATA = REPO / "examples" / "gss2024" / "data"


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from validator.demo.generate import write_demo

    directory = tmp_path_factory.mktemp("demo")
    write_demo(directory)
    return directory


@pytest.fixture(scope="session")
def demo_paths(demo_dir: Path) -> dict[str, Path]:
    from validator.demo.generate import FILE_NAMES

    return {kind: demo_dir / name for kind, name in FILE_NAMES.items()}
