"""The ``simval`` console script: argument parsing and exit codes only.

Exit codes: 0 success and every gate passed; 1 a gate failed; 2 usage or input
error (one plain sentence, no traceback); 3 internal error.

Nothing heavy is imported here: each subcommand's module is imported only
when that subcommand runs, so ``simval --help`` never loads pandas or
statsmodels.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from validator._version import __version__

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

DESCRIPTION = """\
simval tells you whether data simulated by a language model can stand in for
human survey or experiment data. It fits the study's regression models on the
human data and on each simulated dataset and reports sign-aware coefficient
recovery (TP/FP/FN/sign flips, FPR, FNR, F1(Sign)), distributional alignment
(Jensen-Shannon distance, overall and by subgroup), heterogeneity (unique
response structures) and belief-action coherence (the value-action gap), each
with bootstrap intervals and the human noise floor.

  simval demo                                  write the synthetic demo data and check it
  simval check human.csv sim.csv               check a simulation (spec: hunt2025)
  simval check human.csv sim.csv --report out  also write HTML and PDF validation reports
  simval check human.csv sim.csv --gates g.yaml  exit 1 when a gate fails (for CI)
  simval gates suggest human.csv -o g.yaml     thresholds from the human data's own noise
  simval simulate --dry-run                    show the simulation prompts
  simval spec list                             the bundled study specs
"""

EPILOG = """\
exit codes: 0 every verdict passed (or is inconclusive), 1 a verdict failed,
            2 usage or input error, 3 internal error
"""


class _Parser(argparse.ArgumentParser):
    """argparse that exits with code 2 and one plain sentence on a usage error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"simval: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def _add_check(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "check",
        help="validate simulated datasets against a human dataset",
        description="Fit every model of the spec on the human data and on each simulated "
        "dataset and compare them: coefficient recovery (sign-aware), distributional alignment "
        "(Jensen-Shannon distance overall and by subgroup), heterogeneity (unique response "
        "structures at equal n) and belief-action coherence (the value-action gap), with "
        "bootstrap intervals and human noise floors. Prints a verdict per simulated dataset "
        "(pass, fail or inconclusive per construct and overall) from the spec's gates, or "
        "without gates from default rules calibrated on the human data's own noise.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("human", help="the human (reference) data file, or - for standard input")
    p.add_argument("sims", nargs="+", metavar="sim", help="one or more simulated data files")
    # default None, not "hunt2025": check_cmd must know whether the default was used, to say so on an input error.
    p.add_argument("--spec", default=None, help="bundled spec name or path to a YAML spec (default: hunt2025)")
    p.add_argument("--json", metavar="PATH", help="write all results as JSON to PATH (- for standard output)")
    p.add_argument("--seed", type=int, default=0, help="random seed for everything random (default: 0)")
    p.add_argument("--alpha", type=float, default=None, help="significance level (default: the spec's alpha)")
    p.add_argument(
        "--bootstrap",
        type=int,
        default=None,
        metavar="B",
        help="bootstrap replicates for intervals and noise floors (default: the spec's, 1000; 0 switches them off)",
    )
    p.add_argument("--strict", action="store_true", help="a row that breaks a rule is an error (exit 2) instead of being set aside; so is a spec without models")
    p.add_argument("--quiet", action="store_true", help="print only the verdicts")
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="-v adds every construct's table and the gates; -vv every coefficient, subgroup and set-aside row",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress line on stderr (default: only when stderr is a terminal)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help='run the per-dataset work on a Dask cluster: a scheduler address (tcp://host:8786), or local:N for N local '
        'worker processes; same results as without it (needs pip install "simval[dask]")',
    )
    p.add_argument("--gates", metavar="PATH", help="a gates YAML file (replaces the spec's gates and the default rules)")
    p.add_argument(
        "--fail-on",
        choices=["error", "warning", "inconclusive"],
        default="error",
        help="what makes the exit code 1 besides a failing verdict (default: error gates; "
        "warning: warning gates too; inconclusive: an inconclusive verdict too)",
    )
    p.add_argument("--junit", metavar="PATH", help="write JUnit XML (one testcase per gate per simulated dataset)")
    p.add_argument(
        "--provenance",
        action="store_true",
        help="add a provenance block to the JSON (absolute paths, timestamp, command line, versions)",
    )
    p.add_argument("--no-coefficients", action="store_true", help="leave out the per-coefficient table")
    p.add_argument(
        "--exclude-rows",
        metavar="MANIFEST",
        default=None,
        help="set aside the human rows listed in a 'simval finetune prepare' manifest (the training rows)",
    )
    from validator.cli.report_options import add_report_options

    add_report_options(p)
    p.set_defaults(handler="validator.cli.check_cmd:run")


