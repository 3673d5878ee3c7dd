"""Max and average pooling cell by cell, forward and backward, with PyTorch's rules.

Max pooling pads with −∞ (a padding cell never wins); average pooling follows
PyTorch's divisor rule: the window is clipped to the padded extent, and
`count_include_pad` decides whether padding cells count. `ceil=True` is
PyTorch's ceil_mode (the lecture's 7x7 → 4x4); the size, including the
last-window rule, comes from `cnntool.arith.formulas.pool_out_len`.

Shapes: image (C, H, W) pooled channel by channel; dout (C, H_out, W_out).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from cnntool.arith.diagnose import fit_warnings
from cnntool.arith.formulas import Formula, explain_pool_out_len, pool_out_len
from cnntool.errors import CnnToolError, ShapeError
from cnntool.explain.matrix import Tensor, freeze, shape, zeros
from cnntool.explain.names import PLAIN, Names
from cnntool.explain.options import Pair
from cnntool.numbers import Grid, Number

MODES = ("max", "avg")


@dataclass(frozen=True)
class PoolSettings:
    """Pooling hyper-parameters; pairs are (rows, columns); stride None means the window size."""

    size: Pair = (2, 2)
    stride: Pair | None = None
    padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    mode: str = "max"
    ceil: bool = False
    count_include_pad: bool = True


@dataclass(frozen=True)
class PoolPlan:
    """A validated pooling: input, settings (stride filled in), output size, formulas."""

    image: Tensor
    settings: PoolSettings
    stride: Pair
    out_shape: Pair
    formulas: tuple[Formula, Formula]
    warnings: tuple[str, ...] = ()
    names: Names = PLAIN


@dataclass(frozen=True)
class PoolStep:
    """One output cell of one channel.

    `window` holds the input values under the window, None for padding or for the part of a
    ceil-mode window that hangs past the padding. Max: `argmax` is the winning input cell.
    Avg: `sum` / `divisor` = value (divisor per PyTorch's count_include_pad rule).
    """

    channel: int
    at: Pair
    rows: tuple[int, ...]
    cols: tuple[int, ...]
    window: Grid
    value: Number
    argmax: Pair | None = None
    sum: Number | None = None
    divisor: int | None = None


@dataclass(frozen=True)
class PoolResult:
    """The finished forward pass: output (C, H_out, W_out) and every step."""

    plan: PoolPlan
    output: Tensor
    steps: tuple[PoolStep, ...]


def plan_pool(image: Tensor, settings: PoolSettings, names: Names = PLAIN) -> PoolPlan:
    """Validate as PyTorch does (padding ≤ size/2, no dilation for avg) and size the output via arith."""
    _, h, w = shape(image)
    if settings.mode not in MODES:
        raise CnnToolError(f"{names.mode}: {settings.mode!r} is not a pooling mode; use 'max' or 'avg'.")
    (kh, kw), (ph, pw), (dh, dw) = settings.size, settings.padding, settings.dilation
    stride = settings.stride or settings.size
    if min(kh, kw, *stride, dh, dw) < 1 or min(ph, pw) < 0:
        raise CnnToolError(
            f"{names.size}, {names.stride} and {names.dilation} must be ≥ 1 and {names.padding} ≥ 0."
        )
    if ph > kh // 2 or pw > kw // 2:
        raise CnnToolError(
            f"{names.padding} {ph}x{pw} is more than half the window {kh}x{kw}; PyTorch requires padding ≤ "
            f"size/2 (otherwise a window could hold padding only). Use a smaller {names.padding}."
        )
    if settings.mode == "avg" and (dh, dw) != (1, 1):
        raise CnnToolError(f"{names.dilation} applies to max pooling only (PyTorch's avg_pool2d has none).")
    out_h = pool_out_len(h, kh, stride[0], (ph, ph), dh, settings.ceil)
    out_w = pool_out_len(w, kw, stride[1], (pw, pw), dw, settings.ceil)
    if out_h < 1 or out_w < 1:
        raise ShapeError(
            f"the pooling window {kh}x{kw} (dilation {dh}x{dw}) is larger than the padded {names.image} "
            f"{h + 2 * ph}x{w + 2 * pw}. Use a smaller {names.size} or more {names.padding}."
        )
    formulas = (
        explain_pool_out_len("H_out", h, kh, stride[0], (ph, ph), dh, settings.ceil),
        explain_pool_out_len("W_out", w, kw, stride[1], (pw, pw), dw, settings.ceil),
    )
    axes = (("H", h, kh, stride[0], (ph, ph), dh), ("W", w, kw, stride[1], (pw, pw), dw))
    warnings = () if settings.ceil else tuple(fit_warnings(axes, pooling=True))
    return PoolPlan(image, settings, stride, (out_h, out_w), formulas, warnings, names)


def _axis(start: int, k: int, d: int, size: int, pad: int) -> tuple[tuple[int, ...], int, int]:
    """Window coordinates along one axis, and the counted extent per PyTorch's avg rule."""
    coords = tuple(start + a * d for a in range(k))
    padded_end = min(start + k, size + pad)  # the clipped-to-padding window, for the divisor
    return coords, padded_end - start, min(padded_end, size) - max(start, 0)


def pool_step(plan: PoolPlan, channel: int, i: int, j: int) -> PoolStep:
    """The step for output cell (i, j) of `channel` (`--at`)."""
    out_h, out_w = plan.out_shape
    if not (0 <= i < out_h and 0 <= j < out_w):
        raise CnnToolError(
            f"{plan.names.at} {i},{j} is outside the {out_h}x{out_w} output; rows go 0..{out_h - 1}, "
            f"columns 0..{out_w - 1}."
        )
    s = plan.settings
    _, h, w = shape(plan.image)
    grid = plan.image[channel]
    rows, area_h, real_h = _axis(i * plan.stride[0] - s.padding[0], s.size[0], s.dilation[0], h, s.padding[0])
    cols, area_w, real_w = _axis(j * plan.stride[1] - s.padding[1], s.size[1], s.dilation[1], w, s.padding[1])
    window = tuple(tuple(grid[r][c] if 0 <= r < h and 0 <= c < w else None for c in cols) for r in rows)
    if s.mode == "max":
        best: tuple[Number, Pair] | None = None
        for r, row in zip(rows, window):
            for c, v in zip(cols, row):
                if v is not None and (best is None or v > best[0]):  # first maximum wins, as in PyTorch
                    best = (v, (r, c))
        assert best is not None  # padding ≤ size/2 guarantees a real cell
        return PoolStep(channel, (i, j), rows, cols, window, best[0], argmax=best[1])
    total = sum((v for row in window for v in row if v is not None), Fraction(0))
    divisor = area_h * area_w if s.count_include_pad else real_h * real_w
    return PoolStep(channel, (i, j), rows, cols, window, total / divisor, sum=total, divisor=divisor)


def pool_steps(plan: PoolPlan) -> Iterator[PoolStep]:
    """Every output cell, channel by channel, in reading order."""
    out_h, out_w = plan.out_shape
    for ch in range(len(plan.image)):
        for i in range(out_h):
            for j in range(out_w):
                yield pool_step(plan, ch, i, j)


def pool2d(image: Tensor, settings: PoolSettings | None = None, names: Names = PLAIN) -> PoolResult:
    """Run the whole pooling and keep every step."""
    plan = plan_pool(image, settings or PoolSettings(), names)
    steps = tuple(pool_steps(plan))
    out_h, out_w = plan.out_shape
    per = out_h * out_w
    output = tuple(
        tuple(
            tuple(s.value for s in steps[ch * per + r * out_w : ch * per + (r + 1) * out_w])
            for r in range(out_h)
        )
        for ch in range(len(image))
    )
    return PoolResult(plan, output, steps)


# --- backward -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolGradStep:
    """Where one output cell's gradient goes: max → all of it to the argmax; avg → g/divisor to each real cell."""

    channel: int
    at: Pair
    grad: Number
    targets: tuple[tuple[Pair, Number], ...]


@dataclass(frozen=True)
class PoolGrads:
    """dL/dx (C, H, W), accumulated over overlapping windows, and the routing steps."""

    dinput: Tensor
    steps: tuple[PoolGradStep, ...]


def check_pool_dout(plan: PoolPlan, dout: Tensor) -> None:
    """dout must be (C, H_out, W_out)."""
    c = len(plan.image)
    out_h, out_w = plan.out_shape
    if shape(dout) != (c, out_h, out_w):
        dc, dh, dw = shape(dout)
        raise ShapeError(
            f"{plan.names.dout} is {dc}x{dh}x{dw} (channels x rows x columns) but the output is "
            f"{c}x{out_h}x{out_w}; give one matrix per channel separated by ';;', or 'ones'."
        )


def pool_backward_steps(plan: PoolPlan, dout: Tensor) -> Iterator[PoolGradStep]:
    """Route each output cell's gradient back through its window."""
    check_pool_dout(plan, dout)
    _, h, w = shape(plan.image)
    for step in pool_steps(plan):
        g = dout[step.channel][step.at[0]][step.at[1]]
        if step.argmax is not None:
            yield PoolGradStep(step.channel, step.at, g, ((step.argmax, g),))
            continue
        share = g / step.divisor
        cells = tuple(((r, c), share) for r in step.rows for c in step.cols if 0 <= r < h and 0 <= c < w)
        yield PoolGradStep(step.channel, step.at, g, cells)


def pool2d_backward(plan: PoolPlan, dout: Tensor) -> PoolGrads:
    """dL/dx for upstream gradient `dout`, summing where windows overlap."""
    _, h, w = shape(plan.image)
    dinput = [zeros(h, w) for _ in plan.image]
    steps = tuple(pool_backward_steps(plan, dout))
    for step in steps:
        for (r, c), amount in step.targets:
            dinput[step.channel][r][c] += amount
    return PoolGrads(tuple(freeze(g) for g in dinput), steps)
