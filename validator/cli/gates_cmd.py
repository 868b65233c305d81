"""``simval gates list | suggest``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tabulate import tabulate

from validator.cli.output import guard_outputs, spec_input, write_text
from validator.errors import UsageError
from validator.limits import BOOTSTRAP_MAX
from validator.spec.load import load_spec


def run_list(args: argparse.Namespace) -> int:
    from validator.gates.catalog import gate_paths

    from validator.present.table import table
    from validator.present.text import render_table, terminal_width

    spec = load_spec(args.spec)

    def bound(value: float | None) -> str:
        return "" if value is None else f"{value:g}"

    rows = [
        [p.pattern, "yes" if p.has_interval else "no", p.better, f"[{bound(p.range[0])}, {bound(p.range[1])}]".replace("[, ]", "-"), p.meaning]
        for p in gate_paths(spec)
    ]
    listing = table(
        "gate-paths",
        f"Gateable metric paths for spec {spec.name} (* = a subgroup level; 'interval': on: lower/upper allowed)",
        ["path", "interval", "better", "range", "meaning"],
        rows,
    )
    print(render_table(listing, terminal_width()))
    return 0


def run_suggest(args: argparse.Namespace) -> int:
    from validator.api import read_dataset
    from validator.gates.thresholds import suggest_gates, suggestion_yaml

    if args.draws < 20:
        raise UsageError(f"--draws must be at least 20, got {args.draws}")
    if args.draws > BOOTSTRAP_MAX:
        raise UsageError(f"--draws must be at most {BOOTSTRAP_MAX:,} (a limit of simval), got {args.draws:,}")
    if not 0.5 <= args.level < 1.0:
        raise UsageError(f"--level must lie in [0.5, 1), got {args.level:g}")
    guard_outputs([args.human, spec_input(args.spec)], [(args.out, "--out")])
    if args.out and args.out != "-" and Path(args.out).exists() and not args.force:
        raise UsageError(f"'{args.out}' exists already; pass --force to overwrite it")
    spec = load_spec(args.spec)
    human = read_dataset(args.human, spec)
    tty = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if tty:
            sys.stderr.write(f"\rresampling the human data: {done}/{total}")
            if done == total:
                sys.stderr.write("\n")
        elif done == total or done % max(1, total // 4) == 0:
            sys.stderr.write(f"resampling the human data: {done}/{total}\n")

    suggestion = suggest_gates(spec, human, draws=args.draws, level=args.level, n_sim=args.sim_n, seed=args.seed, progress=progress)
    text = suggestion_yaml(suggestion, spec.name, human.label)
    if args.out and args.out != "-":
        write_text(args.out, text, what="the gates file")
        print(
            f"wrote {args.out}: {len(suggestion.gates)} gates that {100 * suggestion.joint_pass:.1f}% of "
            f"{suggestion.draws} human resample pairs pass; use: simval check HUMAN SIM --gates {args.out}"
        )
    else:
        print(text, end="")
    return 0
