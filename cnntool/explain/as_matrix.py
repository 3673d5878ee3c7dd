"""Convolution as one big sparse matrix with tied weights, and translation equivariance.

Both answer "why is a conv layer cheaper than a dense one?": the matrix is a
dense layer's weight matrix in which most entries are zero and the rest repeat
the same few kernel weights (weight sharing); shifting the input by the stride
shifts the output (equivariance), because every row uses the same weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from cnntool.errors import CnnToolError
from cnntool.explain.conv import ConvPlan, ConvSettings, conv2d, plan_conv, window_coords
from cnntool.explain.matrix import Tensor, shape, shift
from cnntool.explain.names import PLAIN, Names
from cnntool.explain.options import Pair
from cnntool.numbers import Grid, Number


@dataclass(frozen=True)
class ConvMatrix:
    """M (F·H_out·W_out, C·H·W) with conv(x) = M · flatten(x) (+ each filter's bias).

    Rows are every output cell of filter 1, then of filter 2, ... (one filter: H_out·W_out rows).
    `weight_index[r][c]` is the flat index f·C·kh·kw + c·kh·kw + a·kw + b of the user's kernel
    weight that entry (r, c) holds, or None (no connection). Input flattened channel by
    channel, row-major.
    """

    plans: tuple[ConvPlan, ...]
    matrix: Grid
    weight_index: tuple[tuple[int | None, ...], ...]
    connections: int
    nonzero: int
    distinct_weights: int

    @property
    def plan(self) -> ConvPlan:
        """The first filter's plan (image, geometry and normalisation are the same for all)."""
        return self.plans[0]

    @property
    def entries(self) -> int:
        """Rows times columns: the weights a dense layer of the same shape would have."""
        return len(self.matrix) * len(self.matrix[0])


def conv_as_matrix(image: Tensor, kernel: Tensor, settings: ConvSettings | None = None) -> ConvMatrix:
    """Build the matrix that computes the same convolution (normalisation folded into its entries)."""
    return filters_as_matrix((plan_conv(image, kernel, settings or ConvSettings()),))


def filters_as_matrix(plans: tuple[ConvPlan, ...]) -> ConvMatrix:
    """One matrix for several filters over the same image: their rows stacked, filter by filter."""
    first = plans[0]
    c_in, h, w = shape(first.image)
    _, kh, kw = shape(first.kernel)
    out_h, out_w = first.out_shape
    scale = Fraction(1, first.divisor) if first.divisor else Fraction(1)
    flipped = first.settings.flip
    matrix: list[list[Number]] = []
    index: list[list[int | None]] = []
    for f, plan in enumerate(plans):
        for i in range(out_h):
            for j in range(out_w):
                row: list[Number] = [Fraction(0)] * (c_in * h * w)
                idx: list[int | None] = [None] * (c_in * h * w)
                rows, cols = window_coords(plan, i, j)
                for ch in range(c_in):
                    for a, r in enumerate(rows):
                        for b, c in enumerate(cols):
                            if 0 <= r < h and 0 <= c < w:
                                col = ch * h * w + r * w + c
                                row[col] += plan.weights[ch][a][b] * scale
                                ua, ub = (kh - 1 - a, kw - 1 - b) if flipped else (a, b)
                                idx[col] = (f * c_in + ch) * kh * kw + ua * kw + ub
                matrix.append(row)
                index.append(idx)
    connections = sum(v is not None for row in index for v in row)
    nonzero = sum(v != 0 for row in matrix for v in row)
    frozen = tuple(tuple(row) for row in matrix)
    distinct = len(plans) * c_in * kh * kw
    return ConvMatrix(tuple(plans), frozen, tuple(tuple(r) for r in index), connections, nonzero, distinct)


def flatten(tensor: Tensor) -> tuple[Number, ...]:
    """C×H×W → one vector, channel by channel, row-major (the matrix's column order)."""
    return tuple(v for grid in tensor for row in grid for v in row)


def matvec(matrix: Grid, vector: tuple[Number, ...]) -> tuple[Number, ...]:
    """M · v, exactly."""
    return tuple(sum((m * v for m, v in zip(row, vector)), Fraction(0)) for row in matrix)


@dataclass(frozen=True)
class ShiftResult:
    """conv(shift(x)) next to shift(conv(x)).

    `out_shift` = input shift / stride. `comparable[i][j]` marks cells whose window lies inside
    the shifted frame and whose source cell exists: there the two must agree (`agree`); the
    other cells touch the border, where content left the frame or fill came in.
    """

    shift: Pair
    out_shift: Pair
    shifted_image: Tensor
    output: Grid
    shifted_output: Grid
    expected: tuple[tuple[Number | None, ...], ...]
    comparable: tuple[tuple[bool, ...], ...]
    agree: bool


def shift_equivariance(
    image: Tensor, kernel: Tensor, settings: ConvSettings | None, dy: int, dx: int, names: Names = PLAIN
) -> ShiftResult:
    """Shift the input by (dy, dx) (zeros come in), convolve both, and compare cell by cell."""
    settings = settings or ConvSettings()
    sh, sw = settings.stride
    if dy % sh or dx % sw:
        raise CnnToolError(
            f"{names.shift} {dy},{dx} is not a multiple of the stride {sh}x{sw}: the output can only move by "
            "whole cells, so equivariance holds for shifts by multiples of the stride. Try "
            f"{names.shift} {sh},{sw} (one output cell) or 0,{sw}."
        )
    _, h, w = shape(image)
    if abs(dy) >= h or abs(dx) >= w:
        raise CnnToolError(
            f"{names.shift} {dy},{dx} moves the whole {h}x{w} {names.image} out of the frame; use a smaller "
            f"{names.shift}."
        )
    original = conv2d(image, kernel, settings, names)
    moved_image = tuple(shift(grid, dy, dx) for grid in image)
    moved = conv2d(moved_image, kernel, settings, names)
    oy, ox = dy // sh, dx // sw
    out_h, out_w = original.plan.out_shape
    expected, comparable = [], []
    agree = True
    for i in range(out_h):
        erow, crow = [], []
        for j in range(out_w):
            si, sj = i - oy, j - ox
            has_source = 0 <= si < out_h and 0 <= sj < out_w
            rows, cols = window_coords(moved.plan, i, j)
            inside = all(0 <= r < h for r in rows) and all(0 <= c < w for c in cols)
            erow.append(original.output[si][sj] if has_source else None)
            crow.append(has_source and inside)
            if has_source and inside and moved.output[i][j] != original.output[si][sj]:
                agree = False
        expected.append(tuple(erow))
        comparable.append(tuple(crow))
    return ShiftResult(
        (dy, dx),
        (oy, ox),
        moved_image,
        original.output,
        moved.output,
        tuple(expected),
        tuple(comparable),
        agree,
    )
