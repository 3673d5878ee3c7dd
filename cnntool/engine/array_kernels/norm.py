"""Batch normalisation over x viewed as (N, C, P) on an array module (engine/kernels/norm.py's twin).

Per-channel sums accumulate in float64 (`dtype=` of the reduction: no float64 copy of x), as
the numba kernels' accumulators do, so float32 statistics of large batches do not drift.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from cnntool.errors import ShapeError


def _as3d(xp: ModuleType, name: str, x: Any) -> Any:
    if x.ndim not in (2, 3, 4):
        raise ShapeError(f"{name}: expected x of shape (N, C), (N, C, L) or (N, C, H, W), got {x.shape}")
    return xp.ascontiguousarray(x).reshape(x.shape[0], x.shape[1], -1)


def _vec(xp: ModuleType, name: str, what: str, v: Any, c: int, dtype) -> Any:
    if v.shape != (c,):
        raise ShapeError(f"{name}: {what} of shape {v.shape} does not match {c} channels")
    return xp.asarray(v, dtype=dtype).reshape(1, c, 1)


def batchnorm_stats(xp: ModuleType, x: Any) -> tuple[Any, Any]:
    """x: (N, C, *S) → (mean: (C,), biased var: (C,)) over every axis but C, in x's dtype."""
    x3 = _as3d(xp, "batchnorm_stats", x)
    mean = x3.mean(axis=(0, 2), dtype=np.float64)
    d = x3 - mean.astype(x.dtype)[None, :, None]
    var = (d * d).mean(axis=(0, 2), dtype=np.float64)
    return mean.astype(x.dtype), var.astype(x.dtype)


def batchnorm_forward(xp: ModuleType, x: Any, mean, inv_std, scale, shift) -> tuple[Any, Any]:
    """x: (N, C, *S), per-channel (C,) vectors → (out, xhat), both x's shape."""
    x3 = _as3d(xp, "batchnorm_forward", x)
    c = x3.shape[1]
    m, s, a, b = (_vec(xp, "batchnorm_forward", w, v, c, x.dtype) for w, v in
                  (("mean", mean), ("inv_std", inv_std), ("scale", scale), ("shift", shift)))  # fmt: skip
    xhat = (x3 - m) * s
    return (xhat * a + b).reshape(x.shape), xhat.reshape(x.shape)


def batchnorm_backward(xp: ModuleType, dout, xhat, scale, inv_std, train: bool) -> tuple[Any, Any, Any]:
    """dout, xhat: (N, C, *S) → (dx, dscale: (C,), dshift: (C,)); `train`: the statistics were the batch's."""
    if dout.shape != xhat.shape:
        raise ShapeError(f"batchnorm_backward: dout {dout.shape} does not match xhat {xhat.shape}")
    d3 = _as3d(xp, "batchnorm_backward", dout).astype(xhat.dtype, copy=False)
    h3 = _as3d(xp, "batchnorm_backward", xhat)
    c, m = h3.shape[1], h3.shape[0] * h3.shape[2]
    g = _vec(xp, "batchnorm_backward", "scale", scale, c, xhat.dtype) * _vec(
        xp, "batchnorm_backward", "inv_std", inv_std, c, xhat.dtype
    )
    dshift = d3.sum(axis=(0, 2), dtype=np.float64)
    dscale = (d3 * h3).sum(axis=(0, 2), dtype=np.float64)
    if train:  # dx = inv_std·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)), dxhat = dout·scale
        md = (dshift / m).astype(xhat.dtype)[None, :, None]
        mdx = (dscale / m).astype(xhat.dtype)[None, :, None]
        dx = g * (d3 - md - h3 * mdx)
    else:  # running statistics are constants
        dx = g * d3
    return dx.reshape(xhat.shape), dscale.astype(xhat.dtype), dshift.astype(xhat.dtype)
