"""``simval check``: wire the arguments to :func:`validator.check` and print the results."""

from __future__ import annotations

import argparse
import json
import os
import sys

from validator.api import check
from validator.cli.output import check_inputs, guard_outputs, write_text
from validator.errors import InputError, UsageError
from validator.present.terminal import format_check, quiet_lines

#: The spec ``simval check`` uses without ``--spec``.
DEFAULT_SPEC = "hunt2025"


def with_default_spec_hint(error: InputError) -> InputError:
    """``error`` with a note that the default spec was used: a file of another study fails on the reference study's columns."""
    error.args = (f"{error.args[0]} (using the default spec {DEFAULT_SPEC}; pass --spec)", *error.args[1:])
    return error


def run(args: argparse.Namespace) -> int:
    human = args.human
    if human == "-" and "-" in args.sims:
        raise UsageError("only one dataset can come from standard input")
    from validator.cli.report_options import check_report_args, write_reports

    report_formats = check_report_args(args)
    guard = guard_outputs(check_inputs(args), [(args.json, "--json"), (args.junit, "--junit"), (args.report, "--report")])
    excluded: tuple[int, ...] = ()
    if getattr(args, "exclude_rows", None):
        from validator.finetune.manifest import manifest_rows_for

        excluded = manifest_rows_for(args.exclude_rows, human)
    progress = None
    if args.progress or (args.progress is None and sys.stderr.isatty()):
        from validator.present.progress import CheckProgress

        progress = CheckProgress(live=sys.stderr.isatty())
    try:
        result = check(
            human,
            args.sims,
            spec=args.spec or DEFAULT_SPEC,
            seed=args.seed,
            strict=args.strict,
            alpha=args.alpha,
            bootstrap=args.bootstrap,
            gates=args.gates,
            fail_on=args.fail_on,
            exclude_human_rows=excluded,
            progress=progress,
        )
    except InputError as exc:
        # Only errors about the data's columns or values: an unreadable or missing file is not the spec's fault.
        if args.spec is None and exc.column is not None:
            raise with_default_spec_hint(exc) from None
        raise
    finally:
        if progress is not None:
            progress.close()
    if args.json:
        text = result.to_json()
        if args.provenance:
            from validator.jsonable import dumps
            from validator.provenance import provenance

            document = json.loads(text)
            document["provenance"] = provenance([human, *args.sims])
            text = dumps(document)
        write_text(args.json, text, what="the --json output")
    if args.junit:
        from validator.gates.junit import junit_xml

        write_text(args.junit, junit_xml(result.simulations, fail_on=args.fail_on), what="the --junit output")
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        from validator.gates.summary import markdown_summary

        try:
            with open(summary_path, "a", encoding="utf-8") as handle:
                handle.write(markdown_summary(result.simulations))
        except OSError as exc:
            raise UsageError(f"cannot append to GITHUB_STEP_SUMMARY '{summary_path}': {exc.strerror}") from None
    if args.json != "-":
        if args.quiet:
            print(quiet_lines(result))
        else:
            print(format_check(result, detail=min(2, args.verbose), coefficients=not args.no_coefficients))
    sys.stdout.flush()
    if report_formats:
        write_reports(args, result, report_formats, guard)
    return 0 if result.passed else 1
