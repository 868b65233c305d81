"""Fixtures of the hostile-input battery: a small study folder per case."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent


def load_harness() -> ModuleType:
    """The harness module, loaded by path (the tests are not a package)."""
    name = "simval_hostile_harness"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "harness.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture()
def study(tmp_path: Path) -> Path:
    """A folder with spec.yaml (a small study, no bootstrap), human.csv and sim.csv."""
    harness = load_harness()
    (tmp_path / "spec.yaml").write_text(harness.SPEC, encoding="utf-8")
    harness.small_frame(seed=1).to_csv(tmp_path / "human.csv", index=False)
    harness.small_frame(seed=2).to_csv(tmp_path / "sim.csv", index=False)
    return tmp_path
