"""Turn TOML values from answer files into exact Python values, or say which field is wrong.

Students write the same number many ways (`34944`, `"34,944"`, `"7/9"`, `0.77`,
`"10x32x32"`, `[10, 32, 32]`); each parser accepts the reasonable spellings and
rejects anything else with a message naming the file, the question id and the
field (a `Where`), because a typo should be fixed by the student, not graded as
a wrong answer. Numbers stay exact (`Fraction`); a decimal is taken at its
written value. `cnntool.check.schema` says which parser reads which field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from cnntool.check.toml_io import AnswerFileError
from cnntool.errors import CnnToolError
from cnntool.explain.matrix import Tensor, parse_tensor
from cnntool.numbers import MAX_NUMBER_TEXT, Grid, parse_number

MAX_SIDE = 64
MAX_CHANNELS = 8
MAX_INT = 10**15

_INT_TEXT = re.compile(r"^[+-]?\d{1,3}([,_ ]\d{3})+$|^[+-]?\d+$")
_SHAPE_TEXT = re.compile(r"^\(?\s*\d+(\s*[x×*,]\s*\d+)*\s*,?\s*\)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Where:
    """A place in an answer file, for messages: the file, the question (id, or position before
    the id is known; neither for a top-level field) and the field.

    str(Where("a.toml", "q1", "stride")) == "a.toml: question 'q1', field 'stride'".
    """

    file: str = "<answers>"
    qid: str | None = None
    field: str = ""
    position: int | None = None

    def at(self, field: str) -> Where:
        return replace(self, field=field)

    def suffixed(self, suffix: str) -> Where:
        """A part of this field: `image[0][1]`, `fix.padding`."""
        return replace(self, field=self.field + suffix)

    def __str__(self) -> str:
        if self.qid is not None:
            place = f"question {self.qid!r}, field {self.field!r}"
        elif self.position is not None:
            place = f"question #{self.position}, field {self.field!r}"
        else:
            place = f"top-level field {self.field!r}"
        return f"{self.file}: {place}"

    def error(self, message: str) -> AnswerFileError:
        return AnswerFileError(f"{self}: {message}")


def _got(value: Any) -> str:
    """What the file holds, as TOML writes it: 'a boolean true', 'a string 'x'', 'a list [1, 2]'."""
    kind = {bool: "a boolean", int: "an integer", float: "a decimal", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)  # fmt: skip
    shown = ("true" if value else "false") if isinstance(value, bool) else repr(value)
    return f"{kind} {shown}"


def _too_long(text: str, at: Where) -> AnswerFileError:
    return at.error(
        f"the number {text[:12]}… has {len(text):,} characters; cnntool reads numbers of at most "
        f"{MAX_NUMBER_TEXT} characters"
    )


def check_number_text(value: Any, at: Where, one_number: bool = False) -> None:
    """The one length rule for numbers in answer files (numbers.MAX_NUMBER_TEXT characters), checked
    on text and on TOML integers before anything converts them, so 5,000 digits cost nothing.

    `one_number`: the whole text is one number ("34 944" too), else each run of digits counts.
    """
    if isinstance(value, str):
        runs = [value.strip()] if one_number else re.findall(r"\d+", value)
        longest = max((len(run) for run in runs), default=0)
        if longest > MAX_NUMBER_TEXT:
            raise _too_long(value.strip(), at)
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4 * MAX_NUMBER_TEXT:
        raise at.error(f"a whole number of about {value.bit_length() * 0.30103:,.0f} digits is too long; "
                       f"cnntool reads numbers of at most {MAX_NUMBER_TEXT} characters")  # fmt: skip


def as_int(value: Any, at: Where, minimum: int | None = None, maximum: int = MAX_INT) -> int:
    """An integer, as a TOML integer, a whole decimal (760.0) or text with separators ("34,944")."""
    check_number_text(value, at, one_number=True)
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
        raise at.error(f'expected a whole number like 760 or "34,944", got {_got(value)}')
    if minimum is not None and number < minimum:
        raise at.error(f"must be at least {minimum}, got {number}")
    if abs(number) > maximum:
        raise at.error(f"{number} is larger than the limit {maximum:,}")
    return number


def as_bool(value: Any, at: Where) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "false", "no"):
        return value.strip().lower() in ("true", "yes")
    raise at.error(f"expected true or false, got {_got(value)}")


def as_str(value: Any, at: Where, choices: tuple[str, ...] = (), max_len: int = 4096) -> str:
    if not isinstance(value, str):
        raise at.error(f"expected a string, got {_got(value)}")
    if len(value) > max_len:
        raise at.error(f"is {len(value):,} characters long; the limit is {max_len:,}")
    if choices and value.strip().lower() not in choices:
        raise at.error(f"{value!r} is not one of {', '.join(choices)}")
    return value.strip().lower() if choices else value


def as_number(value: Any, at: Where) -> Fraction:
    """An exact number: 3, -1/2 (as "−1/2"), 0.77 or "0.77" (the decimal as written)."""
    check_number_text(value, at)
    if isinstance(value, bool):
        raise at.error(f"expected a number, got {_got(value)}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise at.error(f"expected a finite number, got {value!r}")
        return Fraction(repr(value))
    if isinstance(value, str):
        try:
            parsed = parse_number(value.replace(",", "") if "/" not in value else value)
        except CnnToolError:  # the length budget of numbers.parse_number
            raise _too_long(value.strip(), at) from None
        if parsed is not None:
            return parsed if isinstance(parsed, Fraction) else Fraction(value.strip().replace("\u2212", "-"))
    raise at.error(f'expected a number like 7, "7/9" or 0.77, got {_got(value)}')


def as_pair(value: Any, at: Where, minimum: int = 1) -> tuple[int, int]:
    """`2` → (2, 2); `[2, 3]` or `"2x3"` → (rows, columns)."""
    check_number_text(value, at)
    if isinstance(value, list):
        if len(value) != 2:
            raise at.error(f"expected one number or [rows, columns], got a list of {len(value)}")
        a, b = (as_int(v, at, minimum, 10_000) for v in value)
        return a, b
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*[x×,]\s*\d+\s*", value):
        a, b = (int(v) for v in re.split(r"[x×,]", value))
        return as_int(a, at, minimum, 10_000), as_int(b, at, minimum, 10_000)
    number = as_int(value, at, minimum, 10_000)
    return number, number


def as_shape(value: Any, at: Where) -> tuple[int, ...]:
    """A shape: [10, 32, 32], "10x32x32", "10×32×32", "(10, 32, 32)" or a plain 20."""
    check_number_text(value, at)
    if isinstance(value, list) and value:
        return tuple(as_int(v, at, 0) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return (as_int(value, at, 0),)
    if isinstance(value, str) and _SHAPE_TEXT.match(value.strip()):
        return tuple(int(v) for v in re.findall(r"\d+", value))
    raise at.error(f'expected a shape like [10, 32, 32] or "10x32x32", got {_got(value)}')


def as_receptive_field(value: Any, at: Where) -> tuple[Fraction, ...] | str:
    """A receptive field: 5 (square), [5, 5], "5x5", or "all" (after flatten/dense)."""
    if isinstance(value, str) and value.strip().lower() in ("all", "whole", "whole input"):
        return "all"
    if isinstance(value, list) and value:
        return tuple(as_number(v, at) for v in value)
    if isinstance(value, str) and not _SHAPE_TEXT.match(value.strip()):
        return (as_number(value, at),)
    return tuple(Fraction(v) for v in as_shape(value, at))


def _exact(tensor: Tensor) -> Tensor:
    """Decimals typed as text come back from the explain parser as floats; keep them exact."""
    return tuple(
        tuple(tuple(v if isinstance(v, Fraction) else Fraction(repr(v)) for v in row) for row in grid)
        for grid in tensor
    )


def _check_size(tensor: Tensor, at: Where) -> Tensor:
    tensor = _exact(tensor)
    c, h, w = len(tensor), len(tensor[0]), len(tensor[0][0])
    if c > MAX_CHANNELS or h > MAX_SIDE or w > MAX_SIDE:
        raise at.error(
            f"a {c}x{h}x{w} matrix is beyond the limit of {MAX_CHANNELS} channels of {MAX_SIDE}x{MAX_SIDE}",
        )
    return tensor


def _nested_to_grid(rows: list, at: Where) -> Grid:
    grid = []
    for r, row in enumerate(rows):
        if not isinstance(row, list) or not row:
            raise at.error(f"row {r + 1} is not a non-empty list of numbers")
        if len(row) != len(rows[0]):
            raise at.error(f"row {r + 1} has {len(row)} entries but row 1 has {len(rows[0])}")
        grid.append(tuple(as_number(v, at.suffixed(f"[{r}][{c}]")) for c, v in enumerate(row)))
    return tuple(grid)


def as_tensor(value: Any, at: Where) -> Tensor:
    """A matrix: "1 2; 3 4" (channels split by ';;'), a lecture sample name ("x", "diag"), or nested lists.

    `@file` references are refused: an answer file is data and must not make the
    grader read other files.
    """
    if isinstance(value, str):
        if len(value) > 20_000:
            raise at.error("the matrix text is beyond the limit of 20,000 characters")
        if value.strip().startswith("@"):
            raise at.error("write the matrix inline; '@file' references are not read from answer files")
        try:
            return _check_size(parse_tensor(value, str(at)), at)
        except AnswerFileError:
            raise
        except CnnToolError as exc:  # the explain parser's message, always with this field's place
            message = str(exc)
            raise (AnswerFileError(message) if message.startswith(str(at)) else at.error(message)) from None
    if isinstance(value, list) and value:
        if all(isinstance(v, list) and v and isinstance(v[0], list) for v in value):
            if len(value) > MAX_CHANNELS:
                raise at.error(f"{len(value)} channels is beyond the limit of {MAX_CHANNELS}")
            channels = tuple(_nested_to_grid(g, at) for g in value)
            shapes = {(len(g), len(g[0])) for g in channels}
            if len(shapes) > 1:
                raise at.error("all channels must have the same number of rows and columns")
            return _check_size(channels, at)
        if len(value) > MAX_SIDE or any(isinstance(row, list) and len(row) > MAX_SIDE for row in value):
            raise at.error(f"the matrix is beyond the limit of {MAX_SIDE}x{MAX_SIDE}")
        return _check_size((_nested_to_grid(value, at),), at)
    raise at.error(
        f'expected a matrix like "1 2; 3 4" or [[1, 2], [3, 4]], got {_got(value)}',
    )
