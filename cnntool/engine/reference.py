"""Naive NumPy twins of every numba kernel: slow, obviously right, the test oracle.

Each function has the same signature and result as its fast counterpart in
`cnntool.engine.kernels` (docs/architecture.md, rule 6). They pad explicitly and loop over
windows, so they read like the lecture's definitions.
"""

from __future__ import annotations

import numpy as np


def _pad(x: np.ndarray, padding, value: float = 0.0) -> np.ndarray:
    (pt, pb), (pl, pr) = padding
    return np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=value)


def im2col(x, kernel, stride, padding, dilation, out_hw) -> np.ndarray:
    """Twin of `kernels.conv.im2col`: x (N, C, H, W) → (N, C·KH·KW, HO·WO)."""
    n, c, _, _ = x.shape
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    xp_ = _pad(x, padding)
    cols = np.zeros((n, c, kh, kw, ho, wo), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            for oh in range(ho):
                for ow in range(wo):
                    cols[:, :, i, j, oh, ow] = xp_[:, :, oh * sh + i * dh, ow * sw + j * dw]
    return cols.reshape(n, c * kh * kw, ho * wo)


def col2im(cols, x_shape, kernel, stride, padding, dilation, out_hw) -> np.ndarray:
    """Twin of `kernels.conv.col2im`: the adjoint of im2col, (N, C·KH·KW, HO·WO) → (N, C, H, W)."""
    n, c, h, w = x_shape
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    (pt, pb), (pl, pr) = padding
    dxp = np.zeros((n, c, h + pt + pb, w + pl + pr), dtype=cols.dtype)
    c6 = cols.reshape(n, c, kh, kw, ho, wo)
    for i in range(kh):
        for j in range(kw):
            for oh in range(ho):
                for ow in range(wo):
                    dxp[:, :, oh * sh + i * dh, ow * sw + j * dw] += c6[:, :, i, j, oh, ow]
    return dxp[:, :, pt : pt + h, pl : pl + w]


def conv2d(x, weight, bias, stride, padding, dilation, groups) -> np.ndarray:
    """Direct convolution (cross-correlation, as PyTorch): x (N, C, H, W), weight (F, C/g, KH, KW)."""
    n, c, h, w = x.shape
    f, cg, kh, kw = weight.shape
    (sh, sw), (dh, dw) = stride, dilation
    xp_ = _pad(x, padding)
    ho = (xp_.shape[2] - dh * (kh - 1) - 1) // sh + 1
    wo = (xp_.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, f, ho, wo), dtype=x.dtype)
    fg = f // groups
    for k in range(f):
        g = k // fg
        for oh in range(ho):
            for ow in range(wo):
                win = xp_[:, g * cg : (g + 1) * cg, oh * sh : oh * sh + dh * (kh - 1) + 1 : dh,
                          ow * sw : ow * sw + dw * (kw - 1) + 1 : dw]  # fmt: skip
                out[:, k, oh, ow] = (win * weight[k]).sum(axis=(1, 2, 3))
    if bias is not None:
        out += bias[None, :, None, None]
    return out


