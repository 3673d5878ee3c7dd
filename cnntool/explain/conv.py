"""Convolution cell by cell, forward and backward, as Step dataclasses.

Cross-correlation like PyTorch's conv2d by default (`flip=True` gives true
convolution); `normalize=True` divides each sum by the window size as the
lecture's X/O slides do. Sizes come from `cnntool.arith.formulas`, never from
here. Each public `*_steps` function is a generator so a TUI can animate it;
`conv2d` / `conv2d_backward` collect the steps and the finished maps.

Shapes: image (C, H, W), kernel (C, kh, kw) — one filter, so one output map —
dout (H_out, W_out). Several filters are several plans (`filter` numbers them);
`cnntool.explain.api` runs them together.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from cnntool.arith.diagnose import fit_warnings
from cnntool.arith.formulas import Formula, conv_out_len, explain_conv_out_len
from cnntool.errors import CnnToolError, ShapeError
from cnntool.explain.matrix import Tensor, flip, freeze, shape, zeros
from cnntool.explain.names import PLAIN, Names
from cnntool.explain.options import Padding, Pair
from cnntool.numbers import Grid, Number


@dataclass(frozen=True)
class ConvSettings:
    """Hyper-parameters of one explained convolution (all pairs are (rows, columns))."""

    stride: Pair = (1, 1)
    padding: Padding = ((0, 0), (0, 0))
    dilation: Pair = (1, 1)
    bias: Number = Fraction(0)
    flip: bool = False
    normalize: bool = False


@dataclass(frozen=True)
class ConvPlan:
    """A validated convolution of one filter: inputs, the effective (maybe flipped) kernel, sizes, warnings.

    `filter` is this kernel's number among several (0 for one); `names` word the errors.
    """

    image: Tensor
    kernel: Tensor
    settings: ConvSettings
    weights: Tensor  # the kernel actually slid over the image (flipped when settings.flip)
    out_shape: Pair
    formulas: tuple[Formula, Formula]
    warnings: tuple[str, ...]
    filter: int = 0
    names: Names = PLAIN

    @property
    def divisor(self) -> int | None:
        """Window size the sum is divided by (normalize), else None."""
        if not self.settings.normalize:
            return None
        c, kh, kw = shape(self.kernel)
        return c * kh * kw


@dataclass(frozen=True)
class ConvStep:
    """One output cell: the window under the kernel, products, per-channel sums, then /N and +b.

    `rows`/`cols` are input coordinates of the window (outside 0..H-1: padding, value 0).
    `window`, `products` and `channel_sums` have one entry per input channel; `sum` adds the
    channel sums. `filter` says which filter's map this cell belongs to.
    """

    at: Pair
    rows: tuple[int, ...]
    cols: tuple[int, ...]
    window: tuple[Grid, ...]
    products: tuple[Grid, ...]
    channel_sums: tuple[Number, ...]
    sum: Number
    divisor: int | None
    bias: Number
    value: Number
    filter: int = 0


@dataclass(frozen=True)
class ConvResult:
    """The finished forward pass."""

    plan: ConvPlan
    output: Grid
    steps: tuple[ConvStep, ...]


def plan_conv(
    image: Tensor, kernel: Tensor, settings: ConvSettings, names: Names = PLAIN, filter: int = 0
) -> ConvPlan:
    """Check that image and kernel fit together and compute the output size (via arith)."""
    c, h, w = shape(image)
    kc, kh, kw = shape(kernel)
    if kc != c:
        raise ShapeError(
            f"{names.kernel} has {kc} channel(s) but {names.image} has {c}: give one kernel block per image "
            "channel, separated by ';;' (the sums over channels are added)."
        )
    (sh, sw), (dh, dw), (ph, pw) = settings.stride, settings.dilation, settings.padding
    if min(sh, sw, dh, dw) < 1 or min(*ph, *pw) < 0:
        raise CnnToolError(f"{names.stride} and {names.dilation} must be ≥ 1 and {names.padding} ≥ 0.")
    out_h = conv_out_len(h, kh, sh, ph, dh)
    out_w = conv_out_len(w, kw, sw, pw, dw)
    if out_h < 1 or out_w < 1:
        raise ShapeError(
            f"the {names.kernel} ({kh}x{kw}, dilation {dh}x{dw}, spans {dh * (kh - 1) + 1}x{dw * (kw - 1) + 1}) "
            f"is larger than the padded {names.image} ({h + sum(ph)}x{w + sum(pw)}). Use a smaller "
            f"{names.kernel} or more {names.padding}."
        )
    warnings = fit_warnings((("H", h, kh, sh, ph, dh), ("W", w, kw, sw, pw, dw)))
    weights = tuple(flip(g) for g in kernel) if settings.flip else kernel
    formulas = (
        explain_conv_out_len("H_out", h, kh, sh, ph, dh),
        explain_conv_out_len("W_out", w, kw, sw, pw, dw),
    )
    return ConvPlan(
        image, kernel, settings, weights, (out_h, out_w), formulas, tuple(warnings), filter, names
    )


def _at(grid: Grid, r: int, c: int) -> Number:
    """Value at (r, c), zero outside the grid (zero padding)."""
    if 0 <= r < len(grid) and 0 <= c < len(grid[0]):
        return grid[r][c]
    return Fraction(0)


def window_coords(plan: ConvPlan, i: int, j: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Input rows and columns under the kernel for output cell (i, j) (padding gives <0 or ≥H)."""
    _, kh, kw = shape(plan.kernel)
    (sh, sw), (dh, dw), ((pt, _), (pl, _)) = (
        plan.settings.stride,
        plan.settings.dilation,
        plan.settings.padding,
    )
    return (
        tuple(i * sh - pt + a * dh for a in range(kh)),
        tuple(j * sw - pl + b * dw for b in range(kw)),
    )


