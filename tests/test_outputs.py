"""The output guard, the atomic writer and the staged report folder."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from validator.errors import UsageError
from validator.outputs import OutputGuard, StagedFolder, file_mode, write_atomic


@pytest.fixture()
def inputs(tmp_path: Path) -> Path:
    (tmp_path / "human.csv").write_text("a\n1\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("make_target", "shown"),
    [
        (lambda d: d / "human.csv", "'human.csv'"),
        (lambda d: d / "sub" / ".." / "human.csv", "'human.csv' \\('"),
        (lambda d: _link(d, "hard"), "'human.csv' \\('"),
        (lambda d: _link(d, "soft"), "'human.csv' \\('"),
    ],
    ids=["same path", "same file through '..'", "hard link", "symlink"],
)
def test_guard_refuses_an_output_over_an_input(inputs: Path, make_target, shown: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(inputs)
    (inputs / "sub").mkdir()
    guard = OutputGuard(["human.csv"])
    with pytest.raises(UsageError, match=f"--json would overwrite the input file {shown}"):
        guard.check(make_target(inputs), "--json")


def _link(folder: Path, kind: str) -> Path:
    target = folder / f"{kind}.json"
    (os.link if kind == "hard" else os.symlink)(folder / "human.csv", target)
    return target


def test_guard_allows_other_paths_and_standard_output(inputs: Path) -> None:
    guard = OutputGuard([inputs / "human.csv", None, "-"])
    guard.check(inputs / "out.json", "--json")
    guard.check("-", "--json")


def test_guard_refuses_a_folder_that_holds_an_input(inputs: Path) -> None:
    guard = OutputGuard([inputs / "human.csv"])
    with pytest.raises(UsageError, match="--report would replace the folder .* which holds the input file"):
        guard.check_inside([inputs], "--report")


def test_atomic_write_honours_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        import validator.outputs as outputs

        outputs._umask = None  # read the umask afresh
        write_atomic(tmp_path / "out.json", "{}\n")
    finally:
        os.umask(old)
        outputs._umask = None
    assert stat.S_IMODE((tmp_path / "out.json").stat().st_mode) == 0o644
    assert file_mode() == 0o666 & ~old


def test_atomic_write_keeps_an_existing_files_mode_and_replaces_its_content(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o600)
    write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temporary file left


def test_atomic_write_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "real.json").write_text("old", encoding="utf-8")
    (tmp_path / "link.json").symlink_to(tmp_path / "real.json")
    write_atomic(tmp_path / "link.json", "new")
    assert (tmp_path / "link.json").is_symlink()
    assert (tmp_path / "real.json").read_text(encoding="utf-8") == "new"


def test_a_device_is_written_in_place_not_replaced(tmp_path: Path) -> None:
    write_atomic("/dev/null", "discarded")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_is_a_sentence() -> None:
    with pytest.raises(UsageError, match="cannot write the --json output '/dev/full': the disk is full"):
        write_atomic("/dev/full", "x" * 10_000, what="the --json output")


@pytest.mark.parametrize(
    ("code", "reason"),
    [(errno.ENOSPC, "the disk is full"), (errno.EROFS, "the file system is read-only"), (errno.EACCES, "permission denied")],
)
def test_write_errors_are_sentences_and_leave_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, reason: str
) -> None:
    def fail(*args: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(UsageError, match=f"cannot write the output '.*out.json': {reason}$"):
        write_atomic(tmp_path / "out.json", "{}")
    assert list(tmp_path.iterdir()) == []


def test_staged_folder_replaces_the_previous_run_whole_and_names_stale_files(tmp_path: Path) -> None:
    final = tmp_path / "run"
    final.mkdir()
    (final / "report.pdf").write_text("old pdf", encoding="utf-8")
    (final / "results.json").write_text("old", encoding="utf-8")
    stage = StagedFolder(final, ["report.pdf", "results.json"])
    (stage.path / "results.json").write_text("new", encoding="utf-8")
    assert (final / "results.json").read_text(encoding="utf-8") == "old"  # untouched until commit
    stage.commit()
    assert sorted(p.name for p in final.iterdir()) == ["results.json"]
    assert (final / "results.json").read_text(encoding="utf-8") == "new"
    assert stage.removed == ["report.pdf"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_an_interrupted_staged_folder_leaves_the_previous_run(tmp_path: Path) -> None:
    final = tmp_path / "run"
    final.mkdir()
    (final / "results.json").write_text("old", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        with StagedFolder(final, ["results.json"]) as stage:
            (stage.path / "results.json").write_text("half", encoding="utf-8")
            raise KeyboardInterrupt
    assert (final / "results.json").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_staged_folder_refuses_a_folder_with_someone_elses_files(tmp_path: Path) -> None:
    final = tmp_path / "run"
    final.mkdir()
    (final / "thesis.docx").write_text("mine", encoding="utf-8")
    with pytest.raises(UsageError, match="holds files simval did not write \\(thesis.docx\\)"):
        StagedFolder(final, ["results.json"])
    assert (final / "thesis.docx").exists()
