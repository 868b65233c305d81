"""``simval check`` prints each simulated dataset as soon as it and the ones before it are done.

On a terminal (more than one dataset): the header, then per dataset its verdict lines
and its section, in input order, then the leaderboard. Anywhere else the output is the
verdicts-first text, unchanged; ``--quiet`` streams its one line per dataset everywhere.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from validator.api import check
from validator.cli import check_cmd
from validator.cli.main import main
from validator.results import CheckResult

SPECS = Path(__file__).resolve().parents[2] / "specs"


@pytest.fixture(scope="module")
def light_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """hunt2025 with 20 equal-n draws instead of 200: the same checks and output, quicker."""
    text = (SPECS / "hunt2025.yaml").read_text(encoding="utf-8")
    path = tmp_path_factory.mktemp("spec") / "light.yaml"
    path.write_text(text.replace("equal_n_draws: 200", "equal_n_draws: 20"), encoding="utf-8")
    return path


@pytest.fixture
def files(demo_paths: dict[str, Path], light_spec: Path) -> list[str]:
    sims = [demo_paths[kind] for kind in ("unfinetuned", "finetuned_random", "finetuned_balanced")]
    return [str(demo_paths["human"]), *map(str, sims), "--spec", str(light_spec), "--bootstrap", "0", "--no-progress"]


def test_each_dataset_is_handed_on_before_the_later_ones_are_done(demo_paths: dict[str, Path], light_spec: Path) -> None:
    ticks: list[tuple[str, int, int]] = []
    seen: list[tuple[int, tuple[str, int, int]]] = []

    def on_dataset(so_far: CheckResult) -> None:
        seen.append((len(so_far.simulations), ticks[-1]))

    sims = [demo_paths[kind] for kind in ("unfinetuned", "finetuned_random", "finetuned_balanced")]
    result = check(demo_paths["human"], sims, spec=light_spec, bootstrap=0, progress=lambda *tick: ticks.append(tick), on_dataset=on_dataset)
    assert [count for count, _ in seen] == [1, 2, 3]
    per_dataset = ticks[-1][2] // 3
    # Dataset 1 came out when its own checks were done, not when all were.
    assert seen[0][1] == ("checks", per_dataset, 3 * per_dataset)
    assert seen[-1][1] == ("checks", 3 * per_dataset, 3 * per_dataset)
    assert result.to_json() == check(demo_paths["human"], sims, spec=light_spec, bootstrap=0).to_json()


def _on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    return _spy_on_prints(monkeypatch)


def _spy_on_prints(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The lines of each print of the streamed output, in order."""
    printed: list[list[str]] = []
    original = check_cmd.StreamedOutput._print

    def spy(self: check_cmd.StreamedOutput, lines: list[str]) -> None:
        printed.append(lines)
        original(self, lines)

    monkeypatch.setattr(check_cmd.StreamedOutput, "_print", spy)
    return printed


def test_on_a_terminal_the_sections_stream_in_input_order_with_the_leaderboard_last(
    files: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["check", *files]) in (0, 1)
    plain = capsys.readouterr().out
    printed = _on_a_terminal(monkeypatch)
    assert main(["check", *files]) in (0, 1)
    streamed = capsys.readouterr().out
    # One print per dataset as it is done, then the closing part.
    assert len(printed) == 4
    assert printed[0][0].startswith("simval check - spec hunt2025")
    labels = [Path(path).name for path in files[1:4]]
    for chunk, label in zip(printed[:3], labels):
        sections = [line for line in chunk if line.startswith("== ")]
        assert len(sections) == 1 and label in sections[0]
    assert printed[3][1].startswith("Leaderboard")
    # The same lines as the verdicts-first text, in another order (blank separators aside).
    assert sorted(line for line in streamed.splitlines() if line) == sorted(line for line in plain.splitlines() if line)


def test_off_a_terminal_the_output_is_the_verdicts_first_text_unchanged(files: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from validator.present.terminal import format_check

    assert main(["check", *files, "--json", "-"]) in (0, 1)
    document = capsys.readouterr().out
    assert document.startswith("{")  # --json -: stdout is the JSON alone
    assert main(["check", *files]) in (0, 1)
    out = capsys.readouterr().out
    result = check(files[0], files[1:4], spec=files[5], bootstrap=0)
    assert out == format_check(result) + "\n"


def test_quiet_streams_its_verdict_lines_wherever_stdout_goes(files: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    printed = _spy_on_prints(monkeypatch)
    assert main(["check", *files, "--quiet"]) in (0, 1)
    out = capsys.readouterr().out
    assert len(printed) == 3 and all(len(lines) == 1 for lines in printed)
    assert out.splitlines() == [lines[0] for lines in printed]
    assert [Path(line.split()[1].rstrip(":")).name for line in out.splitlines()] == [Path(path).name for path in files[1:4]]
