"""Parse the small option values the explainers take: `2`, `2x3`, `same`, `1,1`, `1,0,-1/2`.

Lives in the pure core (not the CLI) so the TUI and tests parse exactly as the
command line does and get the same error messages.
"""

from __future__ import annotations

import re

from cnntool.arith.formulas import same_padding
from cnntool.errors import CnnToolError
from cnntool.numbers import Number, parse_number

Pair = tuple[int, int]
Padding = tuple[tuple[int, int], tuple[int, int]]

_PAIR = re.compile(r"^\s*(-?\d+)\s*(?:[x×,]\s*(-?\d+))?\s*$")


def parse_pair(text: str | int, what: str, minimum: int = 1) -> Pair:
    """`2` → (2, 2); `2x3` or `2,3` → (2, 3) as (rows, columns); each must be ≥ minimum."""
    match = _PAIR.match(str(text))
    if not match:
        raise CnnToolError(f"{what}: {text!r} is not a number or a pair like 2x3 (rows x columns).")
    first = int(match.group(1))
    second = int(match.group(2)) if match.group(2) is not None else first
    if first < minimum or second < minimum:
        raise CnnToolError(f"{what}: {text!r} must be at least {minimum}.")
    return first, second


def parse_padding(
    text: str | int, kernel: Pair, dilation: Pair, stride: Pair, what: str = "padding"
) -> Padding:
    """`1`, `1x2`, `valid` (0) or `same` (PyTorch's, stride 1 only) → ((top, bottom), (left, right)).

    `same` comes from arith.same_padding, so an even kernel puts the extra row and
    column at the bottom/right exactly as PyTorch does.
    """
    word = str(text).strip().lower()
    if word == "valid":
        return (0, 0), (0, 0)
    if word == "same":
        if stride != (1, 1):
            raise CnnToolError(
                f"{what}: 'same' needs stride 1 (PyTorch refuses it otherwise); got stride "
                f"{stride[0]}x{stride[1]}. Give the padding as a number instead."
            )
        return same_padding(kernel[0], dilation[0]), same_padding(kernel[1], dilation[1])
    try:
        rows, cols = parse_pair(word, what, minimum=0)
    except CnnToolError:
        raise CnnToolError(
            f"{what}: {text!r} is not a padding. Use a number (1), rows x columns (1x2), 'same' or 'valid'."
        ) from None
    return (rows, rows), (cols, cols)


def parse_index(text: str, what: str) -> Pair:
    """`i,j` (also `i j` or `ixj`) → (i, j), signed, for --at and --shift."""
    match = re.match(r"^\s*(-?\d+)\s*[, x×]\s*(-?\d+)\s*$", text)
    if not match:
        raise CnnToolError(f"{what}: {text!r} is not a pair of integers like 1,2 (row,column).")
    return int(match.group(1)), int(match.group(2))


def parse_numbers(text: str, what: str) -> tuple[Number, ...]:
    """`1` → (1,); `1, -1/2, 0` (commas, spaces or `|`) → one number per filter, exact where possible."""
    tokens = [t for t in re.split(r"[\s,|]+", str(text).strip()) if t]
    if not tokens:
        raise CnnToolError(f"{what}: give a number such as 0, -1/2 or 0.5 (or one per filter: 1,0,-1).")
    values = []
    for token in tokens:
        value = parse_number(token)
        if value is None:
            raise CnnToolError(f"{what}: {token!r} is not a number (integer, decimal or fraction like -1/2).")
        values.append(value)
    return tuple(values)
