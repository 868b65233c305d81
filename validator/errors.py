"""One error hierarchy for every user mistake simval can name.

A bad spec, a bad data file or bad usage raises a :class:`SimvalError` whose
message is one plain sentence naming the file and the key path or row. The CLI
turns it into exit code 2 without a traceback. Anything else that escapes is an
internal error (exit code 3).

A statistic that cannot be computed on the data at hand (a model that cannot be
estimated, an empty subgroup) is *not* an error: it is a result with a reason.
"""

from __future__ import annotations


class SimvalError(Exception):
    """Base class of every user-facing error; ``str(err)`` is the message shown."""

    exit_code: int = 2


class UsageError(SimvalError):
    """The command line or the Python call itself is wrong."""


class SpecError(SimvalError):
    """A study spec is invalid; the message names the file and the key path."""

    def __init__(self, message: str, *, source: str | None = None, path: str | None = None) -> None:
        self.source = source
        self.path = path
        where = ", ".join(part for part in (source, f"at {path}" if path else None) if part)
        super().__init__(f"{where}: {message}" if where else message)


class ExpressionError(SpecError):
    """A derived-variable expression, subset or formula is not allowed or does not parse."""


class InputError(SimvalError):
    """A data file cannot be read or violates the spec (file, row and column named)."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.source = source
        self.row = row
        self.column = column
        parts = [source] if source else []
        if row is not None:
            parts.append(f"row {row}")
        if column is not None:
            parts.append(f"column '{column}'")
        where = ", ".join(parts)
        super().__init__(f"{where}: {message}" if where else message)
