"""Fixtures for the finetuning tests: the scripted OpenAI-compatible server of tests/simulate."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SERVER_FILE = Path(__file__).resolve().parent.parent / "simulate" / "fixture_server.py"


@pytest.fixture(scope="session")
def fs():
    name = "simval_fixture_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SERVER_FILE)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
