"""``simval demo [DIR]``: write the synthetic demo data, then check it."""

from __future__ import annotations

import argparse
from pathlib import Path

from validator.errors import UsageError


def shell_lines(words: list[str], width: int) -> str:
    """A command to copy, continued with `` \\`` where it would pass ``width``: pasted, it runs as one line.

    >>> print(shell_lines(["$ simval check", "human.csv", "a_long_simulated_run.csv"], 30))
    $ simval check human.csv \\
        a_long_simulated_run.csv
    """
    lines = [words[0]]
    for word in words[1:]:
        if len(lines[-1]) + 1 + len(word) + 2 > width:
            lines[-1] += " \\"
            lines.append("    " + word)
        else:
            lines[-1] += " " + word
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from validator.demo.generate import DEMO_SEED, write_demo

    directory = Path(args.directory)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"'{directory}' exists and is not a folder")
    directory.mkdir(parents=True, exist_ok=True)
    paths = write_demo(directory, seed=DEMO_SEED if args.seed is None else args.seed)
    print(f"Wrote the SYNTHETIC demo data (not the Hunt et al. data) to {directory}/:")
    for kind, path in paths.items():
        print(f"  {kind:20s} {path}")
    if args.no_check:
        return 0
    from validator.api import check
    from validator.present.terminal import format_check
    from validator.present.text import terminal_width

    sims = [str(p) for kind, p in paths.items() if kind != "human"]
    print()
    print(shell_lines(["$ simval check", str(paths["human"]), *sims], terminal_width()))
    print()
    result = check(str(paths["human"]), sims, spec="hunt2025")
    print(format_check(result, detail=0))
    print()
    print("Every table of one run:")
    print(shell_lines(["  simval check", str(paths["human"]), sims[0], "-vv"], terminal_width()))
    # The demo's failing run is the point of the demo, not an error: it exits 0 when it ran.
    return 0
