"""Max and average pooling over (N, C, H, W), forward and backward side by side.

Windows follow PyTorch exactly: window (oh, ow) starts at ``oh·SH − P_top`` and may
overhang into padding (max pool pads with −∞, i.e. ignores those cells; average pool
counts them when `count_include_pad`). The output size comes from
`cnntool.arith.formulas.pool_out_len` (ceil mode included); the kernels only fill it.
Max pool stores the flat index ``h·W + w`` of each window's maximum, so backward is a scatter.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from cnntool.config import NJIT_OPTIONS, NJIT_SERIAL
from cnntool.engine.backend import xp
from cnntool.errors import ShapeError


@njit(**NJIT_OPTIONS)
def _maxpool_fwd(x, kh, kw, sh, sw, pt, pl, dh, dw, out, arg):  # pragma: no cover - compiled
    n_, c_, h_, w_ = x.shape
    ho, wo = out.shape[2], out.shape[3]
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        for oh in range(ho):
            for ow in range(wo):
                best = -np.inf
                where = -1
                for i in range(kh):
                    h = oh * sh - pt + i * dh
                    if 0 <= h < h_:
                        for j in range(kw):
                            w = ow * sw - pl + j * dw
                            if 0 <= w < w_:
                                v = x[n, c, h, w]
                                # `v != v` keeps a NaN as the max, as PyTorch does.
                                if v > best or where < 0 or v != v:
                                    best = v
                                    where = h * w_ + w
                                    if v != v:
                                        break
                out[n, c, oh, ow] = best
                arg[n, c, oh, ow] = where


@njit(**NJIT_OPTIONS)
def _maxpool_bwd(dout, arg, dx):  # pragma: no cover - compiled
    n_, c_, h_, w_ = dx.shape
    ho, wo = dout.shape[2], dout.shape[3]
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        for oh in range(ho):
            for ow in range(wo):
                k = arg[n, c, oh, ow]
                dx[n, c, k // w_, k % w_] += dout[n, c, oh, ow]


@njit(**NJIT_SERIAL)
def _avgpool_divisors(h_, w_, kh, kw, sh, sw, pt, pb, pl, pr, include_pad, div):  # pragma: no cover
    ho, wo = div.shape
    for oh in range(ho):
        h0 = oh * sh - pt
        h1 = min(h0 + kh, h_ + pb)
        for ow in range(wo):
            w0 = ow * sw - pl
            w1 = min(w0 + kw, w_ + pr)
            if include_pad:
                div[oh, ow] = (h1 - h0) * (w1 - w0)
            else:
                div[oh, ow] = (min(h1, h_) - max(h0, 0)) * (min(w1, w_) - max(w0, 0))


@njit(**NJIT_OPTIONS)
def _avgpool_fwd(x, kh, kw, sh, sw, pt, pl, div, out):  # pragma: no cover - compiled
    n_, c_, h_, w_ = x.shape
    ho, wo = out.shape[2], out.shape[3]
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        for oh in range(ho):
            h0 = max(oh * sh - pt, 0)
            h1 = min(oh * sh - pt + kh, h_)
            for ow in range(wo):
                w0 = max(ow * sw - pl, 0)
                w1 = min(ow * sw - pl + kw, w_)
                s = 0.0
                for h in range(h0, h1):
                    for w in range(w0, w1):
                        s += x[n, c, h, w]
                out[n, c, oh, ow] = s / div[oh, ow]


@njit(**NJIT_OPTIONS)
def _avgpool_bwd(dout, kh, kw, sh, sw, pt, pl, div, dx):  # pragma: no cover - compiled
    n_, c_, h_, w_ = dx.shape
    ho, wo = dout.shape[2], dout.shape[3]
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        for oh in range(ho):
            h0 = max(oh * sh - pt, 0)
            h1 = min(oh * sh - pt + kh, h_)
            for ow in range(wo):
                w0 = max(ow * sw - pl, 0)
                w1 = min(ow * sw - pl + kw, w_)
                g = dout[n, c, oh, ow] / div[oh, ow]
                for h in range(h0, h1):
                    for w in range(w0, w1):
                        dx[n, c, h, w] += g


def _check(name, x, kernel, stride, padding, out_hw):
    if x.ndim != 4:
        raise ShapeError(f"{name}: expected x of shape (N, C, H, W), got {x.shape}")
    if min(*kernel, *stride) < 1 or min(out_hw) < 1:
        raise ShapeError(f"{name}: kernel {kernel}, stride {stride} on {x.shape} gives output {out_hw}")
    for (lo, hi), k in zip(padding, kernel, strict=True):
        if lo < 0 or hi < 0 or lo > k // 2 or hi > k // 2:
            raise ShapeError(f"{name}: padding {padding} must be between 0 and half the kernel {kernel}")


def maxpool_forward(x, kernel, stride, padding, dilation, out_hw):
    """x: (N, C, H, W) → (out: (N, C, HO, WO), argmax: (N, C, HO, WO) flat h·W+w indices)."""
    _check("maxpool", x, kernel, stride, padding, out_hw)
    n, c, _, _ = x.shape
    out = xp.empty((n, c, *out_hw), dtype=x.dtype)
    arg = xp.empty((n, c, *out_hw), dtype=np.int64)
    _maxpool_fwd(
        xp.ascontiguousarray(x), kernel[0], kernel[1], stride[0], stride[1],
        padding[0][0], padding[1][0], dilation[0], dilation[1], out, arg,
    )  # fmt: skip
    return out, arg


def maxpool_backward(dout, arg, x_shape):
    """dout, argmax: (N, C, HO, WO) → dx: (N, C, H, W); each gradient goes to its window's max."""
    if dout.shape != arg.shape or dout.shape[:2] != tuple(x_shape[:2]):
        raise ShapeError(
            f"maxpool backward: dout {dout.shape} does not match argmax {arg.shape} / x {x_shape}"
        )
    dx = xp.zeros(tuple(x_shape), dtype=dout.dtype)
    _maxpool_bwd(xp.ascontiguousarray(dout), arg, dx)
    return dx


