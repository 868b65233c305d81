"""Fixtures for the simulation tests: the scripted OpenAI-compatible server and helpers."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def load_fixture_server():
    """The fixture server module, loaded by path (the tests are not a package)."""
    name = "simval_fixture_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "fixture_server.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def fs():
    return load_fixture_server()


@pytest.fixture()
def server(fs):
    with fs.FixtureServer() as running:
        yield running
