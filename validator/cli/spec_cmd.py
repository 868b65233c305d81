"""``simval spec list | show | validate | init``."""

from __future__ import annotations

import argparse
from pathlib import Path

from tabulate import tabulate

from validator.cli.output import guard_outputs, write_text
from validator.errors import UsageError
from validator.spec.bundled import bundled_spec_names
from validator.spec.load import load_spec, resolve_spec_path


def run_list(args: argparse.Namespace) -> int:
    rows = []
    for name in bundled_spec_names():
        spec = load_spec(name)
        rows.append([name, len(spec.models), sum(1 for _ in spec.columns), spec.title])
    print(tabulate(rows, headers=["name", "models", "columns", "title"], tablefmt="simple"))
    return 0


def run_show(args: argparse.Namespace) -> int:
    path = resolve_spec_path(args.name)
    print(path.read_text(encoding="utf-8"), end="")
    return 0


def run_validate(args: argparse.Namespace) -> int:
    spec = load_spec(Path(args.file))
    print(f"{args.file}: valid simval spec '{spec.name}' ({spec.title})")
    print(f"  {len(spec.columns)} columns, {len(spec.constraints)} constraints, {len(spec.derived)} derived variables, {len(spec.models)} models")
    if spec.models:
        rows = [[m.id, m.family, m.formula, m.subset or "all rows", m.cov_type] for m in spec.models]
        print(tabulate(rows, headers=["id", "family", "formula", "rows", "cov"], tablefmt="simple"))
    return 0


def run_init(args: argparse.Namespace) -> int:
    from validator.io.readers import read_table
    from validator.spec.starter import starter_spec

    files = [args.data] if isinstance(args.data, str) else list(args.data)
    guard_outputs(files, [(args.out, "--out")])
    tables = [read_table(path) for path in files]
    default_name = "".join(ch if ch.isalnum() else "_" for ch in Path(files[0]).stem).strip("_") or "study"
    if default_name[0].isdigit():
        default_name = f"study_{default_name}"
    text = starter_spec(tables, args.name or default_name)
    if args.out and args.out != "-":
        if Path(args.out).exists() and not args.force:
            raise UsageError(f"'{args.out}' exists already; pass --force to overwrite it")
        write_text(args.out, text, what="the spec")
        n_columns = len({str(c) for table in tables for c in table.frame.columns})
        print(f"wrote {args.out}: a starter spec with {n_columns} columns; edit it, then run: simval spec validate {args.out}")
    else:
        print(text, end="")
    return 0
