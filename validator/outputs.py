"""Where simval writes: one guard against overwriting inputs, one atomic writer, one staged folder.

* :class:`OutputGuard` remembers the files a command reads (resolved path and
  device/inode, so a hard link or a symlink to an input is caught too) and refuses,
  with one sentence, to write any output over one of them.
* :func:`write_atomic` writes a file through a temporary file beside it, fsynced,
  then renamed over the target: a reader sees the old file or the new one, never
  half of one. The file gets the mode an ordinary ``open()`` would give it
  (``0666`` minus the umask, so 0644 under umask 022), not ``mkstemp``'s 0600. A
  target that exists and is not a regular file (``/dev/stdout``, a FIFO) is written
  in place, since renaming over a device would replace the device.
* :class:`StagedFolder` builds a folder of outputs (a report run) in a temporary
  folder and moves it into place only when complete, so an interrupted run leaves
  the previous folder whole instead of a mix of two runs.

Every ``OSError`` on the way (disk full, read-only folder, permission denied) is a
:class:`~validator.errors.UsageError`: exit code 2 with one sentence, no traceback.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from validator.errors import UsageError

__all__ = ["OutputGuard", "StagedFolder", "file_mode", "folder_mode", "os_error_sentence", "write_atomic"]

_umask_lock = threading.Lock()
_umask: int | None = None

# Plain words for the errors a user can fix; anything else falls back to strerror.
_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EISDIR: "it is a folder",
    errno.ENAMETOOLONG: "the name is too long",
}


def os_error_sentence(exc: OSError) -> str:
    """A short reason for an OSError ("the disk is full"), for messages."""
    return _REASONS.get(exc.errno or 0) or exc.strerror or type(exc).__name__


def _current_umask() -> int:
    global _umask
    with _umask_lock:
        if _umask is None:
            # The umask can only be read by setting it; restore it at once.
            _umask = os.umask(0o022)
            os.umask(_umask)
        return _umask


def file_mode() -> int:
    """The mode ``open(path, "w")`` would give a new file: 0o666 minus the process umask."""
    return 0o666 & ~_current_umask()


def folder_mode() -> int:
    """The mode ``mkdir`` would give a new folder: 0o777 minus the process umask."""
    return 0o777 & ~_current_umask()


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


class OutputGuard:
    """Refuses to let an output overwrite one of the command's input files.

    >>> guard = OutputGuard(["human.csv"])
    >>> guard.check("results.json", "--json")  # fine: not an input
    """

    def __init__(self, inputs: Iterable[str | os.PathLike[str] | None]) -> None:
        self._paths: dict[Path, str] = {}
        self._ids: dict[tuple[int, int], str] = {}
        for item in inputs:
            if item is None or os.fspath(item) in ("", "-"):
                continue
            path = Path(item)
            self._paths[path.resolve()] = os.fspath(item)
            ident = _identity(path)
            if ident is not None:
                self._ids[ident] = os.fspath(item)

    def input_at(self, path: str | os.PathLike[str]) -> str | None:
        """The input (as the user named it) that ``path`` would overwrite, or None."""
        target = Path(path)
        found = self._paths.get(target.resolve())
        if found is not None:
            return found
        ident = _identity(target)
        return self._ids.get(ident) if ident is not None else None

    def check(self, path: str | os.PathLike[str] | None, what: str) -> None:
        """Raise UsageError when writing ``what`` (an option name, "the journal") to ``path`` would overwrite an input."""
        if path is None or os.fspath(path) == "-":
            return
        clash = self.input_at(path)
        if clash is not None:
            same = "" if os.fspath(path) == clash else f" ('{os.fspath(path)}' is the same file)"
            raise UsageError(f"{what} would overwrite the input file '{clash}'{same}; give another path")

    def check_inside(self, folders: Sequence[str | os.PathLike[str]], what: str) -> None:
        """Raise UsageError when an input lies inside one of ``folders`` (which will be replaced whole)."""
        for folder in folders:
            root = Path(folder).resolve()
            for resolved, named in self._paths.items():
                if resolved == root or root in resolved.parents:
                    raise UsageError(f"{what} would replace the folder '{os.fspath(folder)}', which holds the input file '{named}'; give another folder")


def write_atomic(path: str | os.PathLike[str], data: str | bytes, *, what: str = "the output", durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (see the module docstring); errors are UsageError naming ``what``.

    Text is written as UTF-8 with the newlines it holds (no translation).
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        info = target.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise UsageError(f"cannot write {what} '{target}': {os_error_sentence(exc)}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise UsageError(f"cannot write {what} '{target}': it is a folder; give a file name")
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_in_place(target, payload, what)
        return
    # Through a symlink, replace the file it points to, not the link.
    real = target.resolve() if target.is_symlink() else target
    parent = real.parent if str(real.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"cannot write {what} '{target}': the folder '{parent}' does not exist")
    mode = info.st_mode & 0o7777 if info is not None else file_mode()
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{real.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, real)
        tmp = None
    except OSError as exc:
        raise UsageError(f"cannot write {what} '{target}': {os_error_sentence(exc)}") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _write_in_place(target: Path, payload: bytes, what: str) -> None:
    try:
        with target.open("wb") as handle:
            handle.write(payload)
    except OSError as exc:
        raise UsageError(f"cannot write {what} '{target}': {os_error_sentence(exc)}") from None


class StagedFolder:
    """A folder of outputs built beside its final place and moved in whole.

    ``path`` is where to write; :meth:`commit` puts it at ``final`` (an earlier
    folder there is replaced, and the files of it that the new run did not write
    are listed in :attr:`removed`); :meth:`discard` (or leaving a ``with`` block by
    an exception, Ctrl-C included) deletes the staging folder and leaves ``final``
    as it was. A ``final`` that holds files simval does not write (``owned``) is
    refused before anything is written, so no one's own files are deleted.
    """

    def __init__(self, final: str | os.PathLike[str], owned: Iterable[str]) -> None:
        self.final = Path(final)
        self.owned = frozenset(owned)
        self.removed: list[str] = []
        if self.final.exists():
            if not self.final.is_dir():
                raise UsageError(f"cannot write the report folder '{self.final}': a file of that name exists")
            foreign = sorted(p.name for p in self.final.iterdir() if p.name not in self.owned)
            if foreign:
                raise UsageError(
                    f"the report folder '{self.final}' holds files simval did not write ({', '.join(foreign[:3])}"
                    f"{', ...' if len(foreign) > 3 else ''}); give another --report folder"
                )
        parent = self.final.parent
        try:
            self.path = Path(tempfile.mkdtemp(dir=parent, prefix=f".{self.final.name}.", suffix=".partial"))
            os.chmod(self.path, folder_mode())  # mkdtemp's 0700 would hide the reports from others
        except OSError as exc:
            raise UsageError(f"cannot write the report folder '{self.final}': {os_error_sentence(exc)}") from None

    def __enter__(self) -> StagedFolder:
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is not None:
            self.discard()

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def commit(self) -> None:
        old: Path | None = None
        try:
            if self.final.exists():
                written = {p.relative_to(self.path).as_posix() for p in self.path.rglob("*")}
                self.removed = sorted(
                    p.relative_to(self.final).as_posix()
                    for p in self.final.rglob("*")
                    if p.is_file() and p.relative_to(self.final).as_posix() not in written
                )
                old = Path(tempfile.mkdtemp(dir=self.final.parent, prefix=f".{self.final.name}.", suffix=".old"))
                os.replace(self.final, old / self.final.name)
            os.replace(self.path, self.final)
        except OSError as exc:
            self.discard()
            raise UsageError(f"cannot write the report folder '{self.final}': {os_error_sentence(exc)}") from None
        finally:
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
