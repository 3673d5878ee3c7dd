"""Max and average pooling on an array module, forward and backward, as loops over the window taps.

Same contract as the numba kernels (engine/kernels/pool.py): PyTorch's windows (padding is −∞
for max, counted or not for average), the output size given by the caller, and the argmax as
the flat index ``h·W + w`` of the unpadded input. Each tap (i, j) of the window is one strided
slice over every output position of the batch, so the Python loop runs KH·KW times.

Max pool's argmax follows numba's rule: in window order the first maximum wins, a NaN wins
and then stays, and padding is never chosen. Its backward has only the argmax (the
kernel table's signature), so it is a scatter-add by flat index: `xp.add.at` (sequential, so
deterministic) unless the caller passes another `scatter` — the GPU binds `scatter_add_sorted`,
which adds duplicates in passes of distinct indices instead of with atomics, so that a run
gives the same bits every time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from cnntool.engine.array_kernels.conv import pad_for_windows, padded_extent, tap_slices
from cnntool.engine.kernel_rules import check_pool
from cnntool.errors import ShapeError


def _tap_index(size: int, out: int, s: int, before: int, t: int, d: int) -> np.ndarray:
    """Input index o·s − before + t·d of tap t for every output position o (host NumPy, small)."""
    return np.arange(out, dtype=np.int64) * s - before + t * d


def _constant(xp: ModuleType, a: np.ndarray) -> Any:
    """`a` on the device, read-only where the array type can say so (it is cached and shared)."""
    out = xp.asarray(a)
    if isinstance(out, np.ndarray):
        out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=256)
def _taps(xp: ModuleType, hw: tuple[int, int], kernel, stride, padding, dilation, out_hw) -> tuple:
    """For each window tap that reaches the input: (i, j, flat indices (HO, WO) on the device, inside
    mask on the device or None when every position is inside). Cached per geometry, so that a GPU
    gets no host-to-device copy (a synchronisation) in the forward pass."""
    (h, w), (pt, _), (pl, _) = hw, padding[0], padding[1]
    taps = []
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            hi = _tap_index(h, out_hw[0], stride[0], pt, i, dilation[0])
            wi = _tap_index(w, out_hw[1], stride[1], pl, j, dilation[1])
            inside = ((hi >= 0) & (hi < h))[:, None] & ((wi >= 0) & (wi < w))[None, :]
            if inside.any():
                mask = None if inside.all() else _constant(xp, inside)
                taps.append((i, j, _constant(xp, hi[:, None] * w + wi[None, :]), mask))
    return tuple(taps)


def take_max(xp: ModuleType, v: Any, best: Any, arg: Any, flat: Any, valid: Any) -> tuple[Any, Any]:
    """One tap of the argmax: (best, arg) updated where tap value `v` wins (numba's rule), in place.

    `valid` (HO, WO) says which positions of this tap are inside the input (None: all of them).
    """
    take = (arg < 0) | ((best == best) & ((v > best) | (v != v)))
    if valid is not None:
        take &= valid
    best[...] = xp.where(take, v, best)
    arg[...] = xp.where(take, flat, arg)
    return best, arg


def maxpool_forward(xp: ModuleType, x: Any, kernel, stride, padding, dilation, out_hw, with_argmax: bool = True,
                    *, tap_update: Callable[..., Any] | None = None) -> tuple[Any, Any]:  # fmt: skip
    """x: (N, C, H, W) → (out: (N, C, HO, WO), argmax flat h·W+w indices, or None without it).

    The maximum is a chain of `maximum`s over the taps (padding is −∞; NaN propagates). The argmax
    is then found in one pass over the taps in reverse order, each tap overwriting the positions
    where it equals the maximum (or is NaN where the maximum is), so the first such tap in window
    order is the one left: numba's rule, in two elementwise operations a tap. `tap_update(v, best,
    arg, flat, valid)` instead runs `take_max`'s rule tap by tap (a GPU binds it as one fused kernel).
    """
    check_pool("maxpool", x, kernel, stride, padding, out_hw)
    n, c, h, w = x.shape
    xpad = pad_for_windows(xp, x, kernel, stride, padding, dilation, out_hw, -np.inf)
    geometry = (tuple(kernel), tuple(stride), tuple(map(tuple, padding)), tuple(dilation), tuple(out_hw))
    taps = [  # (tap's values, flat indices, inside mask or None): only taps that reach the input
        (xpad[(slice(None), slice(None), *tap_slices(i, j, stride, dilation, out_hw))], flat, inside)
        for i, j, flat, inside in _taps(xp, (h, w), *geometry)
    ]
    if tap_update is not None and with_argmax:
        best = xp.full((n, c, *out_hw), -np.inf, dtype=x.dtype)
        arg = xp.full((n, c, *out_hw), -1, dtype=np.int64)
        for v, flat, inside in taps:
            best, arg = tap_update(v, best, arg, flat, inside)
        return best, arg
    out = xp.array(taps[0][0], copy=True)
    for v, _, _ in taps[1:]:
        xp.maximum(out, v, out=out)
    out = xp.ascontiguousarray(out)
    if not with_argmax:
        return out, None
    nan = bool(xp.isnan(out).any())
    arg = xp.full((n, c, *out_hw), -1, dtype=np.int64)
    for v, flat, inside in reversed(taps):
        hit = v == out
        if nan:
            hit |= v != v
        if inside is not None:
            hit &= inside
        xp.copyto(arg, flat, where=hit)
    return out, arg


def scatter_add_sorted(xp: ModuleType, target: Any, index: Any, values: Any) -> None:
    """target[index] += values for flat 1-D arrays, duplicates included, without atomics: sort the
    indices, rank each repeat of an index, and add rank by rank (each pass has distinct indices).
    Deterministic on any device; the passes are as many as the most often repeated index."""
    order = xp.argsort(index, kind="stable") if xp is np else xp.argsort(index)
    idx, vals = index[order], values[order]
    starts = xp.ones(idx.shape, dtype=bool)
    starts[1:] = idx[1:] != idx[:-1]
    first = xp.flatnonzero(starts)
    rank = xp.arange(idx.size) - first[xp.cumsum(starts) - 1]
    for r in range(int(rank.max()) + 1 if idx.size else 0):
        pick = rank == r
        target[idx[pick]] += vals[pick]


def maxpool_backward(xp: ModuleType, dout: Any, arg: Any, x_shape, *,
                     scatter: Callable[..., Any] | None = None) -> Any:  # fmt: skip
    """dout, argmax: (N, C, HO, WO) → dx: (N, C, H, W); each gradient goes to its window's max."""
    if dout.shape != arg.shape or dout.shape[:2] != tuple(x_shape[:2]):
        raise ShapeError(
            f"maxpool backward: dout {dout.shape} does not match argmax {arg.shape} / x {x_shape}"
        )
    n, c, h, w = (int(v) for v in x_shape)
    dx = xp.zeros(n * c * h * w, dtype=dout.dtype)
    planes = xp.arange(n * c, dtype=np.int64).reshape(n, c, 1, 1) * (h * w)
    index = (arg + planes).reshape(-1)
    values = xp.ascontiguousarray(dout).reshape(-1)
    if scatter is None:
        xp.add.at(dx, index, values)
    else:
        scatter(dx, index, values)
    return dx.reshape(n, c, h, w)


@functools.lru_cache(maxsize=256)
def _device_divisors(xp: ModuleType, dtype: np.dtype, *geometry: Any) -> Any:
    """avgpool_divisors in `dtype` on the device, cached per geometry (no copy per forward)."""
    return _constant(xp, avgpool_divisors(*geometry).astype(dtype))


def avgpool_divisors(hw, kernel, stride, padding, count_include_pad: bool, out_hw) -> np.ndarray:
    """(HO, WO) float64 window sizes PyTorch divides by (clipped to the padded or the real input)."""
    lengths = []
    for size, k, s, (lo, hi), out in zip(hw, kernel, stride, padding, out_hw, strict=True):
        start = np.arange(out, dtype=np.int64) * s - lo
        end = np.minimum(start + k, size + hi)
        lengths.append(end - start if count_include_pad else np.minimum(end, size) - np.maximum(start, 0))
    return np.outer(*lengths).astype(np.float64)


def avgpool_forward(xp: ModuleType, x: Any, kernel, stride, padding, count_include_pad: bool,
                    out_hw) -> tuple[Any, Any]:  # fmt: skip
    """x: (N, C, H, W) → (out: (N, C, HO, WO), divisors: (HO, WO) in x's dtype)."""
    check_pool("avgpool", x, kernel, stride, padding, out_hw)
    n, c, h, w = x.shape
    geometry = ((h, w), tuple(kernel), tuple(stride), tuple(map(tuple, padding)), bool(count_include_pad),
                tuple(out_hw))  # fmt: skip
    div = _device_divisors(xp, np.dtype(x.dtype), *geometry)
    xpad = pad_for_windows(xp, x, kernel, stride, padding, (1, 1), out_hw, 0.0)
    total = xp.zeros((n, c, *out_hw), dtype=x.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            total += xpad[(slice(None), slice(None), *tap_slices(i, j, stride, (1, 1), out_hw))]
    total /= div
    return total, div


def avgpool_backward(xp: ModuleType, dout: Any, div: Any, x_shape, kernel, stride, padding) -> Any:
    """dout: (N, C, HO, WO) → dx: (N, C, H, W), each window's gradient spread evenly over its cells."""
    if dout.shape[2:] != div.shape or dout.shape[:2] != tuple(x_shape[:2]):
        raise ShapeError(
            f"avgpool backward: dout {dout.shape} does not match divisors {div.shape} / x {x_shape}"
        )
    n, c, h, w = (int(v) for v in x_shape)
    out_hw = tuple(dout.shape[2:])
    (pt, _), (pl, _) = padding
    hp = padded_extent(h, pt, out_hw[0], kernel[0], stride[0], 1)
    wp = padded_extent(w, pl, out_hw[1], kernel[1], stride[1], 1)
    g = dout / div
    dxp = xp.zeros((n, c, hp, wp), dtype=dout.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            target = dxp[(slice(None), slice(None), *tap_slices(i, j, stride, (1, 1), out_hw))]
            xp.add(target, g, out=target)
    return xp.ascontiguousarray(dxp[:, :, pt : pt + h, pl : pl + w])