def maxpool_forward(x, kernel, stride, padding, dilation, out_hw, with_argmax=True):
    """Twin of `kernels.pool.maxpool_forward`: (out, argmax as flat h·W+w of the unpadded input),
    or (out, None) without the argmax."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    (pt, _), (pl, _) = padding
    out = np.empty((n, c, ho, wo), dtype=x.dtype)
    arg = np.empty((n, c, ho, wo), dtype=np.int64)
    for oh in range(ho):
        for ow in range(wo):
            hs = [oh * sh - pt + i * dh for i in range(kh) if 0 <= oh * sh - pt + i * dh < h]
            ws = [ow * sw - pl + j * dw for j in range(kw) if 0 <= ow * sw - pl + j * dw < w]
            flat = np.array([hh * w + ww for hh in hs for ww in ws])
            vals = x.reshape(n, c, h * w)[:, :, flat]
            best = np.argmax(vals, axis=2)
            arg[:, :, oh, ow] = flat[best]
            out[:, :, oh, ow] = np.take_along_axis(vals, best[:, :, None], axis=2)[:, :, 0]
    return out, (arg if with_argmax else None)


def maxpool_backward(dout, arg, x_shape):
    """Twin of `kernels.pool.maxpool_backward`."""
    n, c, h, w = x_shape
    dx = np.zeros((n, c, h * w), dtype=dout.dtype)
    for i in range(n):
        for j in range(c):
            np.add.at(dx[i, j], arg[i, j].ravel(), dout[i, j].ravel())
    return dx.reshape(x_shape)


def _avg_windows(h, w, kernel, stride, padding, count_include_pad, out_hw):
    (kh, kw), (sh, sw), (ho, wo) = kernel, stride, out_hw
    (pt, pb), (pl, pr) = padding
    for oh in range(ho):
        for ow in range(wo):
            h0, w0 = oh * sh - pt, ow * sw - pl
            h1, w1 = min(h0 + kh, h + pb), min(w0 + kw, w + pr)
            area = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
            yield oh, ow, slice(h0, h1), slice(w0, w1), area if count_include_pad else (h1 - h0) * (w1 - w0)


def avgpool_forward(x, kernel, stride, padding, count_include_pad, out_hw):
    """Twin of `kernels.pool.avgpool_forward`: (out, divisors)."""
    n, c, h, w = x.shape
    out = np.empty((n, c, *out_hw), dtype=x.dtype)
    div = np.empty(out_hw, dtype=x.dtype)
    for oh, ow, hs, ws, d in _avg_windows(h, w, kernel, stride, padding, count_include_pad, out_hw):
        out[:, :, oh, ow] = x[:, :, hs, ws].sum(axis=(2, 3)) / d
        div[oh, ow] = d
    return out, div


def avgpool_backward(dout, div, x_shape, kernel, stride, padding):
    """Twin of `kernels.pool.avgpool_backward`."""
    n, c, h, w = x_shape
    dx = np.zeros(x_shape, dtype=dout.dtype)
    for oh, ow, hs, ws, _ in _avg_windows(h, w, kernel, stride, padding, True, dout.shape[2:]):
        dx[:, :, hs, ws] += (dout[:, :, oh, ow] / div[oh, ow])[:, :, None, None]
    return dx


def bias_act(y, bias, act="none", alpha=0.0):
    """Twin of `kernels.act.bias_act` (which works in place): act(y + bias[f]) for y (N, F, P)."""
    v = y + (bias[None, :, None] if bias is not None else 0)
    if act == "relu":
        return np.maximum(v, 0)
    if act == "relu6":
        return np.clip(v, 0, alpha)
    if act == "leakyrelu":
        return np.where(v > 0, v, v * alpha)
    if act == "sigmoid":
        return 1 / (1 + np.exp(-v))
    if act == "tanh":
        return np.tanh(v)
    return v


def batchnorm_stats(x):
    """Twin of `kernels.norm.batchnorm_stats`: per-channel mean and biased variance of x (N, C, *S)."""
    axes = (0, *range(2, x.ndim))
    return x.mean(axis=axes), x.var(axis=axes)


def _per_channel(v, x):
    return v.reshape((1, -1) + (1,) * (x.ndim - 2))


def batchnorm_forward(x, mean, inv_std, scale, shift):
    """Twin of `kernels.norm.batchnorm_forward`: (out, xhat)."""
    xhat = (x - _per_channel(mean, x)) * _per_channel(inv_std, x)
    return xhat * _per_channel(scale, x) + _per_channel(shift, x), xhat


def batchnorm_backward(dout, xhat, scale, inv_std, train):
    """Twin of `kernels.norm.batchnorm_backward`: (dx, dscale, dshift)."""
    axes = (0, *range(2, dout.ndim))
    dxhat = dout * _per_channel(scale, dout)
    dx = dxhat * _per_channel(inv_std, dout)
    if train:
        mean_d = dxhat.mean(axis=axes, keepdims=True)
        mean_dx = (dxhat * xhat).mean(axis=axes, keepdims=True)
        dx = _per_channel(inv_std, dout) * (dxhat - mean_d - xhat * mean_dx)
    return dx, (dout * xhat).sum(axis=axes), dout.sum(axis=axes)
