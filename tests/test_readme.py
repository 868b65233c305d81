"""Every command of the README's fenced ``sh`` blocks runs, as written, against the demo data.

Each command line is one test case, run by ``bash`` in a fresh temporary directory
that holds the files the README's examples name (``human.csv``, ``sim.csv``,
``gates.yaml`` ...), made from the synthetic demo data and the repository's examples,
and a link to the repository's ``examples/``. A file the command itself writes
(``-o``/``--out``) is not put there beforehand, so that the command meets the
directory a reader would have. ``simval`` is this checkout's.

Skipped, and the skip says why: commands that install packages (``pip install``, which
needs the network and changes the environment running the tests) and commands that talk
to a model provider over the network (``simval simulate`` without ``--dry-run``,
``simval finetune submit``). Everything else must exit 0, or 0 or 1 where the command
gates (exit 1 is the documented "a gate failed"). The command tests are marked slow
(together several minutes of CPU); ``-m "not slow"`` leaves them out.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = (REPO / "README.md", REPO / "examples" / "gss2024" / "README.md", REPO / "examples" / "likert" / "README.md")

# (pattern, reason): a command matching the pattern is skipped with the reason.
SKIPPED = (
    (re.compile(r"\bpip install\b"), "installs packages: needs the network and would change the test environment"),
    (re.compile(r"\bsimval simulate\b(?!.*--dry-run)"), "sends requests to a chat-model provider over the network"),
    (re.compile(r"\bsimval finetune submit\b"), "submits a finetuning job to a provider over the network"),
)


@dataclass(frozen=True)
class Command:
    document: str
    line: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.document}:{self.line}: {self.text[:60]}"


def sh_commands(path: Path) -> list[Command]:
    """The commands of every ```` ```sh ```` block: continuation lines joined, comments and blank lines dropped."""
    commands: list[Command] = []
    inside = False
    pending = ""
    start = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if not inside:
            inside = stripped == "```sh"
            continue
        if stripped == "```":
            inside = False
            continue
        if not pending:
            if not stripped or stripped.startswith("#"):
                continue
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        commands.append(Command(str(path.relative_to(REPO)), start, pending + stripped))
        pending = ""
    return commands


COMMANDS = [command for document in DOCUMENTS for command in sh_commands(document)]


def _marks(command: Command) -> list[pytest.MarkDecorator]:
    return [pytest.mark.skip(reason=reason) for pattern, reason in SKIPPED if pattern.search(command.text)]


def written_files(command: str) -> set[str]:
    """The files a command writes by ``-o``/``--out`` (and a finetuning file's manifest beside it)."""
    words = shlex.split(command, comments=True)
    written = {after for before, after in itertools.pairwise(words) if before in ("-o", "--out")}
    written |= {name.removesuffix(".jsonl") + ".manifest.json" for name in written if name.endswith(".jsonl")}
    return written


def _run(args: list[str], cwd: Path) -> None:
    subprocess.run([*_simval(), *args], cwd=cwd, env=_environment(), check=True, capture_output=True, timeout=600)


def _simval() -> list[str]:
    exe = shutil.which("simval", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "validator"]


def _environment() -> dict[str, str]:
    # This checkout's simval, whichever environment runs the tests; no real API key reaches a command.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    environment = {**os.environ, "PYTHONPATH": str(REPO), "PATH": path, "COLUMNS": "100"}
    environment.pop("OPENAI_API_KEY", None)
    return environment


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory, demo_paths: dict[str, Path]) -> Path:
    """The files the README's examples name, made once from the demo data and the repository's examples."""
    import pandas as pd

    directory = tmp_path_factory.mktemp("readme-inputs")
    copies = {
        "human.csv": demo_paths["human"],
        "data.csv": demo_paths["human"],
        "sim.csv": demo_paths["finetuned_random"],
        "run1.csv": demo_paths["unfinetuned"],
        "sim_ft.csv": demo_paths["finetuned_balanced"],
        "gates.yaml": REPO / "examples" / "gates" / "hunt2025-gates.yaml",
        "human_coefs.csv": REPO / "examples" / "worked_example" / "human_coefs.csv",
        "sim_coefs.csv": REPO / "examples" / "worked_example" / "sim_coefs.csv",
    }
    for name, source in copies.items():
        shutil.copyfile(source, directory / name)
    pd.read_csv(demo_paths["finetuned_balanced"], comment="#").to_parquet(directory / "run2.parquet")
    _run(["spec", "init", "data.csv", "-o", "my_study.yaml"], directory)
    _run(["finetune", "prepare", "human.csv", "--strategy", "balanced", "--cells", "1", "--fraction", "0.25", "--out", "train.jsonl"], directory)
    return directory


def test_the_readme_has_commands_to_run() -> None:
    documents = {command.document for command in COMMANDS}
    assert documents == {"README.md", "examples/gss2024/README.md", "examples/likert/README.md"}
    assert len(COMMANDS) >= 20


# Slow: about twenty full checks with the default 1000 bootstrap replicates, and "gates suggest" alone
# takes 45 s of CPU; together several minutes of CPU.
@pytest.mark.slow
@pytest.mark.parametrize("command", [pytest.param(c, marks=_marks(c), id=c.id) for c in COMMANDS])
def test_a_readme_command_runs_as_written(command: Command, inputs: Path, tmp_path: Path) -> None:
    written = written_files(command.text)
    for source in inputs.iterdir():
        if source.name not in written:
            shutil.copyfile(source, tmp_path / source.name)
    (tmp_path / "examples").symlink_to(REPO / "examples", target_is_directory=True)
    result = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command.text}"],
        check=False,
        cwd=tmp_path,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    # A check exits 1 when a verdict fails (the demo's runs and the example simulations do: that is what
    # they show); never 2 (bad input) or 3 (a bug). Every other command must succeed.
    allowed = {0, 1} if "simval check" in command.text else {0}
    assert result.returncode in allowed, f"{command.text}\nexit {result.returncode}\n{result.stderr[-2000:]}"
    for name in written:
        assert (tmp_path / name).is_file(), f"{command.text} did not write {name}"


@pytest.mark.parametrize(
    ("command", "written"),
    [
        ("simval spec init data.csv -o my_study.yaml  # a comment", {"my_study.yaml"}),
        ("simval finetune prepare human.csv --out train.jsonl", {"train.jsonl", "train.manifest.json"}),
        ("simval check human.csv sim.csv --json results.json", set()),
    ],
)
def test_the_files_a_command_writes_are_found_from_its_options(command: str, written: set[str]) -> None:
    assert written_files(command) == written
