"""``simval recovery HUMAN_COEFS SIM_COEFS``: recovery metrics from coefficient tables."""

from __future__ import annotations

import argparse

from validator.checks.entry import PresentOptions
from validator.cli.output import guard_outputs, write_text
from validator.errors import UsageError
from validator.present.text import render_table, terminal_width
from validator.recovery.check import RecoveryCheck
from validator.recovery.compare import compare_fits
from validator.recovery.present import coefficient_table, table2
from validator.recovery.tables import read_coefficient_table


def run(args: argparse.Namespace) -> int:
    if not 0.0 < args.alpha < 1.0:
        raise UsageError(f"--alpha must lie strictly between 0 and 1, got {args.alpha:g}")
    guard_outputs([args.human_coefs, args.sim_coefs], [(args.json, "--json")])
    human = read_coefficient_table(args.human_coefs, alpha=args.alpha)
    sim = read_coefficient_table(args.sim_coefs, alpha=args.alpha)
    recovery = compare_fits(human, sim, alpha=args.alpha)
    if args.json:
        from validator.jsonable import dumps

        write_text(args.json, dumps({"human": args.human_coefs, "simulation": args.sim_coefs, "recovery": recovery.to_dict()}))
    if args.json != "-":
        width = terminal_width()
        options = PresentOptions(detail=2, alpha=args.alpha)
        check = RecoveryCheck(fits=tuple(sim), result=recovery, uncertainty=None)
        print(f"Coefficient recovery: {args.sim_coefs} against {args.human_coefs} (alpha {args.alpha:g})")
        print(render_table(table2(check, options), width))
        print()
        print(render_table(coefficient_table(recovery, options, corrected=False), width))
    return 0
