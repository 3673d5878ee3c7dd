"""The types an answer-file field can hold: each parses a TOML value and says how the docs describe it.

A field type is a small object with `parse(raw, where)` (the TOML value → an exact
Python value, or an `AnswerFileError` naming the file, question and field) and
`doc`. The parsing itself, with its hand-written messages, is in `values`; the
table that says which field has which type is `cnntool.check.schema`. Plain classes,
not dataclasses: `cnntool check` starts about 10 ms sooner without generating their methods.
"""

from __future__ import annotations

from typing import Any, Protocol

from cnntool.check import values as v
from cnntool.check.values import Where


class FieldType(Protocol):
    """What a field holds: `parse` turns the TOML value into a Python value; `doc` describes it."""

    @property
    def doc(self) -> str: ...

    def parse(self, raw: Any, at: Where) -> Any: ...


class Integer:
    __slots__ = ("maximum", "minimum")

    def __init__(self, minimum: int | None = None, maximum: int = v.MAX_INT) -> None:
        self.minimum, self.maximum = minimum, maximum

    def parse(self, raw: Any, at: Where) -> int:
        return v.as_int(raw, at, self.minimum, self.maximum)

    @property
    def doc(self) -> str:
        if self.minimum is None:
            return 'whole number: `760` or `"34,944"`'
        return f"whole number, {self.minimum} to {self.maximum:,}"


class Number:
    """An exact number; `meaning` replaces the range message where a bare range would puzzle."""

    __slots__ = ("maximum", "meaning", "minimum")

    def __init__(self, minimum: int | None = None, maximum: int | None = None, meaning: str = "") -> None:
        self.minimum, self.maximum, self.meaning = minimum, maximum, meaning

    def parse(self, raw: Any, at: Where) -> Any:
        value = v.as_number(raw, at)
        low = self.minimum is not None and value < self.minimum
        high = self.maximum is not None and value > self.maximum
        if low or high:
            if self.meaning:
                raise at.error(f"is {self.meaning}, {self.minimum} to {self.maximum}; got {float(value):g}")
            if self.maximum is None:
                raise at.error(f"must be ≥ {self.minimum}")
            raise at.error(f"must be between {self.minimum} and {self.maximum}, got {float(value):g}")
        return value

    @property
    def doc(self) -> str:
        text = 'exact number: `3`, `"7/9"` or `0.77`'
        if self.minimum is not None and self.maximum is not None:
            return f"{text}, {self.minimum} to {self.maximum}"
        return f"{text}, ≥ {self.minimum}" if self.minimum is not None else text


class Boolean:
    doc = "`true` or `false`"

    def parse(self, raw: Any, at: Where) -> bool:
        return v.as_bool(raw, at)


class Text:
    __slots__ = ("max_len",)

    def __init__(self, max_len: int = 4096) -> None:
        self.max_len = max_len

    def parse(self, raw: Any, at: Where) -> str:
        return v.as_str(raw, at, max_len=self.max_len)

    @property
    def doc(self) -> str:
        return f"text (at most {self.max_len:,} characters)"


class Choice:
    __slots__ = ("options",)

    def __init__(self, options: tuple[str, ...]) -> None:
        self.options = options

    def parse(self, raw: Any, at: Where) -> str:
        return v.as_str(raw, at, self.options)

    @property
    def doc(self) -> str:
        return " | ".join(f'`"{option}"`' for option in self.options)


class Pair:
    """One size for both axes, or [rows, columns]."""

    __slots__ = ("minimum",)

    def __init__(self, minimum: int = 1) -> None:
        self.minimum = minimum

    def parse(self, raw: Any, at: Where) -> tuple[int, int]:
        return v.as_pair(raw, at, self.minimum)

    @property
    def doc(self) -> str:
        return f'`n`, `[rows, columns]` or `"2x3"`; each ≥ {self.minimum}'


class Padding:
    doc = '`n ≥ 0`, `[rows, columns]`, `"same"` or `"valid"`'

    def parse(self, raw: Any, at: Where) -> tuple[int, int] | str:
        if isinstance(raw, str) and raw.strip().lower() in ("same", "valid"):
            return raw.strip().lower()
        return v.as_pair(raw, at, 0)


class Matrix:
    doc = (
        'matrix: `"1 2; 3 4"` (channels split by `;;`), a lecture sample (`"x"`, `"diag"`) '
        "or `[[1, 2], [3, 4]]`"
    )

    def parse(self, raw: Any, at: Where) -> Any:
        return v.as_tensor(raw, at)


class Layer:
    doc = '1-based layer number (as `cnntool summary` numbers them) or `"last"`'

    def parse(self, raw: Any, at: Where) -> int | str:
        if isinstance(raw, str) and raw.strip().lower() == "last":
            return "last"
        return v.as_int(raw, at, 1, 10_000)


class Fix:
    doc = "`{ padding = n }` or `{ stride = n }`"

    def parse(self, raw: Any, at: Where) -> dict[str, int]:
        if not isinstance(raw, dict) or not raw or set(raw) - {"padding", "stride"}:
            raise at.error("expected a table like { padding = 1 } or { stride = 1 }")
        return {
            name: v.as_int(value, at.suffixed(f".{name}"), 0 if name == "padding" else 1, 10_000)
            for name, value in sorted(raw.items())
        }


class Shape:
    doc = 'shape: `"10x32x32"`, `[10, 32, 32]` or `"(10, 32, 32)"`'

    def parse(self, raw: Any, at: Where) -> tuple[int, ...]:
        return v.as_shape(raw, at)


class ReceptiveField:
    doc = '`5` (square), `[5, 5]`, `"5x5"`, or `"all"` (the whole input)'

    def parse(self, raw: Any, at: Where) -> Any:
        return v.as_receptive_field(raw, at)


class OutputMatrix:
    doc = "matrix (as for `image`; a 1x1 output may be a plain number)"

    def parse(self, raw: Any, at: Where) -> Any:
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            raw = [[raw]]  # a 1x1 output written as a plain number
        return v.as_tensor(raw, at)


class Cell:
    doc = 'one number: `"7/9"`, `0.77` (`[[0.77]]` is accepted too)'

    def parse(self, raw: Any, at: Where) -> Any:
        while isinstance(raw, list) and len(raw) == 1:  # [[0.77]] for one cell is fine
            raw = raw[0]
        return v.as_number(raw, at)


class Ident:
    doc = "short text (at most 64 characters) or a whole number; unique in the file"

    def parse(self, raw: Any, at: Where) -> str:
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)
        if not isinstance(raw, str) or not raw.strip() or len(raw) > 64:
            raise at.error(f"expected a short string, got {raw!r}")
        return raw.strip()
