"""The example files (spec files, matrices, answer files, a key, training scripts), from any folder.

The README's commands name `examples/...`; those files live in the source checkout's
`examples/` folder, and a wheel carries the same files as package data in
`cnntool/_examples/` (pyproject.toml's `[tool.hatch.build.targets.wheel.force-include]`).
`examples_dir()` finds whichever this copy of cnntool has; `copy_examples()` copies them
out so `cnntool summary examples/alexnet.net` works in any folder. Copying never replaces
a file that differs unless asked, and writes each file atomically (files.atomic_write).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cnntool.errors import CnnToolError, OutputExistsError
from cnntool.files import atomic_write, check_writable

#: Where a wheel puts the example files, inside the package.
PACKAGED = "_examples"
_MARKER = "lecture_answers.toml"  # a file every copy of the examples has
_TEXT = (".net", ".txt", ".toml", ".py")


def examples_dir() -> Path:
    """The folder of example files: the installed package data, else the source checkout's examples/."""
    here = Path(__file__).resolve().parent
    for folder in (here / PACKAGED, here.parent / "examples"):
        if (folder / _MARKER).is_file():
            return folder
    raise CnnToolError(
        "this copy of cnntool has no example files (they come with the package, in cnntool/_examples, "
        "or with the source checkout, in examples/); reinstall cnntool"
    )


@dataclass(frozen=True)
class Example:
    """One example file: its name relative to the examples folder (`submissions/ada.toml`), path, size
    and the first line of its comment or docstring (what it is for)."""

    name: str
    path: Path
    size: int
    description: str


def _description(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()[:5]
    except (OSError, UnicodeDecodeError):
        return ""
    for line in lines:
        text = line.strip().lstrip("#").strip().strip('"').strip()
        if text:
            return text if line.lstrip().startswith(("#", '"""')) else ""
    return ""


def list_examples() -> list[Example]:
    """Every example file, sorted by name (sub-folders included; caches and hidden files left out)."""
    folder = examples_dir()
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or any(part.startswith((".", "__")) for part in relative.parts):
            continue
        if path.suffix not in _TEXT:
            continue
        found.append(Example(relative.as_posix(), path, path.stat().st_size, _description(path)))
    return found


def copy_examples(target: Path, overwrite: bool = False) -> list[tuple[Example, str]]:
    """Copy every example into `target` (created if missing; its parent must exist).

    Returns (example, "written" | "unchanged") pairs. A file that exists with other content is
    replaced only with `overwrite`; otherwise OutputExistsError names it and nothing is written.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise CnnToolError(f"cannot copy the examples into {target}: it is a file, not a folder")
    if not target.exists():
        check_writable(target)  # a missing parent folder is said, not created
    examples = list_examples()
    plan = []
    for example in examples:
        destination = target / example.name
        data = example.path.read_bytes()
        if destination.is_dir():
            raise CnnToolError(f"cannot copy {example.name}: {destination} is a folder")
        same = destination.is_file() and destination.read_bytes() == data
        plan.append((example, destination, data, same))
    clashes = [destination for _, destination, _, same in plan if destination.exists() and not same]
    if clashes and not overwrite:
        more = f" (and {len(clashes) - 1} more example files)" if len(clashes) > 1 else ""
        raise OutputExistsError(clashes[0], "examples", f"exists with other content{more}")
    target.mkdir(exist_ok=True)
    done = []
    for example, destination, data, same in plan:
        if not same:
            destination.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(destination, data)
        done.append((example, "unchanged" if same else "written"))
    return done
