"""Batch normalisation over x viewed as (N, C, P): statistics per channel over N and P.

Three kernels, forward and backward side by side: per-channel mean and biased variance
(two passes, float64 accumulators, so float32 sums do not drift), the normalisation
``xhat = (x − mean)·inv_std; out = xhat·scale + shift`` in one pass, and the backward
(per-channel sums of dout and dout·xhat, then dx in one pass). The layer (engine/norm.py)
keeps the running statistics; a 1-D input (N, C) is (N, C, 1), (N, C, L) is itself,
(N, C, H, W) is (N, C, H·W).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from cnntool.config import NJIT_OPTIONS
from cnntool.errors import ShapeError


@njit(**NJIT_OPTIONS)
def _bn_stats(x, mean, var):  # pragma: no cover - compiled
    n_, c_, p_ = x.shape
    m = n_ * p_
    for c in prange(c_):
        s = 0.0
        for n in range(n_):
            row = x[n, c]
            for k in range(p_):
                s += row[k]
        mu = s / m
        q = 0.0
        for n in range(n_):
            row = x[n, c]
            for k in range(p_):
                d = row[k] - mu
                q += d * d
        mean[c] = mu
        var[c] = q / m


@njit(**NJIT_OPTIONS)
def _bn_apply(x, mean, inv_std, scale, shift, xhat, out):  # pragma: no cover - compiled
    n_, c_, p_ = x.shape
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        mu, s, a, b = mean[c], inv_std[c], scale[c], shift[c]
        xr, hr, orow = x[n, c], xhat[n, c], out[n, c]
        for k in range(p_):
            h = (xr[k] - mu) * s
            hr[k] = h
            orow[k] = h * a + b


@njit(**NJIT_OPTIONS)
def _bn_backward(dout, xhat, scale, inv_std, train, dx, dscale, dshift):  # pragma: no cover - compiled
    n_, c_, p_ = dout.shape
    m = n_ * p_
    for c in prange(c_):
        sd = 0.0
        sdx = 0.0
        for n in range(n_):
            dr, hr = dout[n, c], xhat[n, c]
            for k in range(p_):
                sd += dr[k]
                sdx += dr[k] * hr[k]
        dshift[c] = sd
        dscale[c] = sdx
        g = scale[c] * inv_std[c]
        # dx = inv_std·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)), dxhat = dout·scale; eval: dxhat·inv_std.
        md = sd / m if train else 0.0
        mdx = sdx / m if train else 0.0
        for n in range(n_):
            dr, hr, xr = dout[n, c], xhat[n, c], dx[n, c]
            for k in range(p_):
                xr[k] = g * (dr[k] - md - hr[k] * mdx)


def _as3d(name: str, x: np.ndarray) -> np.ndarray:
    if x.ndim not in (2, 3, 4):
        raise ShapeError(f"{name}: expected x of shape (N, C), (N, C, L) or (N, C, H, W), got {x.shape}")
    return np.ascontiguousarray(x).reshape(x.shape[0], x.shape[1], -1)


def _vec(name: str, what: str, v: np.ndarray, c: int, dtype) -> np.ndarray:
    if v.shape != (c,):
        raise ShapeError(f"{name}: {what} of shape {v.shape} does not match {c} channels")
    return np.ascontiguousarray(v, dtype=dtype)


def batchnorm_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x: (N, C, *S) → (mean: (C,), biased var: (C,)) over every axis but C."""
    x3 = _as3d("batchnorm_stats", x)
    mean = np.empty(x3.shape[1], dtype=x.dtype)
    var = np.empty(x3.shape[1], dtype=x.dtype)
    _bn_stats(x3, mean, var)
    return mean, var


def batchnorm_forward(x, mean, inv_std, scale, shift) -> tuple[np.ndarray, np.ndarray]:
    """x: (N, C, *S), per-channel (C,) vectors → (out, xhat), both x's shape."""
    x3 = _as3d("batchnorm_forward", x)
    c = x3.shape[1]
    vecs = [_vec("batchnorm_forward", w, v, c, x.dtype) for w, v in
            (("mean", mean), ("inv_std", inv_std), ("scale", scale), ("shift", shift))]  # fmt: skip
    xhat = np.empty_like(x3)
    out = np.empty_like(x3)
    _bn_apply(x3, *vecs, xhat, out)
    return out.reshape(x.shape), xhat.reshape(x.shape)


def batchnorm_backward(dout, xhat, scale, inv_std, train: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dout, xhat: (N, C, *S) → (dx, dscale: (C,), dshift: (C,)); `train`: the statistics were the batch's."""
    if dout.shape != xhat.shape:
        raise ShapeError(f"batchnorm_backward: dout {dout.shape} does not match xhat {xhat.shape}")
    d3 = _as3d("batchnorm_backward", dout).astype(xhat.dtype, copy=False)
    h3 = _as3d("batchnorm_backward", xhat)
    c = d3.shape[1]
    dx = np.empty_like(h3)
    dscale = np.empty(c, dtype=xhat.dtype)
    dshift = np.empty(c, dtype=xhat.dtype)
    _bn_backward(d3, h3, _vec("batchnorm_backward", "scale", scale, c, xhat.dtype),
                 _vec("batchnorm_backward", "inv_std", inv_std, c, xhat.dtype), bool(train), dx, dscale, dshift)  # fmt: skip
    return dx.reshape(xhat.shape), dscale, dshift
