"""Read answer files safely and write TOML deterministically.

Student files are data: they are parsed with `tomllib` only (never evaluated),
and refused above a size limit before parsing so a huge upload cannot stall an
autograder. Quiz and key files are written with tomli-w, whose output depends
only on the data, so the same seed gives byte-identical files on every machine.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


from cnntool.budgets import ANSWER_BYTES, BudgetError
from cnntool.errors import CnnToolError
from cnntool.files import atomic_write, read_text
from cnntool.numbers import MAX_NUMBER_TEXT

MAX_FILE_BYTES = ANSWER_BYTES.limit
#: Deepest nesting of tables and arrays an answer file needs: the file, [[question]], a question,
#: a matrix of channels, a channel, a row (8 leaves room); deeper is refused, whatever TOML allows.
MAX_NESTING = 8
# a bare integer literal too long for Python's int(): quoted, so the field reports it (see parse_toml)
_LONG_BARE_INT = re.compile(
    r"(?m)(=\s*|[\[,]\s*)([+-]?\d[\d_]{" + str(MAX_NUMBER_TEXT) + r",})(?=\s*(?:[,\]}#]|$))"
)


class AnswerFileError(CnnToolError):
    """An answer or key file that cannot be graded; the message names the file, question id and field."""


def read_toml(path: str | Path, what: str = "answer file") -> dict[str, Any]:
    """Parse a TOML file: a regular file (never a pipe, a device or a symlink loop), UTF-8, within
    the answer-file budget, read with a bounded read so an endless file cannot stall an autograder."""
    path = Path(path)
    if not os.path.lexists(path):
        raise AnswerFileError(f"{path}: file not found")
    if path.is_dir():
        raise AnswerFileError(f"{path}: is a folder; give an answer file (a folder is graded against a key)")
    try:
        text = read_text(path, ANSWER_BYTES, what)
    except BudgetError:
        raise AnswerFileError(
            f"{path}: larger than the limit of {MAX_FILE_BYTES:,} bytes ({ANSWER_BYTES.name}); "
            f"{ANSWER_BYTES.fix}"
        ) from None
    except CnnToolError as exc:
        raise AnswerFileError(f"{path}: {_short(str(exc), str(path), what)}") from None
    return parse_toml(text, str(path))


def _short(message: str, name: str, what: str) -> str:
    """files.read_text's message without the path the caller puts in front ("answer file 'a.toml' is ...")."""
    unreadable, about = f"cannot read {what} '{name}': ", f"{what} '{name}' "
    if message.startswith(unreadable):
        return f"cannot read it ({message[len(unreadable) :]})"
    return message[len(about) :] if message.startswith(about) else message


def parse_toml(text: str, name: str = "<answers>") -> dict[str, Any]:
    """TOML text → dict; a syntax error becomes one message with its line and column.

    A bare integer longer than any number cnntool reads is quoted before parsing (Python's int()
    refuses thousands of digits), so the field that holds it reports it, with its question;
    nesting deeper than any answer file needs is refused here, once, for every reader.
    """
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise AnswerFileError(f"{name}: larger than the limit of {MAX_FILE_BYTES:,} bytes")
    try:
        data = _loads(text, name)
    except ValueError:  # Python's int() limit: a bare integer of thousands of digits
        try:
            data = _loads(_LONG_BARE_INT.sub(lambda m: f'{m.group(1)}"{m.group(2)}"', text), name)
        except ValueError:
            raise AnswerFileError(
                f"{name}: a number has thousands of digits; cnntool reads numbers of at most "
                f"{MAX_NUMBER_TEXT} characters"
            ) from None
    _check_nesting(data, name)
    return data


def _loads(text: str, name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AnswerFileError(f"{name}: not valid TOML: {_describe(exc, text)}") from None
    except RecursionError:
        raise AnswerFileError(f"{name}: not valid TOML: nested too deeply") from None


def _check_nesting(data: Any, name: str) -> None:
    """Refuse tables and arrays nested deeper than MAX_NESTING (walked without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_NESTING:
            raise AnswerFileError(
                f"{name}: tables and arrays are nested more than {MAX_NESTING} levels deep; "
                "an answer file needs at most a matrix of channels inside a question"
            )
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack += [(child, depth + 1) for child in children if isinstance(child, (dict, list))]


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
