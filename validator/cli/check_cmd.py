"""``simval check``: wire the arguments to :func:`validator.check` and print the results."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING

from validator.api import check
from validator.cli.output import check_inputs, guard_outputs, write_text
from validator.errors import InputError, UsageError
from validator.present.escape import terminal_block
from validator.present.terminal import closing_lines, format_check, header_lines, quiet_lines, run_section, verdict_lines, verdict_summary
from validator.present.text import terminal_width

if TYPE_CHECKING:
    from validator.present.progress import CheckProgress
    from validator.results import CheckResult

#: The spec ``simval check`` uses without ``--spec``.
DEFAULT_SPEC = "hunt2025"


def with_default_spec_hint(error: InputError) -> InputError:
    """``error`` with a note that the default spec was used: a file of another study fails on the reference study's columns."""
    error.args = (f"{error.args[0]} (using the default spec {DEFAULT_SPEC}; pass --spec)", *error.args[1:])
    return error


class StreamedOutput:
    """The output of ``simval check`` printed as the run goes: each simulated dataset's part as soon as it
    and every one before it are done (``validator.check``'s ``on_dataset``), the rest at the end.

    ``--quiet``: one verdict line per dataset, the same lines as at the end, so it streams wherever
    stdout goes. Otherwise only on a terminal, and only for more than one dataset: the header (spec,
    settings, human data), then per dataset its verdict lines and its section, then the leaderboard.
    Elsewhere (a file, a pipe) the output is the verdicts-first text of :func:`format_check`, unchanged.
    """

    def __init__(self, args: argparse.Namespace, progress: CheckProgress | None) -> None:
        self.quiet = bool(args.quiet)
        self.detail = min(2, args.verbose)
        self.coefficients = not args.no_coefficients
        self.progress = progress
        self.shown = 0
        self.width = terminal_width()

    @staticmethod
    def wanted(args: argparse.Namespace) -> bool:
        if args.json == "-":
            return False
        return bool(args.quiet) or (len(args.sims) > 1 and sys.stdout.isatty())

    def _print(self, lines: list[str]) -> None:
        if self.progress is not None:
            self.progress.close()  # the live progress line shares the terminal: clear it first
        # terminal_block escapes line by line: the streamed lines are the ones the whole block would hold.
        print(terminal_block("\n".join(lines)), flush=True)

    def __call__(self, so_far: CheckResult) -> None:
        new = so_far.simulations[self.shown :]
        if not new:
            return
        if self.quiet:
            lines = [verdict_summary(sim) for sim in new]
        else:
            lines = header_lines(so_far, self.detail, self.width) if self.shown == 0 else []
            for sim in new:
                lines.extend(["", *verdict_lines(sim, self.width), *run_section(so_far, sim, self.detail, self.width, self.coefficients)])
        self.shown = len(so_far.simulations)
        self._print(lines)

    def finish(self, result: CheckResult) -> None:
        """What is left once the run is done: any dataset not yet shown, then (not quiet) the leaderboard."""
        self(result)
        if not self.quiet:
            self._print(closing_lines(result, self.detail, self.width))


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
    streamed = StreamedOutput(args, progress) if StreamedOutput.wanted(args) else None
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
            scheduler=args.scheduler,
            on_dataset=streamed,
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
    if streamed is not None:
        streamed.finish(result)
    elif args.json != "-":
        # terminal_block: whatever data-derived text the tables hold prints as text, never as escapes.
        if args.quiet:
            print(terminal_block(quiet_lines(result)))
        else:
            print(terminal_block(format_check(result, detail=min(2, args.verbose), coefficients=not args.no_coefficients)))
    sys.stdout.flush()
    if report_formats:
        write_reports(args, result, report_formats, guard)
    return 0 if result.passed else 1