def avgpool_divisors(hw, kernel, stride, padding, count_include_pad, out_hw):
    """(HO, WO) window sizes PyTorch divides by (clipped to the padded or to the real input)."""
    div = xp.empty(out_hw, dtype=np.float64)
    (pt, pb), (pl, pr) = padding
    _avgpool_divisors(
        hw[0], hw[1], kernel[0], kernel[1], stride[0], stride[1], pt, pb, pl, pr, bool(count_include_pad), div
    )
    return div


def avgpool_forward(x, kernel, stride, padding, count_include_pad, out_hw):
    """x: (N, C, H, W) → (out: (N, C, HO, WO), divisors: (HO, WO))."""
    _check("avgpool", x, kernel, stride, padding, out_hw)
    n, c, h, w = x.shape
    div = avgpool_divisors((h, w), kernel, stride, padding, count_include_pad, out_hw).astype(x.dtype)
    out = xp.empty((n, c, *out_hw), dtype=x.dtype)
    _avgpool_fwd(
        xp.ascontiguousarray(x),
        kernel[0],
        kernel[1],
        stride[0],
        stride[1],
        padding[0][0],
        padding[1][0],
        div,
        out,
    )
    return out, div


def avgpool_backward(dout, div, x_shape, kernel, stride, padding):
    """dout: (N, C, HO, WO) → dx: (N, C, H, W), each window's gradient spread evenly over its cells."""
    if dout.shape[2:] != div.shape or dout.shape[:2] != tuple(x_shape[:2]):
        raise ShapeError(
            f"avgpool backward: dout {dout.shape} does not match divisors {div.shape} / x {x_shape}"
        )
    dx = xp.zeros(tuple(x_shape), dtype=dout.dtype)
    _avgpool_bwd(
        xp.ascontiguousarray(dout),
        kernel[0],
        kernel[1],
        stride[0],
        stride[1],
        padding[0][0],
        padding[1][0],
        div,
        dx,
    )
    return dx
