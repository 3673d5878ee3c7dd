"""Is a given answer right? Exact by default, with the tolerance a question states.

Numbers are compared exactly (7/9 is 7/9). A question may accept decimals:
`tolerance = 0.01` (|given − expected| ≤ 0.01), `truncate = 2` (the slides'
style: 7/9 written 0.77) or `decimals = 2` (rounded: 0.78).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cnntool.check.kinds import Expected, cell_work, feasible_work, show
from cnntool.errors import CnnToolError
from cnntool.numbers import format_number

MAX_LISTED_CELLS = 5


@dataclass(frozen=True)
class Verdict:
    """`correct`, plus notes that belong with a wrong answer (which cells, the work for the first one)."""

    correct: bool
    notes: tuple[str, ...] = ()


def exact(value: Any) -> Fraction:
    return (
        value
        if isinstance(value, Fraction)
        else Fraction(repr(value))
        if isinstance(value, float)
        else Fraction(value)
    )


def number_ok(given: Fraction, expected: Any, inputs: dict[str, Any]) -> bool:
    """Exact match, or within the question's tolerance / truncation / rounding."""
    want = exact(expected)
    if given == want:
        return True
    tol = inputs.get("tolerance")
    if tol is not None and abs(given - want) <= tol:
        return True
    if inputs.get("truncate") is not None and given == Fraction(
        format_number(want, truncate=inputs["truncate"])
    ):
        return True
    return inputs.get("decimals") is not None and given == Fraction(
        format_number(want, decimals=inputs["decimals"])
    )


def tensor_shape(tensor: Any) -> tuple[int, int, int]:
    return len(tensor), len(tensor[0]), len(tensor[0][0])


def _compare_tensor(kind: str, inputs: dict[str, Any], want: Any, given: Any) -> Verdict:
    if tensor_shape(given) != tensor_shape(want):
        g, w = tensor_shape(given), tensor_shape(want)

        def size(s):
            return f"{s[1]}x{s[2]}" if s[0] == 1 else "x".join(map(str, s))

        return Verdict(False, (f"your matrix is {size(g)} but the output is {size(w)}",))
    wrong = [
        (c, i, j)
        for c, grid in enumerate(want)
        for i, row in enumerate(grid)
        for j, value in enumerate(row)
        if not number_ok(given[c][i][j], value, inputs)
    ]
    if not wrong:
        return Verdict(True)
    multi = len(want) > 1
    listed = ", ".join(
        f"{'channel ' + str(c) + ' ' if multi else ''}({i}, {j}): you wrote {show(given[c][i][j])}, "
        f"expected {show(want[c][i][j])}"
        for c, i, j in wrong[:MAX_LISTED_CELLS]
    )
    more = f" and {len(wrong) - MAX_LISTED_CELLS} more" if len(wrong) > MAX_LISTED_CELLS else ""
    notes = [f"{len(wrong)} wrong cell(s): {listed}{more}"]
    c, i, j = wrong[0]
    notes.append(cell_work(kind, inputs, c, i, j))
    return Verdict(False, tuple(notes))


def _compare_fix(inputs: dict[str, Any]) -> Verdict:
    fix = inputs.get("fix")
    if not fix:
        return Verdict(True)
    changed = {name: fix.get(name, inputs[name]) for name in ("stride", "padding")}
    ok, text = feasible_work(inputs["input"], inputs["kernel"], changed["stride"], changed["padding"],
                             inputs["dilation"])  # fmt: skip
    if ok:
        return Verdict(True, (f"your fix works: {text}",))
    return Verdict(False, (f"your fix does not make it fit: {text}",))


def compare(kind: str, inputs: dict[str, Any], expected: Expected, given: Any) -> Verdict:
    """Compare a parsed answer with the expected one, by kind."""
    want = expected.value
    if kind in ("conv", "pool"):
        if inputs.get("at") is not None:
            return Verdict(number_ok(given, want, inputs))
        return _compare_tensor(kind, inputs, want, given)
    if kind == "feasible":
        if given != want:
            return Verdict(False)
        return _compare_fix(inputs) if want is False else Verdict(True)
    if kind == "receptive_field":
        if want == "all" or given == "all":
            return Verdict(given == want)
        if len(given) == 1 and len(want) > 1:
            given = given * len(want)
        return Verdict(tuple(given) == tuple(Fraction(w) for w in want))
    if kind == "shape":
        return Verdict(tuple(given) == tuple(want))
    if isinstance(given, bool) or not isinstance(given, int):
        raise CnnToolError(f"expected a whole number, got {given!r}")
    return Verdict(given == want)
