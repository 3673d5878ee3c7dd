"""Exact numbers for the explainers: parse, format and serialise.

Students check each sum by hand, so the explainers compute with
`fractions.Fraction` (7/9 stays 7/9) and only fall back to floats when the user
typed a decimal or loaded a float array: a float anywhere makes the result a
float, exactly as Python's own `Fraction + float` does.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from cnntool.budgets import BudgetError

Number = Fraction | float
Grid = tuple[tuple[Number, ...], ...]

#: Longest number text read (a 5,000-digit integer would take seconds in exact arithmetic).
MAX_NUMBER_TEXT = 40
_INT = re.compile(r"^[+-]?\d+$")
_FRACTION = re.compile(r"^[+-]?\d+\s*/\s*[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def parse_number(token: str) -> Number | None:
    """`3`, `-1/2` → Fraction; `0.77`, `1e-3` → float; anything else → None (the caller names it)."""
    text = token.strip().replace("\u2212", "-")
    if len(text) > MAX_NUMBER_TEXT:
        raise BudgetError(
            f"the number {text[:12]}… has {len(text):,} characters; cnntool reads numbers of at most "
            f"{MAX_NUMBER_TEXT} characters (integers, decimals and fractions like -1/2)"
        )
    if _INT.match(text):
        return Fraction(int(text))
    if _FRACTION.match(text):
        num, den = (int(part) for part in text.split("/"))
        return None if den == 0 else Fraction(num, den)
    if _DECIMAL.match(text):
        value = float(text)
        return value if math.isfinite(value) else None
    return None


def is_exact(value: Number) -> bool:
    """True for a Fraction (exact), False for a float."""
    return isinstance(value, Fraction)


def _fixed(value: Number, digits: int, truncate: bool) -> str:
    """`digits` places after the point, rounded (half away from zero) or truncated toward zero."""
    # a float is taken at its shortest decimal form, so 0.29 truncates to 0.29, not 0.28
    exact = Fraction(repr(value)) if isinstance(value, float) else value
    scaled = exact * 10**digits
    if truncate:
        whole = math.trunc(scaled)
    else:
        whole = math.floor(abs(scaled) + Fraction(1, 2)) * (1 if scaled >= 0 else -1)
    sign = "-" if whole < 0 else ""
    whole = abs(whole)
    if digits == 0:
        return f"{sign}{whole}"
    text = str(whole).rjust(digits + 1, "0")
    return f"{sign}{text[:-digits]}.{text[-digits:]}"


def format_number(value: Number, decimals: int | None = None, truncate: int | None = None) -> str:
    """How a cell is printed: `7/9` by default, `0.778` with decimals=3, `0.77` with truncate=2.

    The lecture's slides truncate (7/9 → 0.77, −1/9 → −0.11), so `truncate` chops toward
    zero; `decimals` rounds. Floats print in their shortest form unless asked otherwise.
    """
    if truncate is not None:
        return _fixed(value, truncate, truncate=True)
    if decimals is not None:
        return _fixed(value, decimals, truncate=False)
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    if value == int(value) and abs(value) < 1e15:
        return f"{value:.1f}"
    return repr(value)


def to_json(value: Number) -> int | str | float:
    """JSON form: an exact integer as a plain int, another fraction as the string "7/9", a float as a float."""
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    return float(value)


def grid_to_json(grid: Grid | list) -> list:
    """Nested tuples/lists of numbers → nested lists of JSON values (None stays None)."""
    if isinstance(grid, (list, tuple)):
        return [grid_to_json(item) for item in grid]
    return None if grid is None else to_json(grid)
