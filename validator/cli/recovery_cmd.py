"""``simval recovery HUMAN_COEFS SIM_COEFS``: recovery metrics from coefficient tables."""

from __future__ import annotations

import argparse

from tabulate import tabulate

from validator.cli.output import guard_outputs, write_text
from validator.errors import UsageError
from validator.present.terminal import TABLE2_HEADERS, coefficient_table, not_estimable_lines, table2_row
from validator.recovery.compare import compare_fits
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
        print(f"Coefficient recovery: {args.sim_coefs} against {args.human_coefs} (alpha {args.alpha:g})")
        print(tabulate([table2_row(recovery.summary)], headers=TABLE2_HEADERS, tablefmt="simple", disable_numparse=True))
        for line in not_estimable_lines(recovery):
            print(line)
        print()
        print(coefficient_table(recovery))
    return 0
