"""The argument checks and the one time-loop rule that both kernel families share.

The numba kernels (`engine/kernels/`) and the array-module kernels
(`engine/array_kernels/`, NumPy or CuPy) must refuse the same arguments with the
same words and cut truncated BPTT at the same steps; keeping those rules here, in
a module that imports neither numba nor an array library, means the CPU-without-
numba and GPU backends cannot drift from the numba one.
"""

from __future__ import annotations

from typing import Any

from cnntool.errors import ShapeError

Pair = tuple[int, int]


def check_geometry(name: str, kernel: Pair, stride: Pair, padding: tuple[Pair, Pair], dilation: Pair,
                   out_hw: Pair) -> None:  # fmt: skip
    """im2col / col2im: sizes ≥ 1, padding ≥ 0, a non-empty output."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    if min(kh, kw, sh, sw, dh, dw) < 1 or min(padding[0] + padding[1]) < 0:
        raise ShapeError(
            f"{name}: kernel {kernel}, stride {stride}, dilation {dilation} must be ≥ 1 and padding {padding} ≥ 0"
        )
    if min(out_hw) < 1:
        raise ShapeError(
            f"{name}: output size {out_hw} is empty (kernel {kernel} larger than the padded input)"
        )


def check_images(name: str, x: Any) -> None:
    if x.ndim != 4:
        raise ShapeError(f"{name}: expected x of shape (N, C, H, W), got {x.shape}")


def check_buffer(name: str, out: Any, shape: tuple[int, ...], dtype: Any) -> None:
    """A caller's output buffer (a layer reuses one across calls) must be exactly the result's array."""
    if out.shape != shape or out.dtype != dtype or not out.flags.c_contiguous:
        raise ShapeError(f"{name}: out buffer {out.shape} {out.dtype} is not a contiguous {shape} {dtype}")


def im2col_target(xp: Any, x: Any, kernel: Pair, stride: Pair, padding: tuple[Pair, Pair], dilation: Pair,
                  out_hw: Pair, out: Any) -> Any:  # fmt: skip
    """im2col's checked arguments and the array its columns go to: `out` (a layer's reused buffer)
    when given, else a new (N, C·KH·KW, HO·WO) array of x's dtype from the array module `xp`."""
    check_images("im2col", x)
    check_geometry("im2col", kernel, stride, padding, dilation, out_hw)
    n, c = x.shape[:2]
    shape = (n, c * kernel[0] * kernel[1], out_hw[0] * out_hw[1])
    if out is None:
        return xp.empty(shape, dtype=x.dtype)
    check_buffer("im2col", out, shape, x.dtype)
    return out


def check_cols(cols: Any, x_shape: Any, kernel: Pair, stride: Pair, padding: tuple[Pair, Pair], dilation: Pair,
               out_hw: Pair) -> None:  # fmt: skip
    """col2im: the columns must be exactly what im2col makes of an x of `x_shape`."""
    n, c = int(x_shape[0]), int(x_shape[1])
    expected = (n, c * kernel[0] * kernel[1], out_hw[0] * out_hw[1])
    if cols.shape != expected:
        raise ShapeError(
            f"col2im: expected cols of shape {expected} for x {tuple(x_shape)}, got {cols.shape}"
        )
    check_geometry("col2im", kernel, stride, padding, dilation, out_hw)


def check_pool(
    name: str, x: Any, kernel: Pair, stride: Pair, padding: tuple[Pair, Pair], out_hw: Pair
) -> None:
    """Pooling: (N, C, H, W) input, sizes ≥ 1, padding at most half the window (PyTorch's rule)."""
    check_images(name, x)
    if min(*kernel, *stride) < 1 or min(out_hw) < 1:
        raise ShapeError(f"{name}: kernel {kernel}, stride {stride} on {x.shape} gives output {out_hw}")
    for (lo, hi), k in zip(padding, kernel, strict=True):
        if lo < 0 or hi < 0 or lo > k // 2 or hi > k // 2:
            raise ShapeError(f"{name}: padding {padding} must be between 0 and half the kernel {kernel}")


def check_bias_act(act: str, names: Any, y: Any, bias: Any) -> None:
    """The fused bias + activation: a known activation, y (N, F, P) C-contiguous, bias (F,) or None."""
    if act not in names:
        raise ValueError(f"bias_act: unknown activation {act!r}; expected one of {sorted(names)}")
    if y.ndim != 3 or not y.flags.c_contiguous:
        raise ShapeError(f"bias_act: expected a C-contiguous y of shape (N, F, P), got {y.shape}")
    if bias is not None and bias.shape != (y.shape[1],):
        raise ShapeError(f"bias_act: bias of shape {bias.shape} does not match y {y.shape} (F={y.shape[1]})")


def check_sequence(name: str, xproj: Any, gates: int, hidden: int, w_hh: Any, h0: Any, valid: Any) -> None:
    """A recurrent time loop's inputs: xproj (T, N, G·H) C-contiguous, w_hh (G·H, H_rec), h0 (N, H_rec),
    valid (T, N) or None, all of one dtype."""
    t_, n, gh = xproj.shape
    if gh != gates * hidden or not xproj.flags.c_contiguous:
        raise ShapeError(f"{name}: xproj must be C-contiguous (T, N, {gates * hidden}), got {xproj.shape}")
    if w_hh.shape[0] != gh or w_hh.dtype != xproj.dtype:
        raise ShapeError(
            f"{name}: w_hh {w_hh.dtype}{w_hh.shape} does not fit xproj {xproj.dtype}{xproj.shape}"
        )
    if h0.shape != (n, w_hh.shape[1]) or h0.dtype != xproj.dtype:
        raise ShapeError(f"{name}: h0 {h0.dtype}{h0.shape}, expected ({n}, {w_hh.shape[1]}) {xproj.dtype}")
    if valid is not None and valid.shape != (t_, n):
        raise ShapeError(f"{name}: valid must be (T, N) = {(t_, n)}, got {valid.shape}")


def check_recurrent_bias(bias: Any, gh: int, dtype: Any) -> None:
    if bias.shape != (gh,) or bias.dtype != dtype:
        raise ShapeError(f"recurrent kernel: bias must be {dtype} ({gh},), got {bias.dtype}{bias.shape}")


def bptt_cut(t: int, t_: int, bptt: int, reverse: bool) -> bool:
    """Truncated BPTT: after the backward of step t, is the edge to the step processed before it cut?
    Blocks start at positions 0, k, 2k, …; no gradient crosses from one block to the previous one."""
    if not bptt:
        return False
    return (t % bptt == 0 and t > 0) if not reverse else ((t + 1) % bptt == 0 and t + 1 < t_)
