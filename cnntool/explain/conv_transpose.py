"""Transposed convolution cell by cell: each input cell stamps a scaled copy of the kernel.

This is the "scatter" view students draw: input (i, j) with value v adds
v·w[a, b] to output (i·s − p + a·d, j·s − p + b·d); stamps overlap and add up,
and padding crops the border. It matches PyTorch's conv_transpose2d with one
output channel; the size comes from `arith.formulas.conv_transpose_out_len`.

The backward pass reads the same stamps the other way round: an input cell's
gradient is the dout under its stamp times the kernel, a weight's gradient the
dout cells it was added to times the inputs that stamped them.

Shapes: image (C_in, H, W), kernel (C_in, kh, kw) — weight[:, 0] in PyTorch's
(C_in, C_out, kh, kw) layout — dout (H_out, W_out).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from cnntool.arith.formulas import Formula, conv_transpose_out_len, explain_conv_transpose_out_len
from cnntool.errors import CnnToolError, ShapeError
from cnntool.explain.conv import ConvGrads, GradStep, grads_from_steps
from cnntool.explain.matrix import Tensor, freeze, shape, zeros
from cnntool.explain.names import PLAIN, Names
from cnntool.explain.options import Pair
from cnntool.numbers import Grid, Number


@dataclass(frozen=True)
class ConvTSettings:
    """Transposed-conv hyper-parameters, pairs as (rows, columns); padding is symmetric as in PyTorch."""

    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    output_padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    bias: Number = Fraction(0)


@dataclass(frozen=True)
class ConvTPlan:
    """A validated transposed convolution and its output size."""

    image: Tensor
    kernel: Tensor
    settings: ConvTSettings
    out_shape: Pair
    formulas: tuple[Formula, Formula]
    names: Names = PLAIN


@dataclass(frozen=True)
class ConvTStep:
    """Input cell `at` of `channel` (value `value`) adds `products` = value·kernel at output rows × cols.

    Coordinates outside 0..H_out-1 fall in the cropped padding and are dropped.
    """

    channel: int
    at: Pair
    value: Number
    kernel: Grid
    products: Grid
    rows: tuple[int, ...]
    cols: tuple[int, ...]


@dataclass(frozen=True)
class ConvTResult:
    """The finished output (H_out, W_out), bias included, and every stamp."""

    plan: ConvTPlan
    output: Grid
    steps: tuple[ConvTStep, ...]


def plan_conv_transpose(
    image: Tensor, kernel: Tensor, settings: ConvTSettings, names: Names = PLAIN
) -> ConvTPlan:
    """Check shapes and PyTorch's output_padding rule; size the output via arith."""
    c, h, w = shape(image)
    kc, kh, kw = shape(kernel)
    if kc != c:
        raise ShapeError(
            f"{names.kernel} has {kc} channel(s) but {names.image} has {c}: give one kernel block per input "
            "channel, separated by ';;'."
        )
    s, p, op, d = settings.stride, settings.padding, settings.output_padding, settings.dilation
    if min(*s, *d) < 1 or min(*p, *op) < 0:
        raise CnnToolError(
            f"{names.stride} and {names.dilation} must be ≥ 1; {names.padding} and {names.output_padding} ≥ 0."
        )
    for axis in range(2):
        if op[axis] >= max(s[axis], d[axis]):
            raise CnnToolError(
                f"{names.output_padding} {op[axis]} must be smaller than the stride or the dilation "
                f"(here {max(s[axis], d[axis])}), as in PyTorch."
            )
    out_h = conv_transpose_out_len(h, kh, s[0], p[0], op[0], d[0])
    out_w = conv_transpose_out_len(w, kw, s[1], p[1], op[1], d[1])
    if out_h < 1 or out_w < 1:
        raise ShapeError(
            f"{names.padding} {p[0]}x{p[1]} crops {2 * p[0]} rows and {2 * p[1]} columns from a "
            f"{out_h + 2 * p[0]}x{out_w + 2 * p[1]} output, leaving nothing; use less {names.padding}."
        )
    formulas = (
        explain_conv_transpose_out_len("H_out", h, kh, s[0], p[0], op[0], d[0]),
        explain_conv_transpose_out_len("W_out", w, kw, s[1], p[1], op[1], d[1]),
    )
    return ConvTPlan(image, kernel, settings, (out_h, out_w), formulas, names)


def conv_transpose_steps(plan: ConvTPlan) -> Iterator[ConvTStep]:
    """One stamp per input cell, channel by channel, in reading order."""
    c, h, w = shape(plan.image)
    for ch in range(c):
        for i in range(h):
            for j in range(w):
                yield conv_transpose_step(plan, ch, i, j)


