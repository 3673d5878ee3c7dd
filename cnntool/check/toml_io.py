"""Read answer files safely and write TOML deterministically.

Student files are data: they are parsed with `tomllib` only (never evaluated),
and refused above a size limit before parsing so a huge upload cannot stall an
autograder. The writer exists because quiz and key files must be byte-identical
for the same seed on every machine, and we want no new dependency for it.
"""

from __future__ import annotations

import math
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


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else _string(name)


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    """One TOML value: strings, ints, finite floats, bools, lists and inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("TOML answer files hold finite numbers only")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dump_toml(top: dict[str, Any], tables: list[dict[str, Any]], table_name: str = "question") -> str:
    """Top-level keys, then one `[[table_name]]` per entry, keys in the order given (deterministic)."""
    lines = [f"{_key(k)} = {toml_value(v)}" for k, v in top.items() if not k.startswith("#")]
    comments = [f"# {v}" for k, v in top.items() if k.startswith("#")]
    lines = comments + lines
    for table in tables:
        lines.append("")
        lines.append(f"[[{table_name}]]")
        lines.extend(f"{_key(k)} = {toml_value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"


def write_atomic(path: str | Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename, so a reader never sees half a file."""
    atomic_write(path, text)
