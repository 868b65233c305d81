"""Reading YAML (specs, gates files) as bounded data, and typed access to what was read.

Every YAML document simval reads goes through :func:`read_yaml`, whose loader is a
``yaml.SafeLoader`` (no Python objects) with four additions:

* YAML 1.2 booleans: only ``true``/``false``, so ``yes``, ``no`` and ``on`` stay text;
* bounded aliases: at most :data:`~validator.limits.YAML_ALIASES_MAX` aliases, and
  at most :data:`~validator.limits.YAML_NODES_MAX` nodes with every alias expanded
  (a "billion laughs" document is refused while it is composed, before anything
  walks it), and no alias inside the node it names;
* bounded nesting: at most :data:`~validator.limits.YAML_DEPTH_MAX` levels, checked
  before the composer recurses (20,000 levels would overflow Python's stack);
* no duplicate mapping keys: ``models:`` twice is an error naming the key path,
  where plain PyYAML keeps the last silently.

:class:`Reader` gives typed access to the loaded mappings with errors that carry the
key path (``models[2].formula``). The spec, gates and simulation-section parsers
all use it; it lives here so that none of them imports another's private helpers.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from validator.did_you_mean import did_you_mean
from validator.errors import SpecError
from validator.limits import (
    YAML_ALIASES_MAX,
    YAML_BYTES_MAX,
    YAML_DEPTH_MAX,
    YAML_NODES_MAX,
    format_bytes,
)

__all__ = ["BoundedLoader", "Reader", "YamlLimitError", "describe_kind", "join_path", "read_yaml", "read_yaml_file"]

_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlLimitError(yaml.YAMLError):
    """A YAML document over a limit of :mod:`validator.limits`, or with a duplicate key."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with YAML 1.2 booleans, bounded aliases and depth, and no duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._keys: list[str] = []  # the key path of the node being composed
        self._depth = 0
        self._aliases = 0
        # Expanded size (nodes, aliases expanded) of each node composed so far, by id;
        # a node still being composed is absent, so an alias to it is recursive.
        self._sizes: dict[int, int] = {}

    def _where(self) -> str:
        keys = self._keys if len(self._keys) <= 12 else [*self._keys[:6], "...", *self._keys[-3:]]
        text = ""
        for key in keys:
            text += key if key.startswith("[") or not text else f".{key}"
        return text

    def compose_node(self, parent: Node | None, index: Any) -> Node:  # type: ignore[override]
        label = _label(index)
        if label is not None:
            self._keys.append(label)
        try:
            if self.check_event(AliasEvent):
                return self._alias(parent, index)
            self._depth += 1
            if self._depth > YAML_DEPTH_MAX:
                raise YamlLimitError(f"the YAML nests deeper than the limit of {YAML_DEPTH_MAX} levels", self._where())
            node = super().compose_node(parent, index)
            self._depth -= 1
            self._sizes[id(node)] = size = 1 + sum(self._sizes.get(id(child), 1) for child in _children(node))
            if size > YAML_NODES_MAX:
                raise YamlLimitError(
                    f"the YAML expands to more than {YAML_NODES_MAX:,} values once its aliases are expanded",
                    self._where(),
                )
            return node
        finally:
            if label is not None:
                self._keys.pop()

    def _alias(self, parent: Node | None, index: Any) -> Node:
        self._aliases += 1
        if self._aliases > YAML_ALIASES_MAX:
            raise YamlLimitError(f"the YAML uses more than {YAML_ALIASES_MAX:,} aliases", self._where())
        node = super().compose_node(parent, index)
        if id(node) not in self._sizes:
            raise YamlLimitError("an alias refers to the value that contains it (a recursive alias)", self._where())
        return node

    def compose_mapping_node(self, anchor: str | None) -> MappingNode:  # type: ignore[override]
        node = super().compose_mapping_node(anchor)
        seen: set[tuple[str, str]] = set()
        for key, _value in node.value:
            if not isinstance(key, ScalarNode) or key.tag == _MERGE_TAG:
                continue
            identity = (key.tag, key.value)
            if identity in seen:
                where = self._where()
                raise YamlLimitError(
                    f"the key '{key.value}' appears twice{f' in {where}' if where else ''}; "
                    "YAML would keep only the last one",
                    where + ("." if where else "") + str(key.value),
                )
            seen.add(identity)
        return node


def _label(index: Any) -> str | None:
    """How the composer's ``index`` of a node reads in a key path (None for a mapping key itself)."""
    if isinstance(index, bool) or index is None:
        return None
    if isinstance(index, int):
        return f"[{index}]"
    if isinstance(index, ScalarNode):
        return str(index.value)
    return "?"


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


BoundedLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
BoundedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def read_yaml(text: str, *, source: str | None = None) -> Any:
    """Parse YAML text as data with :class:`BoundedLoader`; any problem is a SpecError naming ``source``.

    >>> read_yaml("a: [yes, true]")
    {'a': ['yes', True]}
    """
    try:
        return yaml.load(text, Loader=BoundedLoader)  # noqa: S506 - a SafeLoader subclass
    except YamlLimitError as exc:
        raise SpecError(exc.message, source=source, path=exc.path or None) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"{where}the YAML does not parse ({problem})", source=source) from None
    except RecursionError:  # nesting is bounded above; this is a last line of defence
        raise SpecError(f"the YAML nests deeper than the limit of {YAML_DEPTH_MAX} levels", source=source) from None


def read_yaml_file(path: str | os.PathLike[str], *, source: str, what: str) -> str:
    """The text of a YAML file, after checking it is a regular file of at most YAML_BYTES_MAX bytes.

    ``what`` names the file in messages ("the spec", "the gates file"). A FIFO or a
    device is refused before it is opened, since reading it could block forever.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise SpecError(f"{what} does not exist", source=source) from None
    except OSError as exc:
        raise SpecError(f"{what} cannot be read ({exc.strerror or exc})", source=source) from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a pipe, device or socket)"
        raise SpecError(f"{what} is {kind}; give a YAML file", source=source)
    if info.st_size > YAML_BYTES_MAX:
        raise SpecError(
            f"{what} is {format_bytes(info.st_size)}, more than the limit of {format_bytes(YAML_BYTES_MAX)}",
            source=source,
        )
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SpecError(f"{what} is not valid UTF-8 text", source=source) from None
    except OSError as exc:
        raise SpecError(f"{what} cannot be read ({exc.strerror or exc})", source=source) from None


class Reader:
    """Typed access to one YAML mapping, with errors that carry the key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, message: str) -> SpecError:
        return SpecError(message, source=self.source, path=path or None)

    def mapping(self, value: Any, path: str, allowed: Sequence[str]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected a mapping of keys, got {describe_kind(value)}")
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                raise self.fail(
                    join_path(path, str(key)),
                    f"unknown key '{key}' ({did_you_mean(str(key), allowed)})",
                )
        return value

    def text(self, value: Any, path: str, *, optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail(path, f"expected text, got {describe_kind(value)}")
        text = str(value).strip()
        if not text and not optional:
            raise self.fail(path, "must not be empty")
        return text or None

    def identifier(self, value: Any, path: str) -> str:
        text = self.text(value, path)
        assert text is not None
        if not text.isidentifier() or text.startswith("_"):
            raise self.fail(
                path,
                f"'{text}' is not a valid variable name (letters, digits and underscores, "
                "not starting with a digit or underscore)",
            )
        return text

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"expected true or false, got {describe_kind(value)}")
        return value

    def number(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise self.fail(path, f"expected a number, got {describe_kind(value)}")
        return float(value)

    def choice(self, value: Any, path: str, options: Sequence[str]) -> str:
        text = self.text(value, path)
        assert text is not None
        if text not in options:
            raise self.fail(path, f"'{text}' is not one of {', '.join(options)} ({did_you_mean(text, options)})")
        return text

    def sequence(self, value: Any, path: str) -> Sequence[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {describe_kind(value)}")
        return value

    def integer(self, value: Any, path: str, *, minimum: int, maximum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"expected a whole number, got {describe_kind(value)}")
        if value < minimum:
            raise self.fail(path, f"must be at least {minimum}, got {_shown(value)}")
        if maximum is not None and value > maximum:
            raise self.fail(path, f"must be at most {maximum:,} (a limit of simval), got {_shown(value)}")
        return value

    def names(self, value: Any, path: str, known: Sequence[str], *, minimum: int = 1) -> tuple[str, ...]:
        """A list of variable names, each known to the spec."""
        items = self.sequence(value, path)
        if len(items) < minimum:
            raise self.fail(path, f"needs at least {minimum} name{'s' if minimum > 1 else ''}")
        names = []
        for i, item in enumerate(items):
            name = self.text(item, f"{path}[{i}]")
            assert name is not None
            if name not in known:
                raise self.fail(f"{path}[{i}]", f"unknown variable '{name}' ({did_you_mean(name, known)})")
            names.append(name)
        if len(set(names)) != len(names):
            raise self.fail(path, "lists a name twice")
        return tuple(names)

    def scalar_text(self, value: Any, path: str) -> str:
        """A category label or a raw value as text: numbers print without a trailing '.0'."""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, (str, int, float)):
            return str(value)
        raise self.fail(path, f"expected a single value, got {describe_kind(value)}")


def describe_kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {_shown(value)}"
    if isinstance(value, str):
        return f"the text '{_shown(value)}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


def _shown(value: object, limit: int = 60) -> str:
    """A value as a message quotes it: at most ``limit`` characters, so a 1 MB value is not echoed whole."""
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit:,} more characters)"


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key

