"""Every resource limit simval enforces, in one place.

A spec, a gates file or a data file may come from anyone, so each quantity that
could make simval use unbounded memory, time or terminal output has a limit here.
Going over a limit is a user error (exit code 2) with one sentence that names the
file, the key path or the option and the limit; ``docs/limits.md`` lists every
limit with its message. The values are generous for real studies (a survey of a
million rows and a few hundred columns passes every one) and small enough that a
hostile file is refused within seconds and a few hundred megabytes.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BINS_MAX",
    "BOOTSTRAP_MAX",
    "COLUMNS_MAX",
    "DECOMPRESSED_BYTES_MAX",
    "INPUT_BYTES_MAX",
    "PRINTED_LINES_MAX",
    "PRINTED_VALUE_CHARS_MAX",
    "YAML_ALIASES_MAX",
    "YAML_BYTES_MAX",
    "YAML_DEPTH_MAX",
    "YAML_NODES_MAX",
    "format_bytes",
]

#: Largest spec or gates file read, in bytes (checked with ``stat`` before reading).
YAML_BYTES_MAX: Final = 16 * 1024 * 1024

#: Most aliases (``*name``) one YAML document may use.
YAML_ALIASES_MAX: Final = 1_000

#: Most nodes a YAML document may hold once every alias is expanded; this is what
#: stops a "billion laughs" document, whose few aliases expand to billions of nodes.
YAML_NODES_MAX: Final = 200_000

#: Deepest nesting of mappings and lists in a YAML document (a real spec nests about 6).
YAML_DEPTH_MAX: Final = 100

#: Most bootstrap replicates, from ``uncertainty.bootstrap`` or ``--bootstrap``.
BOOTSTRAP_MAX: Final = 100_000

#: Most bins of one binned distribution variable (``bins.count``).
BINS_MAX: Final = 10_000

#: Largest data file read, in bytes (checked with ``stat`` before reading; for
#: standard input, the bytes read so far).
INPUT_BYTES_MAX: Final = 1024 * 1024 * 1024

#: Largest decompressed size of a gzip data file, or of the parts of an xlsx
#: workbook (a zip archive), in bytes; counted while decompressing, before keeping.
#: For a .zsav file, its zlib blocks as its block table declares them; for Parquet,
#: the footer's uncompressed size or one byte per value (both read before the data).
DECOMPRESSED_BYTES_MAX: Final = 1024 * 1024 * 1024

#: Most columns of one data file (for Parquet and SPSS, counted before the data is read).
COLUMNS_MAX: Final = 20_000

#: Longest data-derived value (a cell, a file name, a label) printed on the terminal;
#: longer ones end in "... (N more characters)".
PRINTED_VALUE_CHARS_MAX: Final = 200

#: Most lines of one listing printed on the terminal (set-aside rows, missing
#: columns); longer listings end in "... (N more)".
PRINTED_LINES_MAX: Final = 20


def format_bytes(count: int) -> str:
    """A byte count for messages: ``format_bytes(16 * 1024 * 1024) == '16 MiB'``."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} bytes"
