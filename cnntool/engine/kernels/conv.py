"""im2col / col2im: the data movement that turns a convolution into one matrix product.

We chose im2col + BLAS GEMM over a direct convolution loop (see benchmarks/engine.py):
the matrix product runs in the tuned BLAS, and numba only moves data, in parallel
over (sample, channel) pairs so that no two threads write the same cells.

Column layout: ``cols[n, (c·KH + i)·KW + j, oh·WO + ow] = x_pad[n, c, oh·SH + i·DH, ow·SW + j·DW]``,
i.e. rows ordered like a PyTorch weight (in, kh, kw) flattened, so ``W.reshape(F, -1) @ cols[n]``
is the convolution of sample n.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from cnntool.config import NJIT_OPTIONS
from cnntool.engine.kernel_rules import check_cols, im2col_target


@njit(**NJIT_OPTIONS)
def _im2col(x, kh, kw, sh, sw, pt, pl, dh, dw, ho, wo, cols):  # pragma: no cover - compiled
    n_, c_, h_, w_ = x.shape
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        for i in range(kh):
            for j in range(kw):
                row = (c * kh + i) * kw + j
                for oh in range(ho):
                    h = oh * sh - pt + i * dh
                    base = oh * wo
                    if h < 0 or h >= h_:
                        for ow in range(wo):
                            cols[n, row, base + ow] = 0.0
                    else:
                        for ow in range(wo):
                            w = ow * sw - pl + j * dw
                            if 0 <= w < w_:
                                cols[n, row, base + ow] = x[n, c, h, w]
                            else:
                                cols[n, row, base + ow] = 0.0


@njit(**NJIT_OPTIONS)
def _col2im(cols, kh, kw, sh, sw, pt, pl, dh, dw, ho, wo, dx):  # pragma: no cover - compiled
    n_, c_, h_, w_ = dx.shape
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        for i in range(kh):
            for j in range(kw):
                row = (c * kh + i) * kw + j
                for oh in range(ho):
                    h = oh * sh - pt + i * dh
                    if 0 <= h < h_:
                        base = oh * wo
                        for ow in range(wo):
                            w = ow * sw - pl + j * dw
                            if 0 <= w < w_:
                                dx[n, c, h, w] += cols[n, row, base + ow]


def im2col(
    x: np.ndarray,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[tuple[int, int], tuple[int, int]],
    dilation: tuple[int, int],
    out_hw: tuple[int, int],
    out: np.ndarray | None = None,
) -> np.ndarray:
    """x: (N, C, H, W) → cols: (N, C·KH·KW, HO·WO); padding ((top, bottom), (left, right)).

    `out_hw` comes from `cnntool.arith.formulas` (the one place sizes are computed). `out`, if
    given, is a buffer of cols' shape and dtype to fill (a layer reuses it across calls).
    """
    cols = im2col_target(np, x, kernel, stride, padding, dilation, out_hw, out)
    kh, kw = kernel
    _im2col(
        np.ascontiguousarray(x), kh, kw, stride[0], stride[1], padding[0][0], padding[1][0],
        dilation[0], dilation[1], out_hw[0], out_hw[1], cols,
    )  # fmt: skip
    return cols


def col2im(
    cols: np.ndarray,
    x_shape: tuple[int, int, int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[tuple[int, int], tuple[int, int]],
    dilation: tuple[int, int],
    out_hw: tuple[int, int],
) -> np.ndarray:
    """cols: (N, C·KH·KW, HO·WO) → dx: (N, C, H, W), summing overlapping windows (im2col's adjoint)."""
    check_cols(cols, x_shape, kernel, stride, padding, dilation, out_hw)
    kh, kw = kernel
    dx = np.zeros(tuple(x_shape), dtype=cols.dtype)
    _col2im(
        np.ascontiguousarray(cols), kh, kw, stride[0], stride[1], padding[0][0], padding[1][0],
        dilation[0], dilation[1], out_hw[0], out_hw[1], dx,
    )  # fmt: skip
    return dx
