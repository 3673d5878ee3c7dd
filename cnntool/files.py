"""Writing files safely: one implementation of the atomic write that every command uses.

A file is written to a temporary name in its own folder, flushed to disk, given the
permissions a plain `open(path, "w")` would give (the user's umask, not mkstemp's 0600,
so an instructor's handout on a shared server stays readable), and renamed over the
target. A reader, or a crash, never sees half a file; an interrupted write leaves no
temporary file behind. Renaming replaces a symbolic link itself, never writes through it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

_UMASK: int | None = None


def _umask() -> int:
    """The process umask (read once: os.umask can only be read by setting it)."""
    global _UMASK
    if _UMASK is None:
        current = os.umask(0o022)
        os.umask(current)
        _UMASK = current
    return _UMASK


def atomic_write(path: str | Path, write: Callable[[BinaryIO], None] | bytes | str) -> Path:
    """Write `path` atomically: `write` is the bytes, the text (UTF-8), or a function given the open file.

    Returns the path. Raises OSError (missing folder, no permission) before any existing file changes.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
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