def conv_step(plan: ConvPlan, i: int, j: int) -> ConvStep:
    """The step for output cell (i, j) alone (`--at`)."""
    out_h, out_w = plan.out_shape
    if not (0 <= i < out_h and 0 <= j < out_w):
        raise CnnToolError(
            f"{plan.names.at} {i},{j} is outside the {out_h}x{out_w} output; rows go 0..{out_h - 1}, "
            f"columns 0..{out_w - 1}."
        )
    rows, cols = window_coords(plan, i, j)
    windows, products, sums = [], [], []
    for grid, weights in zip(plan.image, plan.weights):
        window = tuple(tuple(_at(grid, r, c) for c in cols) for r in rows)
        prod = tuple(tuple(x * k for x, k in zip(wr, kr)) for wr, kr in zip(window, weights))
        windows.append(window)
        products.append(prod)
        sums.append(sum((v for row in prod for v in row), Fraction(0)))
    total = sum(sums, Fraction(0))
    value = total / plan.divisor if plan.divisor else total
    value = value + plan.settings.bias
    return ConvStep((i, j), rows, cols, tuple(windows), tuple(products), tuple(sums), total, plan.divisor,
                    plan.settings.bias, value, plan.filter)  # fmt: skip


def conv_steps(plan: ConvPlan) -> Iterator[ConvStep]:
    """Every output cell in reading order."""
    out_h, out_w = plan.out_shape
    for i in range(out_h):
        for j in range(out_w):
            yield conv_step(plan, i, j)


def conv2d(
    image: Tensor, kernel: Tensor, settings: ConvSettings | None = None, names: Names = PLAIN
) -> ConvResult:
    """Run the whole forward pass and keep every step."""
    return conv_result(plan_conv(image, kernel, settings or ConvSettings(), names))


def conv_result(plan: ConvPlan) -> ConvResult:
    """Every step of a planned convolution, and the output map they fill."""
    steps = tuple(conv_steps(plan))
    out_w = plan.out_shape[1]
    output = tuple(
        tuple(s.value for s in steps[r * out_w : (r + 1) * out_w]) for r in range(plan.out_shape[0])
    )
    return ConvResult(plan, output, steps)


# --- backward -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradStep:
    """One gradient cell: `window` times `kernel` element-wise, summed, times `scale` (1/N or 1).

    target "dW": window = the input cells this weight touched, kernel = dout.
    target "dx": window = dout dilated by the stride and zero-padded, kernel = the flipped weights;
    `sources` says which dout cell each window entry is (None: an inserted or padding zero).
    target "db": window = dout, kernel = ones.
    """

    target: str
    channel: int
    at: Pair
    window: Grid
    kernel: Grid
    products: Grid
    sum: Number
    scale: Number
    value: Number
    sources: tuple[tuple[Pair | None, ...], ...] = ()
    filter: int = 0


@dataclass(frozen=True)
class ConvGrads:
    """dL/dW (C, kh, kw), dL/dx (C, H, W) and dL/db, with the steps that built them."""

    dweight: Tensor
    dinput: Tensor
    dbias: Number
    steps: tuple[GradStep, ...]


