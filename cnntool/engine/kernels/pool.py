"""Max and average pooling over (N, C, H, W), forward and backward side by side.

Windows follow PyTorch exactly: window (oh, ow) starts at ``oh·SH − P_top`` and may
overhang into padding (max pool pads with −∞, i.e. ignores those cells; average pool
counts them when `count_include_pad`). The output size comes from
`cnntool.arith.formulas.pool_out_len` (ceil mode included); the kernels only fill it.
Max pool stores the flat index ``h·W + w`` of each window's maximum, so backward is a scatter.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit, prange

from cnntool.config import NJIT_OPTIONS, NJIT_SERIAL
from cnntool.engine.kernel_rules import check_pool
from cnntool.errors import ShapeError


@functools.lru_cache(maxsize=256)
def _tap_ranges(size: int, out: int, k: int, s: int, p: int, d: int) -> np.ndarray:
    """(k, 2): for tap t, the output positions [lo, hi) whose input index o·s − p + t·d is inside [0, size).

    Plain NumPy (cached): a numba version cost a second of cold compile for a microsecond of work.
    """
    o = np.arange(out)
    r = np.zeros((k, 2), dtype=np.int64)
    for t in range(k):
        inside = np.flatnonzero((o * s - p + t * d >= 0) & (o * s - p + t * d < size))  # contiguous
        if inside.size:
            r[t] = inside[0], inside[-1] + 1
    r.flags.writeable = False
    return r


# The per-plane loops are serial functions called from the prange loop: numba outlines a prange
# body into a gufunc that LLVM optimises poorly (measured 2-3x slower, even on one thread), while
# a called @njit function is compiled on its own. Loops run tap by tap over a whole output row
# with precomputed in-bounds ranges, so the inner loop has no bounds test and no division.


@njit(**NJIT_SERIAL)
def _maxpool_plane(xs, kh, kw, sh, sw, pt, pl, dh, dw, wr, os):  # pragma: no cover - compiled
    h_ = xs.shape[0]
    ho, wo = os.shape
    for oh in range(ho):
        orow = os[oh]
        for ow in range(wo):
            orow[ow] = -np.inf
        for i in range(kh):
            h = oh * sh - pt + i * dh
            if 0 <= h < h_:
                xrow = xs[h]
                for j in range(kw):
                    off = j * dw - pl
                    for ow in range(wr[j, 0], wr[j, 1]):
                        v = xrow[ow * sw + off]
                        m = orow[ow]
                        # `v != v`: a NaN wins and then stays (v > NaN is false), as in PyTorch.
                        # A select, not an `if` around the store: random data mispredicts that branch.
                        orow[ow] = v if (v > m) | (v != v) else m


@njit(**NJIT_SERIAL)
def _maxpool_plane_arg(xs, kh, kw, sh, sw, pt, pl, dh, dw, wr, os, arg):  # pragma: no cover - compiled
    h_, w_ = xs.shape
    ho, wo = os.shape
    for oh in range(ho):
        orow = os[oh]
        arow = arg[oh]
        for ow in range(wo):
            orow[ow] = -np.inf
            arow[ow] = -1
        for i in range(kh):
            h = oh * sh - pt + i * dh
            if 0 <= h < h_:
                xrow = xs[h]
                for j in range(kw):
                    off = j * dw - pl
                    for ow in range(wr[j, 0], wr[j, 1]):
                        w = ow * sw + off
                        v = xrow[w]
                        b = orow[ow]
                        a = arow[ow]
                        # Taps in window order, strict `>`: the first maximum wins, and the first NaN
                        # wins and stays (b == b fails once b is NaN), as np.argmax and PyTorch.
                        take = (a < 0) | ((b == b) & ((v > b) | (v != v)))
                        orow[ow] = v if take else b
                        arow[ow] = h * w_ + w if take else a


@njit(**NJIT_SERIAL)
def _max_nan(m, v):  # pragma: no cover - compiled
    return v if (v > m) | (v != v) else m


@njit(**NJIT_SERIAL)
def _maxpool_plane_2x2(xs, os):  # pragma: no cover - compiled
    ho, wo = os.shape
    for oh in range(ho):
        r0 = xs[2 * oh]
        r1 = xs[2 * oh + 1]
        orow = os[oh]
        for ow in range(wo):
            m = _max_nan(r0[2 * ow], r0[2 * ow + 1])
            m = _max_nan(m, r1[2 * ow])
            orow[ow] = _max_nan(m, r1[2 * ow + 1])


@njit(**NJIT_OPTIONS)
def _maxpool_fwd(x, kh, kw, sh, sw, pt, pl, dh, dw, wr, with_arg, out, arg):  # pragma: no cover - compiled
    # One parallel kernel for both modes (each parallel kernel is ~1.5 s of cold compile).
    n_, c_, h_, w_ = x.shape
    ho, wo = out.shape[2], out.shape[3]
    # The lecture nets' 2×2 stride-2 pool with every window inside: constant trip counts (measured ~8×).
    fast = kh == 2 and kw == 2 and sh == 2 and sw == 2 and pt == 0 and pl == 0 and dh == 1 and dw == 1
    fast = fast and 2 * ho <= h_ and 2 * wo <= w_
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        if with_arg:
            _maxpool_plane_arg(x[n, c], kh, kw, sh, sw, pt, pl, dh, dw, wr, out[n, c], arg[n, c])
        elif fast:
            _maxpool_plane_2x2(x[n, c], out[n, c])
        else:
            _maxpool_plane(x[n, c], kh, kw, sh, sw, pt, pl, dh, dw, wr, out[n, c])


@njit(**NJIT_SERIAL)
def _maxpool_bwd_plane(dout, arg, dx):  # pragma: no cover - compiled
    for k in range(dout.size):
        dx[arg[k]] += dout[k]


@njit(**NJIT_OPTIONS)
def _maxpool_bwd(dout, arg, dx):  # pragma: no cover - compiled
    n_, c_, h_, w_ = dx.shape
    d3 = dout.reshape(n_ * c_, -1)
    a3 = arg.reshape(n_ * c_, -1)
    x3 = dx.reshape(n_ * c_, h_ * w_)
    for nc in prange(n_ * c_):
        _maxpool_bwd_plane(d3[nc], a3[nc], x3[nc])


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


def maxpool_forward(x, kernel, stride, padding, dilation, out_hw, with_argmax=True):
    """x: (N, C, H, W) → (out: (N, C, HO, WO), argmax: (N, C, HO, WO) flat h·W+w indices).

    `with_argmax=False` (inference) skips the argmax and returns (out, None).
    """
    check_pool("maxpool", x, kernel, stride, padding, out_hw)
    n, c, _, _ = x.shape
    out = np.empty((n, c, *out_hw), dtype=x.dtype)
    geometry = (kernel[0], kernel[1], stride[0], stride[1], padding[0][0], padding[1][0], dilation[0], dilation[1])  # fmt: skip
    wr = _tap_ranges(x.shape[3], out_hw[1], kernel[1], stride[1], padding[1][0], dilation[1])
    arg = np.empty((n, c, *out_hw) if with_argmax else (1, 1, 1, 1), dtype=np.int64)
    _maxpool_fwd(np.ascontiguousarray(x), *geometry, wr, bool(with_argmax), out, arg)
    return out, (arg if with_argmax else None)


def maxpool_backward(dout, arg, x_shape):
    """dout, argmax: (N, C, HO, WO) → dx: (N, C, H, W); each gradient goes to its window's max."""
    if dout.shape != arg.shape or dout.shape[:2] != tuple(x_shape[:2]):
        raise ShapeError(
            f"maxpool backward: dout {dout.shape} does not match argmax {arg.shape} / x {x_shape}"
        )
    dx = np.zeros(tuple(x_shape), dtype=dout.dtype)
    _maxpool_bwd(np.ascontiguousarray(dout), np.ascontiguousarray(arg), dx)
    return dx


def avgpool_divisors(hw, kernel, stride, padding, count_include_pad, out_hw):
    """(HO, WO) window sizes PyTorch divides by (clipped to the padded or to the real input)."""
    div = np.empty(out_hw, dtype=np.float64)
    (pt, pb), (pl, pr) = padding
    _avgpool_divisors(
        hw[0], hw[1], kernel[0], kernel[1], stride[0], stride[1], pt, pb, pl, pr, bool(count_include_pad), div
    )
    return div


def avgpool_forward(x, kernel, stride, padding, count_include_pad, out_hw):
    """x: (N, C, H, W) → (out: (N, C, HO, WO), divisors: (HO, WO))."""
    check_pool("avgpool", x, kernel, stride, padding, out_hw)
    n, c, h, w = x.shape
    div = avgpool_divisors((h, w), kernel, stride, padding, count_include_pad, out_hw).astype(x.dtype)
    out = np.empty((n, c, *out_hw), dtype=x.dtype)
    _avgpool_fwd(
        np.ascontiguousarray(x),
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
    dx = np.zeros(tuple(x_shape), dtype=dout.dtype)
    _avgpool_bwd(
        np.ascontiguousarray(dout),
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
