"""Turn TOML values from answer files into exact Python values, or say which field is wrong.

Students write the same number many ways (`34944`, `"34,944"`, `"7/9"`, `0.77`,
`"10x32x32"`, `[10, 32, 32]`); each parser accepts the reasonable spellings and
rejects anything else with a message naming the question id and field, because
a typo should be fixed by the student, not graded as a wrong answer.
Numbers stay exact (`Fraction`); a decimal is taken at its written value.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from cnntool.check.toml_io import AnswerFileError
from cnntool.errors import CnnToolError
from cnntool.explain.matrix import Tensor, parse_tensor
from cnntool.numbers import Grid, parse_number

MAX_SIDE = 64
MAX_CHANNELS = 8
MAX_INT = 10**15

_INT_TEXT = re.compile(r"^[+-]?\d{1,3}([,_ ]\d{3})+$|^[+-]?\d+$")
_SHAPE_TEXT = re.compile(r"^\(?\s*\d+(\s*[x×*,]\s*\d+)*\s*,?\s*\)?$", re.IGNORECASE)


def where(qid: str, field: str) -> str:
    return f"question {qid!r}, field {field!r}"


def bad(qid: str, field: str, message: str) -> AnswerFileError:
    return AnswerFileError(f"{where(qid, field)}: {message}")


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a decimal", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)  # fmt: skip


def as_int(value: Any, qid: str, field: str, minimum: int | None = None, maximum: int = MAX_INT) -> int:
    """An integer, as a TOML integer, a whole decimal (760.0) or text with separators ("34,944")."""
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer() and abs(value) <= MAX_INT:
        number = int(value)
    elif isinstance(value, str) and _INT_TEXT.match(value.strip()):
        number = int(re.sub(r"[,_ ]", "", value.strip()))
    if number is None:
        raise bad(
            qid, field, f'expected a whole number like 760 or "34,944", got {_type_name(value)} {value!r}'
        )
    if minimum is not None and number < minimum:
        raise bad(qid, field, f"must be at least {minimum}, got {number}")
    if abs(number) > maximum:
        raise bad(qid, field, f"{number} is larger than the limit {maximum:,}")
    return number


def as_bool(value: Any, qid: str, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "false", "no"):
        return value.strip().lower() in ("true", "yes")
    raise bad(qid, field, f"expected true or false, got {_type_name(value)} {value!r}")


def as_str(value: Any, qid: str, field: str, choices: tuple[str, ...] = (), max_len: int = 4096) -> str:
    if not isinstance(value, str):
        raise bad(qid, field, f"expected a string, got {_type_name(value)} {value!r}")
    if len(value) > max_len:
        raise bad(qid, field, f"is {len(value):,} characters long; the limit is {max_len:,}")
    if choices and value.strip().lower() not in choices:
        raise bad(qid, field, f"{value!r} is not one of {', '.join(choices)}")
    return value.strip().lower() if choices else value


def as_number(value: Any, qid: str, field: str) -> Fraction:
    """An exact number: 3, -1/2 (as "−1/2"), 0.77 or "0.77" (the decimal as written)."""
    if isinstance(value, bool):
        raise bad(qid, field, f"expected a number, got a boolean {value!r}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise bad(qid, field, f"expected a finite number, got {value!r}")
        return Fraction(repr(value))
    if isinstance(value, str):
        parsed = parse_number(value.replace(",", "") if "/" not in value else value)
        if parsed is not None:
            return parsed if isinstance(parsed, Fraction) else Fraction(value.strip().replace("\u2212", "-"))
    raise bad(qid, field, f'expected a number like 7, "7/9" or 0.77, got {_type_name(value)} {value!r}')


def is_decimal(value: Any) -> bool:
    """True when the student wrote a decimal (0.77, "0.77"): those are compared with tolerance/truncate."""
    if isinstance(value, float):
        return True
    return isinstance(value, str) and "." in value


def as_pair(value: Any, qid: str, field: str, minimum: int = 1) -> tuple[int, int]:
    """`2` → (2, 2); `[2, 3]` or `"2x3"` → (rows, columns)."""
    if isinstance(value, list):
        if len(value) != 2:
            raise bad(qid, field, f"expected one number or [rows, columns], got a list of {len(value)}")
        a, b = (as_int(v, qid, field, minimum, 10_000) for v in value)
        return a, b
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*[x×,]\s*\d+\s*", value):
        a, b = (int(v) for v in re.split(r"[x×,]", value))
        return as_int(a, qid, field, minimum, 10_000), as_int(b, qid, field, minimum, 10_000)
    number = as_int(value, qid, field, minimum, 10_000)
    return number, number


def as_shape(value: Any, qid: str, field: str) -> tuple[int, ...]:
    """A shape: [10, 32, 32], "10x32x32", "10×32×32", "(10, 32, 32)" or a plain 20."""
    if isinstance(value, list) and value:
        return tuple(as_int(v, qid, field, 0) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return (as_int(value, qid, field, 0),)
    if isinstance(value, str) and _SHAPE_TEXT.match(value.strip()):
        return tuple(int(v) for v in re.findall(r"\d+", value))
    raise bad(
        qid, field, f'expected a shape like [10, 32, 32] or "10x32x32", got {_type_name(value)} {value!r}'
    )


def as_receptive_field(value: Any, qid: str, field: str) -> tuple[Fraction, ...] | str:
    """A receptive field: 5 (square), [5, 5], "5x5", or "all" (after flatten/dense)."""
    if isinstance(value, str) and value.strip().lower() in ("all", "whole", "whole input"):
        return "all"
    if isinstance(value, list) and value:
        return tuple(as_number(v, qid, field) for v in value)
    if isinstance(value, str) and not _SHAPE_TEXT.match(value.strip()):
        return (as_number(value, qid, field),)
    return tuple(Fraction(v) for v in as_shape(value, qid, field))


def _exact(tensor: Tensor) -> Tensor:
    """Decimals typed as text come back from the explain parser as floats; keep them exact."""
    return tuple(
        tuple(tuple(v if isinstance(v, Fraction) else Fraction(repr(v)) for v in row) for row in grid)
        for grid in tensor
    )


def _check_size(tensor: Tensor, qid: str, field: str) -> Tensor:
    tensor = _exact(tensor)
    c, h, w = len(tensor), len(tensor[0]), len(tensor[0][0])
    if c > MAX_CHANNELS or h > MAX_SIDE or w > MAX_SIDE:
        raise bad(
            qid,
            field,
            f"a {c}x{h}x{w} matrix is beyond the limit of {MAX_CHANNELS} channels of {MAX_SIDE}x{MAX_SIDE}",
        )
    return tensor


def _nested_to_grid(rows: list, qid: str, field: str) -> Grid:
    grid = []
    for r, row in enumerate(rows):
        if not isinstance(row, list) or not row:
            raise bad(qid, field, f"row {r + 1} is not a non-empty list of numbers")
        if len(row) != len(rows[0]):
            raise bad(qid, field, f"row {r + 1} has {len(row)} entries but row 1 has {len(rows[0])}")
        grid.append(tuple(as_number(v, qid, f"{field}[{r}][{c}]") for c, v in enumerate(row)))
    return tuple(grid)


def as_tensor(value: Any, qid: str, field: str) -> Tensor:
    """A matrix: "1 2; 3 4" (channels split by ';;'), a lecture sample name ("x", "diag"), or nested lists.

    `@file` references are refused: an answer file is data and must not make the
    grader read other files.
    """
    if isinstance(value, str):
        if len(value) > 20_000:
            raise bad(qid, field, "the matrix text is beyond the limit of 20,000 characters")
        if value.strip().startswith("@"):
            raise bad(
                qid, field, "write the matrix inline; '@file' references are not read from answer files"
            )
        try:
            return _check_size(parse_tensor(value, where(qid, field)), qid, field)
        except AnswerFileError:
            raise
        except CnnToolError as exc:
            raise AnswerFileError(str(exc)) from None
    if isinstance(value, list) and value:
        if all(isinstance(v, list) and v and isinstance(v[0], list) for v in value):
            if len(value) > MAX_CHANNELS:
                raise bad(qid, field, f"{len(value)} channels is beyond the limit of {MAX_CHANNELS}")
            channels = tuple(_nested_to_grid(g, qid, field) for g in value)
            shapes = {(len(g), len(g[0])) for g in channels}
            if len(shapes) > 1:
                raise bad(qid, field, "all channels must have the same number of rows and columns")
            return _check_size(channels, qid, field)
        if len(value) > MAX_SIDE or any(isinstance(row, list) and len(row) > MAX_SIDE for row in value):
            raise bad(qid, field, f"the matrix is beyond the limit of {MAX_SIDE}x{MAX_SIDE}")
        return _check_size((_nested_to_grid(value, qid, field),), qid, field)
    raise bad(
        qid,
        field,
        f'expected a matrix like "1 2; 3 4" or [[1, 2], [3, 4]], got {_type_name(value)} {value!r}',
    )
