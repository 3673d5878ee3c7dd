"""im2col / col2im on an array module: one strided gather, and a scatter as a sum over the taps.

Same column layout as the numba kernels (engine/kernels/conv.py):
``cols[n, (c·KH + i)·KW + j, oh·WO + ow] = x_pad[n, c, oh·SH + i·DH, ow·SW + j·DW]``.
im2col is one copy from a 6-D strided view of the padded input (one kernel launch on a GPU);
col2im adds tap (i, j)'s slice of columns into a strided slice of the padded gradient, KH·KW
times. Within one tap the target cells are distinct, so plain `+=` is exact and no scatter-add
(and no atomic, with its run-to-run rounding differences on a GPU) is needed.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from cnntool.engine.kernel_rules import check_cols, im2col_target

Pair = tuple[int, int]


def padded_extent(size: int, before: int, out: int, k: int, s: int, d: int) -> int:
    """Length of the padded axis that holds every window: the input after `before` cells, and as
    many cells after it as the last window reaches (a pool's ceil mode reaches past the padding)."""
    return max(before + size, (out - 1) * s + (k - 1) * d + 1)


def pad_for_windows(xp: ModuleType, x: Any, kernel, stride, padding, dilation, out_hw, value: float) -> Any:
    """x (N, C, H, W) padded with `value` on the top/left as declared and on the bottom/right as far
    as the windows reach; cells outside the input are never read as anything but `value`."""
    _, _, h, w = x.shape
    (pt, _), (pl, _) = padding
    hp = padded_extent(h, pt, out_hw[0], kernel[0], stride[0], dilation[0])
    wp = padded_extent(w, pl, out_hw[1], kernel[1], stride[1], dilation[1])
    if pt == pl == 0 and hp == h and wp == w:
        return x
    return xp.pad(x, ((0, 0), (0, 0), (pt, hp - pt - h), (pl, wp - pl - w)), constant_values=value)


def tap_slices(i: int, j: int, stride: Pair, dilation: Pair, out_hw: Pair) -> tuple[slice, slice]:
    """The rows and columns of the padded input that tap (i, j) reads for every output position."""
    (sh, sw), (dh, dw), (ho, wo) = stride, dilation, out_hw
    return (slice(i * dh, i * dh + (ho - 1) * sh + 1, sh), slice(j * dw, j * dw + (wo - 1) * sw + 1, sw))


def window_view(xp: ModuleType, xpad: Any, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair) -> Any:
    """(N, C, KH, KW, HO, WO) strided view of the padded input: no copy."""
    n, c, _, _ = xpad.shape
    s_n, s_c, s_h, s_w = xpad.strides
    return xp.lib.stride_tricks.as_strided(
        xpad,
        shape=(n, c, kernel[0], kernel[1], out_hw[0], out_hw[1]),
        strides=(s_n, s_c, s_h * dilation[0], s_w * dilation[1], s_h * stride[0], s_w * stride[1]),
    )


def im2col(xp: ModuleType, x: Any, kernel: Pair, stride: Pair, padding: tuple[Pair, Pair], dilation: Pair,
           out_hw: Pair, out: Any = None) -> Any:  # fmt: skip
    """x: (N, C, H, W) → cols: (N, C·KH·KW, HO·WO), optionally into the buffer `out` (numba's contract)."""
    cols = im2col_target(xp, x, kernel, stride, padding, dilation, out_hw, out)
    n, c, _, _ = x.shape
    kh, kw = kernel
    xpad = pad_for_windows(xp, x, kernel, stride, padding, dilation, out_hw, 0.0)
    cols.reshape(n, c, kh, kw, *out_hw)[...] = window_view(xp, xpad, kernel, stride, dilation, out_hw)
    return cols


def col2im(xp: ModuleType, cols: Any, x_shape, kernel: Pair, stride: Pair, padding: tuple[Pair, Pair],
           dilation: Pair, out_hw: Pair) -> Any:  # fmt: skip
    """cols: (N, C·KH·KW, HO·WO) → dx: (N, C, H, W), summing overlapping windows (im2col's adjoint)."""
    check_cols(cols, x_shape, kernel, stride, padding, dilation, out_hw)
    n, c, h, w = (int(v) for v in x_shape)
    kh, kw = kernel
    (pt, _), (pl, _) = padding
    hp = padded_extent(h, pt, out_hw[0], kh, stride[0], dilation[0])
    wp = padded_extent(w, pl, out_hw[1], kw, stride[1], dilation[1])
    dxp = xp.zeros((n, c, hp, wp), dtype=cols.dtype)
    c6 = cols.reshape(n, c, kh, kw, *out_hw)
    for i in range(kh):
        for j in range(kw):
            target = dxp[(slice(None), slice(None), *tap_slices(i, j, stride, dilation, out_hw))]
            xp.add(target, c6[:, :, i, j], out=target)  # `dxp[s] += v` would copy the slice back once more
    if hp == h and wp == w:
        return dxp
    return xp.ascontiguousarray(dxp[:, :, pt : pt + h, pl : pl + w])
