"""Read answer files safely and write TOML deterministically.

Student files are data: they are parsed with `tomllib` only (never evaluated),
and refused above a size limit before parsing so a huge upload cannot stall an
autograder. Quiz and key files are written with tomli-w, whose output depends
only on the data, so the same seed gives byte-identical files on every machine.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


from cnntool.errors import CnnToolError
from cnntool.files import atomic_write

MAX_FILE_BYTES = 256 * 1024


class AnswerFileError(CnnToolError):
    """An answer or key file that cannot be graded; the message names the file, question id and field."""


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file after checking it exists, is small enough and is UTF-8 text."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise AnswerFileError(f"{path}: file not found") from None
    except OSError as exc:
        raise AnswerFileError(f"{path}: cannot read ({exc.strerror})") from None
    if path.is_dir():
        raise AnswerFileError(f"{path}: is a folder; give an answer file, or use --key KEY with a folder")
    if size > MAX_FILE_BYTES:
        raise AnswerFileError(f"{path}: {size:,} bytes is larger than the limit of {MAX_FILE_BYTES:,} bytes")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise AnswerFileError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise AnswerFileError(f"{path}: cannot read ({exc.strerror})") from None
    return parse_toml(text, str(path))


def parse_toml(text: str, name: str = "<answers>") -> dict[str, Any]:
    """TOML text → dict; a syntax error becomes one message with its line and column."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise AnswerFileError(f"{name}: larger than the limit of {MAX_FILE_BYTES:,} bytes")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AnswerFileError(f"{name}: not valid TOML: {_describe(exc, text)}") from None
    except RecursionError:
        raise AnswerFileError(f"{name}: not valid TOML: nested too deeply") from None


def _describe(exc: Exception, text: str) -> str:
    """tomllib's message always carries '(at line L, column C)'; tomli's older ones may only give a position."""
    message = str(exc)
    if re.search(r"line \d+, column \d+", message) or "end of document" in message:
        return message
    pos = getattr(exc, "pos", None)
    if isinstance(pos, int):
        line = text.count("\n", 0, pos) + 1
        column = pos - (text.rfind("\n", 0, pos) + 1) + 1
        return f"{message} (at line {line}, column {column})"
    return message


# --- writing ---------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _value(value: Any, indent: str = "") -> str:
    """One TOML value: scalars as tomli-w writes them; arrays laid out here."""
    import tomli_w

    if isinstance(value, (list, tuple)):
        if value and all(isinstance(item, (list, tuple)) for item in value):
            inner = indent + "    "
            return "[\n" + "".join(f"{inner}{_value(item, inner)},\n" for item in value) + f"{indent}]"
        return "[" + ", ".join(_value(item, indent) for item in value) + "]"
    if isinstance(value, dict):
        raise TypeError("quiz and key tables are written flat; a sub-table has no place in them")
    return tomli_w.dumps({"v": value})[len("v = ") : -1]


def _lines(table: dict[str, Any]) -> str:
    for key in table:
        if not _BARE_KEY.match(key):
            raise ValueError(f"{key!r} is not a bare TOML key")
    return "".join(f"{key} = {_value(value)}\n" for key, value in table.items())


def dump_toml(
    top: dict[str, Any], tables: list[dict[str, Any]], table_name: str = "question", comment: str = ""
) -> str:
    """`# comment` lines, the top-level keys, then one `[[table_name]]` per table; keys in the order given.

    tomli-w writes every scalar (the string escaping is the part not worth writing
    again). This wrapper does what tomli-w cannot: comment lines; a `[[table_name]]`
    header for every table (tomli-w writes short tables as one inline array, but
    students copy `[[question]]` tables); and arrays laid out to be read, a flat one on
    one line (`at = [0, 1]`) and a matrix one row per line, where tomli-w puts every
    number of an answer matrix on a line of its own.
    """
    head = "".join(f"# {line}\n" for line in comment.splitlines())
    parts = [head + _lines(top)]
    parts += [f"[[{table_name}]]\n" + _lines(table) for table in tables]
    return "\n".join(parts)


def write_atomic(path: str | Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename, so a reader never sees half a file."""
    atomic_write(path, text)
