"""``simval finetune prepare`` and ``simval finetune submit``: arguments to :mod:`validator.finetune`, results to the terminal."""

from __future__ import annotations

import argparse
import sys


def run_prepare(args: argparse.Namespace) -> int:
    from validator.finetune.prepare import prepare

    result = prepare(
        args.human,
        args.out,
        spec=args.spec,
        strategy=args.strategy,
        cells=args.cells,
        fraction=args.fraction,
        drop=args.drop,
        balance_by=args.balance_by,
        seed=args.seed,
        manifest=args.manifest,
        force=args.force,
    )
    cells = ", ".join(f"{name} {drawn}/{available}" for name, available, drawn in result.per_cell)
    print(f"drew {len(result.rows)} of {result.n_eligible} usable human rows ({args.strategy}, seed {args.seed}): {cells}")
    if result.per_group:
        print("by group: " + ", ".join(f"{group} {count}" for group, count in result.per_group))
    if args.drop:
        print(f"left out of the examples: {', '.join(dict.fromkeys(args.drop))}")
    print(f"wrote {len(result.rows)} conversations to {result.training}")
    print(f"wrote the manifest to {result.manifest}; use 'simval check --exclude-rows {result.manifest}' to keep these rows out of the test")
    return 0


def run_submit(args: argparse.Namespace) -> int:
    from validator.finetune.submit import submit

    result = submit(
        args.training,
        model=args.model,
        base_url=args.base_url,
        api_key_env=args.api_key_env,
        validation=args.validation,
        suffix=args.suffix,
        epochs=args.epochs,
        seed=args.seed,
    )
    sys.stderr.write(
        f"uploaded {args.training} ({result.examples} conversations) as {result.training_file_id}; "
        f"finetuning job {result.job_id} for {args.model}: {result.status or 'created'}\n"
    )
    # The job id alone on standard output, so that scripts can capture it.
    print(result.job_id)
    return 0
