"""Transposed convolution cell by cell: each input cell stamps a scaled copy of the kernel.

This is the "scatter" view students draw: input (i, j) with value v adds
v·w[a, b] to output (i·s − p + a·d, j·s − p + b·d); stamps overlap and add up,
and padding crops the border. It matches PyTorch's conv_transpose2d with one
output channel; the size comes from `arith.formulas.conv_transpose_out_len`.

Shapes: image (C_in, H, W), kernel (C_in, kh, kw) — weight[:, 0] in PyTorch's
(C_in, C_out, kh, kw) layout.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from cnntool.arith.formulas import Formula, conv_transpose_out_len, explain_conv_transpose_out_len
from cnntool.errors import CnnToolError, ShapeError
from cnntool.explain.matrix import Tensor, freeze, shape, zeros
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


def plan_conv_transpose(image: Tensor, kernel: Tensor, settings: ConvTSettings) -> ConvTPlan:
    """Check shapes and PyTorch's output_padding rule; size the output via arith."""
    c, h, w = shape(image)
    kc, kh, kw = shape(kernel)
    if kc != c:
        raise ShapeError(
            f"--kernel has {kc} channel(s) but --image has {c}: give one kernel block per input "
            "channel, separated by ';;'."
        )
    s, p, op, d = settings.stride, settings.padding, settings.output_padding, settings.dilation
    if min(*s, *d) < 1 or min(*p, *op) < 0:
        raise CnnToolError("--stride and --dilation must be ≥ 1; --padding and --output-padding ≥ 0.")
    for axis in range(2):
        if op[axis] >= max(s[axis], d[axis]):
            raise CnnToolError(
                f"--output-padding {op[axis]} must be smaller than the stride or the dilation "
                f"(here {max(s[axis], d[axis])}), as in PyTorch."
            )
    out_h = conv_transpose_out_len(h, kh, s[0], p[0], op[0], d[0])
    out_w = conv_transpose_out_len(w, kw, s[1], p[1], op[1], d[1])
    if out_h < 1 or out_w < 1:
        raise ShapeError(
            f"--padding {p[0]}x{p[1]} crops {2 * p[0]} rows and {2 * p[1]} columns from a "
            f"{out_h + 2 * p[0]}x{out_w + 2 * p[1]} output, leaving nothing; use less padding."
        )
    formulas = (
        explain_conv_transpose_out_len("H_out", h, kh, s[0], p[0], op[0], d[0]),
        explain_conv_transpose_out_len("W_out", w, kw, s[1], p[1], op[1], d[1]),
    )
    return ConvTPlan(image, kernel, settings, (out_h, out_w), formulas)


def conv_transpose_steps(plan: ConvTPlan) -> Iterator[ConvTStep]:
    """One stamp per input cell, channel by channel, in reading order."""
    _, kh, kw = shape(plan.kernel)
    s, p, d = plan.settings.stride, plan.settings.padding, plan.settings.dilation
    for ch, grid in enumerate(plan.image):
        kernel = plan.kernel[ch]
        for i, row in enumerate(grid):
            for j, v in enumerate(row):
                products = tuple(tuple(v * k for k in krow) for krow in kernel)
                rows = tuple(i * s[0] - p[0] + a * d[0] for a in range(kh))
                cols = tuple(j * s[1] - p[1] + b * d[1] for b in range(kw))
                yield ConvTStep(ch, (i, j), v, kernel, products, rows, cols)


def conv_transpose2d(image: Tensor, kernel: Tensor, settings: ConvTSettings | None = None) -> ConvTResult:
    """Add up every stamp (cropping the padding), then the bias."""
    plan = plan_conv_transpose(image, kernel, settings or ConvTSettings())
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
