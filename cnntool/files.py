"""Files: one implementation of the atomic write every command uses, and of the bounded read of text.

A file is written to a temporary name in its own folder, flushed to disk, given the
permissions a plain `open(path, "w")` would give (the user's umask, not mkstemp's 0600,
so an instructor's handout on a shared server stays readable), and renamed over the
target. A reader, or a crash, never sees half a file; an interrupted write leaves no
temporary file behind. Renaming replaces a symbolic link itself, never writes through it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from cnntool.budgets import TEXT_BYTES, Budget, BudgetError, check
from cnntool.errors import CnnToolError

_UMASK: int | None = None


def _umask() -> int:
    """The process umask (read once: os.umask can only be read by setting it)."""
    global _UMASK
    if _UMASK is None:
        current = os.umask(0o022)
        os.umask(current)
        _UMASK = current
    return _UMASK


def check_writable(path: Path) -> Path:
    """The folder `path` will be written in; CnnToolError if a folder is in the way or it is missing.

    Commands that write several files call it for each first, so nothing is half-written.
    """
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise CnnToolError(f"cannot write {path}: it is a folder; give a file name")
    if not folder.is_dir():
        raise CnnToolError(f"cannot write {path}: the folder {folder} does not exist (create it first)")
    return folder


def atomic_write(path: str | Path, write: Callable[[BinaryIO], None] | bytes | str) -> Path:
    """Write `path` atomically: `write` is the bytes, the text (UTF-8), or a function given the open file.

    Returns the path. A missing folder, a folder in the way or no permission is a CnnToolError raised
    before any existing file changes.
    """
    path = Path(path)
    folder = check_writable(path)
    import tempfile  # here, not at the top: it costs milliseconds of every command's start-up

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise CnnToolError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            if callable(write):
                write(handle)
            else:
                handle.write(write.encode("utf-8") if isinstance(write, str) else write)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:  # KeyboardInterrupt too: never leave a hidden .tmp behind
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def check_regular_file(path: Path, budget: Budget = TEXT_BYTES, what: str = "file") -> int:
    """The size of the regular file at `path`, within `budget`; CnnToolError for anything else.

    A FIFO, a device (/dev/zero) or a folder is refused before it is opened (opening a FIFO with
    no writer blocks forever), and so is a symlink loop.
    """
    name = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise CnnToolError(f"{what} '{name}' does not exist") from None
    except OSError as exc:  # a symlink loop, a name too long, no permission
        raise CnnToolError(f"cannot read {what} '{name}': {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise CnnToolError(f"{what} '{name}' is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise CnnToolError(f"{what} '{name}' is not a regular file (a pipe or a device); give a file")
    check(budget, info.st_size, f"{what} '{name}'")
    return info.st_size


def read_text(source: str | Path, budget: Budget = TEXT_BYTES, what: str = "file") -> str:
    """The UTF-8 text of a regular file, or of stdin for "-", never reading more than the budget.

    A FIFO, a device (/dev/zero) or a folder is refused before it is opened (opening a FIFO with
    no writer blocks forever); stdin is read in one bounded call, so an endless stream stops at the
    budget. Errors are CnnToolError naming `what` and the path.
    """
    if str(source) == "-":
        data = sys.stdin.buffer.read(budget.limit + 1)
        name = "<stdin>"
    else:
        path = Path(source)
        name = str(path)
        check_regular_file(path, budget, what)
        try:
            with open(path, "rb") as handle:
                data = handle.read(budget.limit + 1)
        except OSError as exc:
            raise CnnToolError(f"cannot read {what} '{name}': {exc.strerror or exc}") from None
    if len(data) > budget.limit:
        raise BudgetError(
            f"{what} '{name}' is longer than cnntool's budget of {budget.limit:,} bytes ({budget.name}); {budget.fix}"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise CnnToolError(f"{what} '{name}' is not UTF-8 text") from None
