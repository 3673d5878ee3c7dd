"""Grade a class: files and folders of submissions against a key, one broken file never stopping the rest.

Entries of a folder are listed by name only, never opened here: a pipe, a device or a symlink
loop named *.toml gets a `broken` row from `read_toml`, which refuses it without opening it.
Each file's failure is caught one by one (docs/grading.md); a broken key stops the run first.
"""

from __future__ import annotations

import os
from pathlib import Path

from cnntool.check.grade import FolderReport, Key, grade, grade_against_key, load_key, said
from cnntool.check.toml_io import AnswerFileError
from cnntool.errors import CnnToolError

MAX_FOLDER_FILES = 2000


def _real(path: Path) -> str:
    """The path with links resolved, or as given when they loop (os.path.realpath never raises)."""
    return os.path.realpath(path)


def answer_files(folder: str | Path) -> list[Path]:
    """The .toml entries of a folder (not recursive), sorted by name so reports are reproducible.

    Entries are listed by name only: a pipe, a device or a symlink loop named *.toml is listed
    and then refused by `read_toml` with a row saying why, never opened.
    """
    folder = Path(folder)
    try:
        names = sorted(entry.name for entry in os.scandir(folder))
    except OSError as exc:
        raise AnswerFileError(f"{folder}: cannot list this folder ({exc.strerror or exc})") from None
    files = [folder / n for n in names if n.lower().endswith(".toml") and not n.startswith(".")]
    if len(files) > MAX_FOLDER_FILES:
        raise AnswerFileError(
            f"{folder}: {len(files)} answer files is beyond the limit of {MAX_FOLDER_FILES}"
        )
    return files


def grade_folder(key: str | Path | None, folder: str | Path, exclude: tuple[Path, ...] = ()) -> FolderReport:
    """Grade every .toml file in `folder`; a broken file is listed in `broken`, the rest are graded."""
    return grade_paths(key, [Path(folder)], exclude)


def grade_paths(
    key: str | Path | Key | None, paths: list[Path] | tuple[Path, ...], exclude: tuple[Path, ...] = ()
) -> FolderReport:
    """Grade files and folders (their .toml files); broken files are reported, the rest graded.

    A broken key is an error for the whole run (KeyFileError), since nothing could be graded.
    The key itself and `exclude` are skipped when a folder holds them.
    """
    loaded = load_key(key) if key is not None else None
    skip = {_real(Path(p)) for p in exclude}
    if key is not None and not isinstance(key, (dict, Key)):
        skip.add(_real(Path(key)))
    files: list[Path] = []
    for path in paths:
        if Path(path).is_dir():
            files += [p for p in answer_files(path) if _real(p) not in skip]
        else:
            files.append(Path(path))
    if len(files) > MAX_FOLDER_FILES:
        raise AnswerFileError(f"{len(files)} answer files is beyond the limit of {MAX_FOLDER_FILES}")
    if not files:  # an empty class is not "all correct"
        raise AnswerFileError(f"{', '.join(str(p) for p in paths)}: no .toml answer files to grade")
    reports, broken = [], []
    for path in files:
        try:
            reports.append(grade_against_key(loaded, path) if loaded is not None else grade(path))
        except CnnToolError as exc:
            broken.append((str(path), said(exc)))
        except RecursionError:
            broken.append((str(path), f"{path}: nested too deeply"))
        except Exception as exc:  # noqa: BLE001 - never reached by any input the tests know; one file must not stop a class
            broken.append(
                (str(path), f"{path}: internal error while grading ({type(exc).__name__}); please report it")
            )
    name = "" if key is None else loaded.name if loaded is not None else str(key)
    return FolderReport(name, tuple(reports), tuple(broken))