def _add_recovery(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "recovery",
        help="coefficient recovery from two coefficient tables (e.g. fitted in R or Stata)",
        description="Compare two CSV coefficient tables with columns model, term, estimate and "
        "std_error and/or p_value (a missing p-value comes from the normal approximation).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("human_coefs", help="CSV of the human (reference) coefficients")
    p.add_argument("sim_coefs", help="CSV of the simulated coefficients")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (default: 0.05)")
    p.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH (- for standard output)")
    p.set_defaults(handler="validator.cli.recovery_cmd:run")


def _add_spec(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("spec", help="list, show, validate or start a study spec", description="Work with study specs.")
    specsub = p.add_subparsers(dest="spec_command", metavar="COMMAND", parser_class=_Parser)
    specsub.required = True
    ls = specsub.add_parser("list", help="the bundled specs")
    ls.set_defaults(handler="validator.cli.spec_cmd:run_list")
    show = specsub.add_parser("show", help="print a bundled spec (or a spec file)")
    show.add_argument("name", help="bundled spec name or path")
    show.set_defaults(handler="validator.cli.spec_cmd:run_show")
    val = specsub.add_parser("validate", help="check a spec file and summarise it")
    val.add_argument("file", help="path to a YAML spec")
    val.set_defaults(handler="validator.cli.spec_cmd:run_validate")
    init = specsub.add_parser("init", help="write a commented starter spec inferred from data files")
    init.add_argument("data", nargs="+", help="the data files (human and simulated) whose columns the spec should describe")
    init.add_argument("--out", "-o", metavar="PATH", help="where to write the spec (default: standard output)")
    init.add_argument("--name", help="the spec's name (default: from the data file's name)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(handler="validator.cli.spec_cmd:run_init")


def _add_gates(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "gates",
        help="list gateable metric paths, or suggest thresholds from human data",
        description="Gates are thresholds on metric paths of the results; see README 'Gating simulated data in CI'.",
    )
    gsub = p.add_subparsers(dest="gates_command", metavar="COMMAND", parser_class=_Parser)
    gsub.required = True
    ls = gsub.add_parser("list", help="every gateable metric path with its meaning")
    ls.add_argument("--spec", default="hunt2025", help="bundled spec name or path (default: hunt2025)")
    ls.set_defaults(handler="validator.cli.gates_cmd:run_list")
    sg = gsub.add_parser(
        "suggest",
        help="propose thresholds that a fresh human sample of the same size passes jointly with probability --level (95%%)",
        description="Draw pairs of independent samples from the human data (random halves for distances and the "
        "value-action gap, rescaled to the real sizes; bootstrap samples for recovery and unique structures), run "
        "every metric on each pair, and propose thresholds that 95% of the pairs pass jointly (--level sets the share).",
    )
    sg.add_argument("human", help="the human data file")
    sg.add_argument("--spec", default="hunt2025", help="bundled spec name or path (default: hunt2025)")
    sg.add_argument("--out", "-o", metavar="PATH", help="write the gates YAML here (default: standard output)")
    sg.add_argument("--draws", type=int, default=400, help="calibration pairs (default: 400)")
    sg.add_argument("--sim-n", type=int, default=None, help="size of the simulated datasets to expect (default: the human n)")
    sg.add_argument("--level", type=float, default=0.95, help="joint pass probability for a fresh human sample (default: 0.95)")
    sg.add_argument("--seed", type=int, default=0)
    sg.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    sg.set_defaults(handler="validator.cli.gates_cmd:run_suggest")


def _add_demo(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "demo",
        help="write the synthetic demo data and run the check on it",
        description="Write the seeded synthetic stand-in for the reference study's human data and "
        "three simulated stand-ins (all labelled synthetic) to DIR, then run simval check on them.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("directory", nargs="?", default="simval-demo", help="where to write the data (default: ./simval-demo)")
    p.add_argument("--seed", type=int, default=None, help="the generator's seed (default: the documented demo seed)")
    p.add_argument("--no-check", action="store_true", help="only write the data")
    p.set_defaults(handler="validator.cli.demo_cmd:run")


def _add_simulate(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "simulate",
        help="simulate the study's participants with an OpenAI-compatible chat model",
        description="Ask a chat model to answer as each persona of a human data file, using the spec's "
        "simulation section; every response is journaled next to the output and a rerun resumes. "
        "The API key is read from OPENAI_API_KEY (or --api-key-env NAME), never from the command line.",
        epilog="exit codes: 0 every participant answered or recorded as failed, 1 stopped early "
        "(the budget ran out; rerun to resume), 2 usage, input or server refusal, 3 internal error",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--spec", default="hunt2025", help="bundled spec name or path to a YAML spec with a simulation section (default: hunt2025)")
    p.add_argument("--personas", metavar="PATH", help="the human data file whose rows give the personas (and, per_row, the cells)")
    p.add_argument("--out", metavar="PATH", help="where to write the simulated dataset (CSV)")
    p.add_argument("--model", "-m", help="the chat model name, e.g. gpt-4.1 or what your server serves")
    p.add_argument("--base-url", metavar="URL", default=None, help="an OpenAI-compatible server (vLLM, llama.cpp, Ollama, Azure); default: OpenAI or OPENAI_BASE_URL")
    p.add_argument("--api-key-env", metavar="NAME", default=None, help="read the API key from this environment variable (default: OPENAI_API_KEY)")
    p.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (default: 1.0, as in the reference study)")
    p.add_argument("--max-tokens", type=int, default=None, metavar="N", help="longest reply per turn (default: the spec's, else 512)")
    p.add_argument("--n", type=int, default=None, metavar="N", help="simulate only the first N participants of the assignment")
    p.add_argument("--assignment", choices=["per_row", "per_cell"], default=None, help="per_row: one participant per persona row in its own cell; per_cell: --per-cell N in every cell (default: the spec's)")
    p.add_argument("--per-cell", type=int, default=None, metavar="N", help="participants per cell with --assignment per_cell")
    p.add_argument("--seed", type=int, default=0, help="seed of the persona draw for per_cell assignment (default: 0)")
    p.add_argument("--concurrency", "-j", type=int, default=8, metavar="N", help="requests in flight at once (default: 8)")
    p.add_argument("--max-requests", type=int, default=None, metavar="N", help="stop cleanly after N requests in this run (retries count)")
    p.add_argument("--max-cost", type=float, default=None, metavar="USD", help="stop cleanly before this run could spend more than USD (needs --price-in and --price-out)")
    p.add_argument("--price-in", type=float, default=None, metavar="USD", help="the model's price per million prompt tokens")
    p.add_argument("--price-out", type=float, default=None, metavar="USD", help="the model's price per million completion tokens")
    p.add_argument("--timeout", type=float, default=120.0, metavar="S", help="seconds to wait for one reply before retrying (default: 120)")
    p.add_argument("--max-attempts", type=int, default=6, metavar="N", help="tries per request on rate limits, server errors and timeouts (default: 6)")
    p.add_argument("--parse-attempts", type=int, default=3, metavar="N", help="tries per turn when the reply cannot be parsed (default: 3)")
    p.add_argument("--backoff", type=float, default=1.0, metavar="S", help="base of the exponential backoff in seconds (default: 1)")
    p.add_argument("--journal", metavar="PATH", default=None, help="the JSONL journal (default: OUT.journal.jsonl)")
    p.add_argument("--retry-failed", action="store_true", help="ask again the participants the journal records as failed")
    p.add_argument("--dry-run", action="store_true", help="print the prompts of the first participants and the number of requests; send nothing")
    p.add_argument("--show", type=int, default=2, metavar="N", help="participants whose prompts --dry-run prints (default: 2)")
    p.add_argument("--progress", choices=["auto", "bar", "lines", "none"], default="auto", help="progress display (default: a bar on a terminal, lines otherwise)")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(handler="validator.cli.simulate_cmd:run")


def _add_finetune(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("finetune", help="build finetuning data from human rows, or submit a finetuning job", description="Finetuning data for the reference study's sampling strategies.")
    ftsub = p.add_subparsers(dest="finetune_command", metavar="COMMAND", parser_class=_Parser)
    ftsub.required = True
    prep = ftsub.add_parser(
        "prepare",
        help="write chat-format JSONL training data and a manifest of the human rows used",
        description="Sample human rows (random, or balanced round-robin over --balance-by) from the first "
        "--cells treatment cells, --fraction of each cell, and write them as chat conversations with the "
        "spec's simulation prompts. The manifest lets 'simval check --exclude-rows' keep them out of the test.",
    )
    prep.add_argument("human", help="the human data file")
    prep.add_argument("--out", "-o", required=True, metavar="PATH", help="the training file (JSONL)")
    prep.add_argument("--spec", default="hunt2025", help="bundled spec name or path (default: hunt2025)")
    prep.add_argument("--strategy", choices=["random", "balanced"], default="random", help="random: a simple random sample per cell; balanced: round-robin over --balance-by (default: random)")
    prep.add_argument("--cells", type=int, default=8, metavar="K", help="use the first K treatment cells in the spec's order: 1, 4 or 8 in the paper (default: 8)")
    prep.add_argument("--fraction", type=float, default=0.25, help="share of each included cell's rows to draw (default: 0.25)")
    prep.add_argument("--drop", action="append", default=[], metavar="WHAT", help="leave demographics (the persona), or a drop group of the spec (hunt2025: beliefs, decision), out of the examples; repeatable")
    prep.add_argument("--balance-by", default=None, metavar="COLUMN", help="the column balanced sampling takes turns over (default: the spec's, ethnicity)")
    prep.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    prep.add_argument("--manifest", metavar="PATH", default=None, help="where to write the manifest (default: OUT with .manifest.json)")
    prep.add_argument("--force", action="store_true", help="overwrite existing files")
    prep.set_defaults(handler="validator.cli.finetune_cmd:run_prepare")
    sub_ = ftsub.add_parser(
        "submit",
        help="upload a training file and start a finetuning job; prints the job id",
        description="Upload the JSONL file (purpose fine-tune) and create a finetuning job through the openai "
        "client. The API key is read from OPENAI_API_KEY (or --api-key-env NAME).",
    )
    sub_.add_argument("training", help="the training file written by 'simval finetune prepare'")
    sub_.add_argument("--model", "-m", required=True, help="the base model to finetune")
    sub_.add_argument("--base-url", metavar="URL", default=None, help="an OpenAI-compatible server (default: OpenAI or OPENAI_BASE_URL)")
    sub_.add_argument("--api-key-env", metavar="NAME", default=None, help="read the API key from this environment variable (default: OPENAI_API_KEY)")
    sub_.add_argument("--validation", metavar="PATH", default=None, help="a validation file to upload with it")
    sub_.add_argument("--suffix", default=None, help="a suffix for the finetuned model's name")
    sub_.add_argument("--epochs", type=int, default=None, metavar="N", help="number of training epochs (default: the service's)")
    sub_.add_argument("--seed", type=int, default=None, help="the job's seed")
    sub_.set_defaults(handler="validator.cli.finetune_cmd:run_submit")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="simval",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"simval {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    _add_check(sub)
    _add_recovery(sub)
    _add_spec(sub)
    _add_gates(sub)
    _add_demo(sub)
    _add_simulate(sub)
    _add_finetune(sub)
    from validator.cli import infer_cmd, plan_cmd  # light modules: heavy imports happen in run()

    infer_cmd.add_parser(sub)
    plan_cmd.add_parser(sub)
    return parser


BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def _handler(path: str):  # type: ignore[no-untyped-def]
    module_name, _, func = path.partition(":")
    return getattr(importlib.import_module(module_name), func)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from validator.errors import SimvalError

    # Before numpy loads: simval runs its own work in threads, and threaded BLAS on
    # top of them only contends (validator/models/blas.py). A user's setting wins.
    for variable in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")
    try:
        return int(_handler(args.handler)(args) or 0)
    except SimvalError as exc:
        from validator.present.escape import terminal_block

        # A message quotes file names and values from the data: escape and shorten them.
        sys.stderr.write(f"simval: error: {terminal_block(str(exc))}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("simval: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the last line of defence: exit 3, not a traceback
        if os.environ.get("SIMVAL_DEBUG"):
            raise
        from validator.present.escape import terminal_block

        sys.stderr.write(
            f"simval: internal error: {type(exc).__name__}: {terminal_block(str(exc))}\n"
            "This is a bug in simval; set SIMVAL_DEBUG=1 to see the traceback and please report it.\n"
        )
        return EXIT_INTERNAL


def entry() -> None:
    try:
        code = main()
    except KeyboardInterrupt:  # Ctrl-C before main() reached its own handler (while importing)
        sys.stderr.write("simval: interrupted\n")
        code = 130
    if code == 130:
        # Worker threads (model fits, bootstraps, rendering) cannot be interrupted, and
        # the interpreter would wait for each at exit (49 s in one check). Every output
        # is written atomically, so nothing is lost by not waiting for them.
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(130)
    sys.exit(code)


if __name__ == "__main__":
    entry()
