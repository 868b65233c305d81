"""A package's attributes that load their module on first use, for a module-level ``__getattr__``.

Re-exporting a name from a heavy module would import it with the package; a package
that lists its names here instead pays for a module only when one of its names is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def lazy_attribute(package: str, modules: Mapping[str, str], name: str) -> Any:
    """``name`` of ``package``, taken from the module ``modules[name]`` (relative to ``package`` when it starts with a dot).

    >>> lazy_attribute("validator", {"dumps": "json"}, "dumps").__name__
    'dumps'
    """
    module = modules.get(name)
    if module is None:
        raise AttributeError(f"module '{package}' has no attribute '{name}'")
    import importlib

    return getattr(importlib.import_module(module, package), name)