def _products(window: Grid, kernel: Grid) -> tuple[Grid, Number]:
    prod = tuple(tuple(x * k for x, k in zip(wr, kr)) for wr, kr in zip(window, kernel))
    return prod, sum((v for row in prod for v in row), Fraction(0))


def check_dout(plan: ConvPlan, dout: Grid) -> None:
    """dout must have the output's shape."""
    out_h, out_w = plan.out_shape
    if (len(dout), len(dout[0])) != (out_h, out_w):
        raise ShapeError(
            f"{plan.names.dout} is {len(dout)}x{len(dout[0])} but the output is {out_h}x{out_w}; give a "
            f"{out_h}x{out_w} matrix or 'ones'."
        )


def conv_backward_steps(plan: ConvPlan, dout: Grid) -> Iterator[GradStep]:
    """dW cell by cell, then dx cell by cell, then db (see `GradStep`)."""
    check_dout(plan, dout)
    c_in, kh, kw = shape(plan.kernel)
    _, h, w = shape(plan.image)
    out_h, out_w = plan.out_shape
    (sh, sw), (dh, dw), ((pt, _), (pl, _)) = (
        plan.settings.stride,
        plan.settings.dilation,
        plan.settings.padding,
    )
    scale = Fraction(1, plan.divisor) if plan.divisor else Fraction(1)
    f = plan.filter
    for ch in range(c_in):
        for a in range(kh):
            for b in range(kw):
                ea, eb = (kh - 1 - a, kw - 1 - b) if plan.settings.flip else (a, b)
                window = tuple(
                    tuple(
                        _at(plan.image[ch], i * sh - pt + ea * dh, j * sw - pl + eb * dw)
                        for j in range(out_w)
                    )
                    for i in range(out_h)
                )
                prod, total = _products(window, dout)
                yield GradStep("dW", ch, (a, b), window, dout, prod, total, scale, total * scale, (), f)
    for ch in range(c_in):
        flipped = flip(plan.weights[ch])
        for y in range(h):
            for x in range(w):
                srcs = tuple(tuple(_source(y + pt - (kh - 1 - a) * dh, x + pl - (kw - 1 - b) * dw, sh, sw,
                                           out_h, out_w) for b in range(kw)) for a in range(kh))  # fmt: skip
                window = tuple(tuple(dout[s[0]][s[1]] if s else Fraction(0) for s in row) for row in srcs)
                prod, total = _products(window, flipped)
                yield GradStep("dx", ch, (y, x), window, flipped, prod, total, scale, total * scale, srcs, f)
    ones = tuple(tuple(Fraction(1) for _ in row) for row in dout)
    prod, total = _products(dout, ones)
    yield GradStep("db", 0, (0, 0), dout, ones, prod, total, Fraction(1), total, (), f)


def _source(t: int, u: int, sh: int, sw: int, out_h: int, out_w: int) -> Pair | None:
    """Which dout cell sits at (t, u) of the stride-dilated dout, or None for an inserted zero."""
    if t < 0 or u < 0 or t % sh or u % sw or t // sh >= out_h or u // sw >= out_w:
        return None
    return t // sh, u // sw


def conv2d_backward(plan: ConvPlan, dout: Grid) -> ConvGrads:
    """All gradients of the convolution for upstream gradient `dout` (H_out, W_out)."""
    c_in, kh, kw = shape(plan.kernel)
    _, h, w = shape(plan.image)
    return grads_from_steps(tuple(conv_backward_steps(plan, dout)), c_in, (h, w), (kh, kw))


def grads_from_steps(
    steps: tuple[GradStep, ...], channels: int, image_hw: Pair, kernel_hw: Pair
) -> ConvGrads:
    """Gather the dW, dx and db steps into the gradient tensors (shared with transposed convolution)."""
    dweight = [zeros(*kernel_hw) for _ in range(channels)]
    dinput = [zeros(*image_hw) for _ in range(channels)]
    dbias: Number = Fraction(0)
    for step in steps:
        if step.target == "dW":
            dweight[step.channel][step.at[0]][step.at[1]] = step.value
        elif step.target == "dx":
            dinput[step.channel][step.at[0]][step.at[1]] = step.value
        else:
            dbias = step.value
    return ConvGrads(tuple(freeze(g) for g in dweight), tuple(freeze(g) for g in dinput), dbias, steps)
