"""``simval simulate``: wire the arguments to :func:`validator.simulate.simulate` (or ``dry_run``) and print the summary."""

from __future__ import annotations

import argparse
import sys

from validator.errors import UsageError

#: Not every participant answered: stopped by the budget (rerun to resume) or some recorded as failed.
EXIT_INCOMPLETE = 1


def run(args: argparse.Namespace) -> int:
    from validator.simulate.retry import RetryPolicy
    from validator.simulate.session import dry_run, format_report, journal_path_for, simulate

    if args.dry_run:
        sys.stdout.write(
            dry_run(
                args.spec,
                args.personas,
                args.out,
                n=args.n,
                seed=args.seed,
                assignment=args.assignment,
                per_cell=args.per_cell,
                show=args.show,
                max_tokens=args.max_tokens,
                price_in=args.price_in,
                price_out=args.price_out,
                journal=args.journal,
                retry_failed=args.retry_failed,
            )
        )
        return 0
    missing = [flag for flag, value in (("--personas", args.personas), ("--out", args.out), ("--model", args.model)) if not value]
    if missing:
        raise UsageError(f"simval simulate needs {', '.join(missing)} (or --dry-run to only show the prompts)")
    policy = RetryPolicy(max_attempts=args.max_attempts, parse_attempts=args.parse_attempts, base=args.backoff)
    try:
        report = simulate(
            args.spec,
            args.personas,
            args.out,
            model=args.model,
            base_url=args.base_url,
            api_key_env=args.api_key_env,
            temperature=args.temperature,
            max_tokens=args.max_tokens,
            n=args.n,
            seed=args.seed,
            assignment=args.assignment,
            per_cell=args.per_cell,
            concurrency=args.concurrency,
            max_requests=args.max_requests,
            max_cost=args.max_cost,
            price_in=args.price_in,
            price_out=args.price_out,
            timeout=args.timeout,
            policy=policy,
            journal=args.journal,
            retry_failed=args.retry_failed,
            progress="none" if args.quiet else args.progress,
        )
    except KeyboardInterrupt:
        journal = args.journal or journal_path_for(args.out)
        sys.stderr.write(
            f"\nsimval: interrupted; every answer received is in the journal {journal}; "
            "rerun the same command to resume\n"
        )
        return 130
    print(format_report(report))
    return 0 if report.complete and not report.failed else EXIT_INCOMPLETE
