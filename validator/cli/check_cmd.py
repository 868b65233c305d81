"""``simval check``: wire the arguments to :func:`validator.check` and print the results."""

from __future__ import annotations

import argparse
import sys

from validator.api import check
from validator.cli.output import write_text
from validator.present.terminal import format_check, verdict_line


def run(args: argparse.Namespace) -> int:
    human = args.human
    if human == "-" and "-" in args.sims:
        from validator.errors import UsageError

        raise UsageError("only one dataset can come from standard input")
    result = check(
        human, args.sims, spec=args.spec, seed=args.seed, strict=args.strict, alpha=args.alpha, bootstrap=args.bootstrap
    )
    if args.json:
        write_text(args.json, result.to_json())
    if args.json != "-":
        if args.quiet:
            print("\n".join(verdict_line(sim) for sim in result.simulations))
        else:
            print(format_check(result, coefficients=not args.no_coefficients))
    sys.stdout.flush()
    return 0 if result.passed else 1
