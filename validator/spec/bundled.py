"""Where the bundled study specs live, in a wheel and in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def bundled_dir(kind: str) -> Path:
    """The directory of bundled ``kind`` files (``specs`` or ``reports``).

    A wheel carries them inside the package (``validator/_bundled/<kind>``); a
    source checkout or an editable install reads them from the repository's
    top-level folder of the same name.
    """
    for candidate in (_PACKAGE_DIR / "_bundled" / kind, _PACKAGE_DIR.parent / kind):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"simval's bundled {kind} are missing from this installation")


def bundled_spec_names() -> tuple[str, ...]:
    """Names of the bundled specs (file stems), sorted."""
    return tuple(sorted(p.stem for p in bundled_dir("specs").glob("*.yaml")))


def bundled_spec_path(name: str) -> Path:
    return bundled_dir("specs") / f"{name}.yaml"
