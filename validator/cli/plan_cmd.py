"""``simval plan``: the cheapest numbers of humans and simulations for a target SE or power."""

from __future__ import annotations

import argparse

from validator.cli.output import write_text
from validator.errors import UsageError


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``simval plan`` (called from :mod:`validator.cli.main`)."""
    p = sub.add_parser(
        "plan",
        help="cost-optimal numbers of human respondents and simulations (mixed subjects design)",
        description="From a pilot's PPI correlation and the per-respondent costs, find the cheapest "
        "(humans, simulations) that reach a target standard error, or a power to detect an effect, "
        "and the human-only sample size for the same target (Broska, Howes and van Loon 2025).",
    )
    p.add_argument("--rho", type=float, required=True, help="PPI correlation, e.g. from 'simval infer --pilot'")
    p.add_argument("--cost-human", type=float, required=True, metavar="C", help="cost of one human respondent")
    p.add_argument("--cost-sim", type=float, required=True, metavar="C", help="cost of one simulated respondent")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--target-se", type=float, metavar="S", help="the standard error to reach")
    target.add_argument("--power", type=float, metavar="P", help="the power to reach (with --effect)")
    p.add_argument("--effect", type=float, default=None, metavar="E", help="the effect to detect, in the units of --sd")
    p.add_argument("--sd", type=float, default=1.0, help="per-respondent SD of the estimate: SE x sqrt(n) of a human-only fit (default: 1)")
    p.add_argument("--alpha", type=float, default=0.05, help="level of the two-sided test (default: 0.05)")
    p.add_argument("--max-sim", type=int, default=None, metavar="N", help="at most N extra simulations")
    p.add_argument("--json", metavar="PATH", help="write the plan as JSON to PATH (- for standard output)")
    p.set_defaults(handler="validator.cli.plan_cmd:run")


def run(args: argparse.Namespace) -> int:
    from validator.inference.planning import plan, target_se_for_power
    from validator.inference.terminal import format_plan
    from validator.jsonable import dumps

    if not 0.0 < args.alpha < 1.0:
        raise UsageError(f"--alpha must lie strictly between 0 and 1, got {args.alpha:g}")
    if args.power is not None:
        if args.effect is None:
            raise UsageError("--power needs --effect, the effect to detect")
        if not 0.0 < args.power < 1.0:
            raise UsageError(f"--power must lie strictly between 0 and 1, got {args.power:g}")
        if args.effect == 0:
            raise UsageError("--effect must not be 0")
        target = target_se_for_power(args.power, args.effect, args.alpha)
    else:
        target = args.target_se
    result = plan(
        rho=args.rho, cost_human=args.cost_human, cost_sim=args.cost_sim, target_se=target, sigma=args.sd,
        effect=args.effect, alpha=args.alpha, max_sim=args.max_sim,
    )
    if args.json:
        write_text(args.json, dumps(result.to_dict()))
    if args.json != "-":
        print(format_plan(result))
    return 0
