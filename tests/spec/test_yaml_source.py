"""The one bounded YAML loader behind specs and gates files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from validator.errors import SpecError
from validator.limits import YAML_ALIASES_MAX, YAML_BYTES_MAX
from validator.spec.yaml_source import read_yaml, read_yaml_file


def _billion_laughs(levels: int) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines)


REFUSED = [
    ("billion laughs", _billion_laughs(9), "f.yaml, at l5: the YAML expands to more than 200,000 values"),
    ("too many aliases", "a: &a 1\nb: [" + ", ".join(["*a"] * (YAML_ALIASES_MAX + 1)) + "]", "more than 1,000 aliases"),
    ("recursive alias", "a: &a [1, *a]", r"at a\[1\]: an alias refers to the value that contains it"),
    ("nested flow lists", "[" * 20_000 + "]" * 20_000, "nests deeper than the limit of 100 levels"),
    ("nested mappings", "{a: " * 20_000 + "1" + "}" * 20_000, "nests deeper than the limit of 100 levels"),
    ("duplicate top-level key", "models: []\nmodels: []\n", "at models: the key 'models' appears twice;"),
    ("duplicate nested key", "columns:\n  x: {type: numeric, type: text}\n", "at columns.x.type: the key 'type' appears twice in columns.x"),
    ("duplicate key in a list item", "gates:\n  - {path: a, path: b}\n", r"at gates\[0\]\.path: the key 'path' appears twice"),
    ("bad syntax", "a: [1, 2", "the YAML does not parse"),
]


@pytest.mark.parametrize(("text", "message"), [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED])
def test_hostile_yaml_is_refused_fast_naming_the_key_path(text: str, message: str) -> None:
    start = time.monotonic()
    with pytest.raises(SpecError, match=message):
        read_yaml(text, source="f.yaml")
    assert time.monotonic() - start < 5  # generous: these took minutes, or crashed, before


ACCEPTED = [
    ("yaml 1.2 booleans", "a: [yes, no, on, true, False]", {"a": ["yes", "no", "on", True, False]}),
    ("anchors and aliases", "a: &x {b: 1}\nc: *x", {"a": {"b": 1}, "c": {"b": 1}}),
    ("merge key", "a: &x {b: 1}\nd: {<<: *x, e: 2}", {"a": {"b": 1}, "d": {"b": 1, "e": 2}}),
    ("same key in two mappings", "a: {k: 1}\nb: {k: 2}", {"a": {"k": 1}, "b": {"k": 2}}),
    ("an alias used many times, small", "a: &a 1\nb: [" + ", ".join(["*a"] * 500) + "]", {"a": 1, "b": [1] * 500}),
]


@pytest.mark.parametrize(("text", "expected"), [case[1:] for case in ACCEPTED], ids=[case[0] for case in ACCEPTED])
def test_ordinary_yaml_reads_as_data(text: str, expected: object) -> None:
    assert read_yaml(text, source="f.yaml") == expected


def test_python_tags_are_refused() -> None:
    with pytest.raises(SpecError, match="does not parse"):
        read_yaml("!!python/object/apply:os.system ['true']", source="f.yaml")


def test_a_file_over_the_size_limit_is_refused_without_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(YAML_BYTES_MAX + 1)  # sparse: nothing to read, only its size
    with pytest.raises(SpecError, match="big.yaml: the spec is 16.0 MiB, more than the limit of 16 MiB"):
        read_yaml_file(path, source=str(path), what="the spec")


@pytest.mark.parametrize(("make", "message"), [("fifo", "is not a regular file"), ("folder", "is a folder")])
def test_a_pipe_or_folder_is_refused_before_opening(tmp_path: Path, make: str, message: str) -> None:
    import os

    path = tmp_path / "x.yaml"
    os.mkfifo(path) if make == "fifo" else path.mkdir()
    with pytest.raises(SpecError, match=f"the gates file {message}"):
        read_yaml_file(path, source=str(path), what="the gates file")


def test_the_spec_and_gates_loaders_do_not_import_each_other() -> None:
    import ast

    import validator.gates.load as gates_load
    import validator.simulate.section as section

    for module in (gates_load, section):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert "validator.spec.load" not in imported