def stamp_coords(plan: ConvTPlan, i: int, j: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Output rows and columns that input cell (i, j)'s stamp covers (outside 0..H_out-1: cropped)."""
    _, kh, kw = shape(plan.kernel)
    s, p, d = plan.settings.stride, plan.settings.padding, plan.settings.dilation
    return (
        tuple(i * s[0] - p[0] + a * d[0] for a in range(kh)),
        tuple(j * s[1] - p[1] + b * d[1] for b in range(kw)),
    )


def conv_transpose_step(plan: ConvTPlan, channel: int, i: int, j: int) -> ConvTStep:
    """The stamp of input cell (i, j) of `channel` alone (a chosen cell)."""
    _, h, w = shape(plan.image)
    if not (0 <= i < h and 0 <= j < w):
        raise CnnToolError(
            f"{plan.names.at} {i},{j} is outside the {h}x{w} input; rows go 0..{h - 1}, columns 0..{w - 1}."
        )
    v, kernel = plan.image[channel][i][j], plan.kernel[channel]
    products = tuple(tuple(v * k for k in krow) for krow in kernel)
    return ConvTStep(channel, (i, j), v, kernel, products, *stamp_coords(plan, i, j))


def conv_transpose2d(
    image: Tensor, kernel: Tensor, settings: ConvTSettings | None = None, names: Names = PLAIN
) -> ConvTResult:
    """Add up every stamp (cropping the padding), then the bias."""
    plan = plan_conv_transpose(image, kernel, settings or ConvTSettings(), names)
    out_h, out_w = plan.out_shape
    out = zeros(out_h, out_w)
    steps = tuple(conv_transpose_steps(plan))
    for step in steps:
        for r, prow in zip(step.rows, step.products):
            for c, v in zip(step.cols, prow):
                if 0 <= r < out_h and 0 <= c < out_w:
                    out[r][c] += v
    bias = plan.settings.bias
    return ConvTResult(plan, freeze([[v + bias for v in row] for row in out]), steps)


# --- backward -------------------------------------------------------------------------------


def check_convt_dout(plan: ConvTPlan, dout: Grid) -> None:
    """dout must have the output's shape."""
    out_h, out_w = plan.out_shape
    if (len(dout), len(dout[0])) != (out_h, out_w):
        raise ShapeError(
            f"{plan.names.dout} is {len(dout)}x{len(dout[0])} but the output is {out_h}x{out_w}; give a "
            f"{out_h}x{out_w} matrix or 'ones'."
        )


def _dout_at(dout: Grid, r: int, c: int) -> tuple[Number, Pair | None]:
    """dout[r][c] and its position, or 0 and None where the stamp fell in the cropped padding."""
    if 0 <= r < len(dout) and 0 <= c < len(dout[0]):
        return dout[r][c], (r, c)
    return Fraction(0), None


def _grad_step(target: str, ch: int, at: Pair, cells: list[list[tuple[Number, Pair | None]]],
               kernel: Grid) -> GradStep:  # fmt: skip
    window = tuple(tuple(v for v, _ in row) for row in cells)
    sources = tuple(tuple(src for _, src in row) for row in cells)
    products = tuple(tuple(x * k for x, k in zip(wr, kr)) for wr, kr in zip(window, kernel))
    total = sum((v for row in products for v in row), Fraction(0))
    return GradStep(target, ch, at, window, kernel, products, total, Fraction(1), total, sources)


def conv_transpose_backward_steps(plan: ConvTPlan, dout: Grid) -> Iterator[GradStep]:
    """dW cell by cell, then dx cell by cell, then db.

    target "dW" (weight a, b of a channel): window = the dout cells that weight was added to, one
    per input cell (0 where cropped), kernel = that channel's input; `sources` = the dout cells.
    target "dx" (input cell i, j): window = the dout under that cell's stamp, kernel = the kernel.
    target "db": window = dout, kernel = ones.
    """
    check_convt_dout(plan, dout)
    c, h, w = shape(plan.image)
    _, kh, kw = shape(plan.kernel)
    coords = {(i, j): stamp_coords(plan, i, j) for i in range(h) for j in range(w)}
    for ch in range(c):
        for a in range(kh):
            for b in range(kw):
                cells = [[_dout_at(dout, coords[i, j][0][a], coords[i, j][1][b]) for j in range(w)]
                         for i in range(h)]  # fmt: skip
                yield _grad_step("dW", ch, (a, b), cells, plan.image[ch])
    for ch in range(c):
        for i in range(h):
            for j in range(w):
                rows, cols = coords[i, j]
                cells = [[_dout_at(dout, r, q) for q in cols] for r in rows]
                yield _grad_step("dx", ch, (i, j), cells, plan.kernel[ch])
    ones = tuple(tuple(Fraction(1) for _ in row) for row in dout)
    total = sum((v for row in dout for v in row), Fraction(0))
    yield GradStep("db", 0, (0, 0), dout, ones, dout, total, Fraction(1), total)


def conv_transpose2d_backward(plan: ConvTPlan, dout: Grid) -> ConvGrads:
    """dL/dW (C, kh, kw), dL/dx (C, H, W) and dL/db of a transposed convolution, with their steps."""
    c, h, w = shape(plan.image)
    _, kh, kw = shape(plan.kernel)
    return grads_from_steps(tuple(conv_transpose_backward_steps(plan, dout)), c, (h, w), (kh, kw))
