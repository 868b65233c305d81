"""``simval infer HUMAN SIM --key COL``: rectified estimates, effective sample size, pilot check."""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import TYPE_CHECKING

from validator.errors import UsageError

if TYPE_CHECKING:
    from validator.io.ingest import Dataset

# pandas, numpy and statsmodels are imported in run(): `simval --help` builds this parser.


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``simval infer`` (called from :mod:`validator.cli.main`)."""
    p = sub.add_parser(
        "infer",
        help="how many human respondents a simulation is worth (PPI++ with pairs)",
        description="Pair simulated rows with the human rows whose personas they were built from, rectify "
        "every model's coefficients with the unlabeled simulations (PPI++), and report the effective "
        "sample size. With --pilot, keep a random share of the humans and check the rectified pilot "
        "against the full human study.",
    )
    p.add_argument("human", help="the human data file")
    p.add_argument("sim", help="the simulated data file (its rows carry the persona key)")
    p.add_argument("--key", default=None, help="the column linking a simulated row to its human row (default: the spec's inference.key)")
    p.add_argument("--spec", default="hunt2025", help="bundled spec name or path (default: hunt2025)")
    p.add_argument("--unlabeled", nargs="+", default=[], metavar="FILE", help="further simulated files without human partners")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--pilot", type=float, default=None, metavar="F", help="keep a random share F of the humans as the labeled pilot")
    group.add_argument("--pilot-cells", type=int, default=None, metavar="K", help="pilot from the first K treatment cells (with --fraction)")
    p.add_argument("--fraction", type=float, default=0.25, help="share of each cell with --pilot-cells (default: 0.25)")
    p.add_argument("--bootstrap", type=int, default=None, metavar="B", help="bootstrap replicates (default: the spec's; 0 switches intervals off)")
    p.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH (- for standard output)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--strict", action="store_true", help="a row that breaks a rule is an error instead of being set aside")
    p.set_defaults(handler="validator.cli.infer_cmd:run")


def _with_unlabeled(sim: Dataset, extras: list[Dataset], key: str) -> Dataset:
    """``sim`` with the rows of ``extras`` appended under keys that cannot match a human."""
    if not extras:
        return sim
    import pandas as pd

    from validator.inference.pairing import key_text

    frames = [sim.frame.reset_index(drop=True)]
    for i, extra in enumerate(extras):
        frame = extra.frame.reset_index(drop=True).copy()
        keys = key_text(extra, key)
        frame[key] = [None if k is None else f"unlabeled-file-{i + 1}:{k}" for k in keys]
        frames.append(frame)

    combined = pd.concat(frames, ignore_index=True)
    combined.index = pd.RangeIndex(1, len(combined) + 1)
    return replace(sim, frame=combined)


def run(args: argparse.Namespace) -> int:
    from validator.api import read_dataset
    from validator.checks.context import CheckContext
    from validator.cli.output import write_text  # not at module level: `simval --help` builds this parser
    from validator.inference.compute import compute_inference
    from validator.inference.section import default_section
    from validator.inference.terminal import format_inference, format_pilot
    from validator.jsonable import dumps
    from validator.spec.load import load_spec

    spec = load_spec(args.spec)
    section = spec.inference
    if section is None:
        if args.key is None:
            raise UsageError("name the key column that pairs simulated rows with human rows: --key COLUMN")
        section = default_section(spec, args.key)
    elif args.key is not None:
        section = replace(section, key=args.key)
    if args.pilot is not None and args.unlabeled:
        raise UsageError("--pilot uses the paired personas only; leave out --unlabeled")
    replicates = spec.uncertainty.bootstrap if args.bootstrap is None else args.bootstrap
    if replicates < 0:
        raise UsageError(f"--bootstrap must be 0 or more, got {replicates}")

    context = CheckContext(seed=args.seed, replicates=replicates, level=spec.uncertainty.level)
    human = read_dataset(args.human, spec, strict=args.strict)
    sim = read_dataset(args.sim, spec, strict=args.strict)
    sim = _with_unlabeled(sim, [read_dataset(f, spec, strict=args.strict) for f in args.unlabeled], section.key)
    document: dict[str, object] = {"human": args.human, "simulation": args.sim, "unlabeled": list(args.unlabeled)}
    if args.pilot is not None or args.pilot_cells is not None:
        from validator.inference.pilot import run_pilot

        fraction = args.pilot if args.pilot is not None else args.fraction
        pilot = run_pilot(human, sim, section, spec, context, fraction=fraction, cells=args.pilot_cells)
        document["pilot"] = pilot.to_dict()
        text = format_pilot(pilot)
    else:
        result = compute_inference(human, sim, section, context)
        document["inference"] = result.to_dict()
        text = format_inference(result)
    if args.json:
        write_text(args.json, dumps(document))
    if args.json != "-":
        import textwrap

        print(textwrap.fill(f"simval infer: {args.sim} against {args.human} (spec {spec.name}, seed {args.seed})", width=100))
        print(text)
    return 0
