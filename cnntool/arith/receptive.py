"""Receptive field size, jump and start, layer by layer (Araujo et al., Distill 2019).

Forward form: j' = j·s; r' = r + (k_eff − 1)·j; start' = start + ((k_eff − 1)/2 − p_left)·j,
with start the 0-based input coordinate of the centre of the first output cell's
field. ReLU, batchnorm and dropout leave it unchanged; after flatten, dense or
global pooling every output sees the whole input.
"""

from __future__ import annotations

from fractions import Fraction

from cnntool.arith.results import ReceptiveField

Number = int | Fraction  # ints while exact integers (fast), Fractions only for half pixels


def _exact(numerator: int | Fraction, denominator: int = 1) -> Number:
    """numerator/denominator, as an int when it divides (Fractions are slow on 10,000-layer specs)."""
    if isinstance(numerator, int) and numerator % denominator == 0:
        return numerator // denominator
    value = Fraction(numerator, denominator)
    return value.numerator if value.denominator == 1 else value


def initial(spatial: tuple[int, ...]) -> ReceptiveField | None:
    """Each input pixel sees itself: size 1, jump 1, centred on pixel 0."""
    if not spatial:
        return None
    return ReceptiveField((1,) * len(spatial), (1,) * len(spatial), (0,) * len(spatial))


def step(
    rf: ReceptiveField | None, op: tuple | None, input_spatial: tuple[int, ...]
) -> ReceptiveField | None:
    """Move the field through one layer described by its `rf` op (see arith.context.Computed)."""
    if rf is None or op is None:
        return rf
    if rf.whole_input:
        return rf
    kind = op[0]
    if kind == "drop":
        return None
    if kind == "global":
        size = tuple(input_spatial)
        centre = tuple(_exact(n - 1, 2) for n in input_spatial)
        return ReceptiveField(size, rf.jump, centre, whole_input=True)
    if kind == "window":
        _, kernel, stride, pad_left = op
        size = tuple(r + (k - 1) * j for r, k, j in zip(rf.size, kernel, rf.jump))
        start = tuple(
            _exact(2 * s + (k - 1 - 2 * p) * j, 2) for s, k, p, j in zip(rf.start, kernel, pad_left, rf.jump)
        )
        jump = tuple(j * s for j, s in zip(rf.jump, stride))
        return ReceptiveField(size, jump, start)
    if kind == "transpose":
        # An output cell of a stride-s transposed conv depends on ⌈k/s⌉ input cells.
        _, kernel, stride, padding = op
        size = tuple(r + (-(-k // s) - 1) * j for r, k, s, j in zip(rf.size, kernel, stride, rf.jump))
        jump = tuple(_exact(j, s) for j, s in zip(rf.jump, stride))
        start = tuple(
            _exact(2 * s * st + (2 * p - (k - 1)) * j, 2 * s)
            for st, k, s, p, j in zip(rf.start, kernel, stride, padding, rf.jump)
        )
        return ReceptiveField(size, jump, start)
    if kind == "upsample":
        _, scale = op
        jump = tuple(_exact(j, s) for j, s in zip(rf.jump, scale))
        return ReceptiveField(rf.size, jump, rf.start)
    raise ValueError(f"unknown receptive-field op {kind!r}")


def merge(a: ReceptiveField | None, b: ReceptiveField | None) -> ReceptiveField | None:
    """Two paths meet (a residual add): the larger field wins, per axis."""
    if a is None or b is None:
        return a or b
    if a.whole_input or b.whole_input:
        return a if a.whole_input else b
    size = tuple(max(x, y) for x, y in zip(a.size, b.size))
    return ReceptiveField(size, a.jump, a.start)


def _text(value: Number) -> str:
    return str(value) if isinstance(value, int) else f"{float(value):g}"


def explain(before: ReceptiveField | None, op: tuple | None, after: ReceptiveField | None) -> list:
    """'RF = r + (K−1)·j' with the numbers in, for layers with a window (per axis when not square)."""
    from cnntool.arith.formulas import Formula

    if before is None or after is None or op is None or op[0] != "window" or before.whole_input:
        return []
    _, kernel, stride, pad_left = op
    axes = range(len(kernel))
    if len(set(zip(kernel, stride, pad_left, before.size, before.jump))) == 1:
        axes = range(1)
    formulas = []
    for a in axes:
        label = "" if len(axes) == 1 else ("_H", "_W")[a]
        r, j, s0 = before.size[a], before.jump[a], before.start[a]
        formulas.append(
            Formula(
                f"RF{label}", "r + (K−1)·j", f"{_text(r)} + ({kernel[a]}−1)·{_text(j)}", _text(after.size[a])
            )
        )
        formulas.append(Formula(f"jump{label}", "j·S", f"{_text(j)}·{stride[a]}", _text(after.jump[a])))
        formulas.append(
            Formula(
                f"start{label}",
                "start + ((K−1)/2 − P_l)·j",
                f"{_text(s0)} + (({kernel[a]}−1)/2 − {pad_left[a]})·{_text(j)}",
                _text(after.start[a]),
            )
        )
    return formulas
