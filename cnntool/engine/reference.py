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


# --- recurrent time loops (twins of kernels.recurrent) ------------------------------------------------


def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def _order(t_, reverse):
    return list(range(t_))[::-1] if reverse else list(range(t_))


def _mask(valid, t_, n):
    return np.ones((t_, n), dtype=bool) if valid is None else np.asarray(valid).astype(bool)


def lstm_forward(
    xproj, w_hh, h0, c0, *, bias=None, w_hr=None, peep=None, valid=None, reverse=False, record=False
):
    """Twin of `kernels.recurrent.lstm_forward`: the equations step by step, rows that skip a step
    keep their state."""
    t_, n, gh = xproj.shape
    h = gh // 4
    ok = _mask(valid, t_, n)
    hs, cs = np.zeros((t_ + 1, n, w_hh.shape[1]), xproj.dtype), np.zeros((t_ + 1, n, h), xproj.dtype)
    out = {"gates": np.zeros((t_, n, gh), xproj.dtype), "tanh_c": np.zeros((t_, n, h), xproj.dtype)}
    ms, pres = np.zeros((t_, n, h), xproj.dtype), np.zeros((t_, n, gh), xproj.dtype)
    start = t_ if reverse else 0
    hs[start], cs[start] = h0, c0
    for t in _order(t_, reverse):
        a, b = (t + 1, t) if reverse else (t, t + 1)
        h_prev, c_prev = hs[a], cs[a]
        z = xproj[t] + h_prev @ w_hh.T + (bias if bias is not None else 0)
        ai, af, ag, ao = z[:, :h], z[:, h : 2 * h], z[:, 2 * h : 3 * h], z[:, 3 * h :]
        if peep is not None:
            ai, af = ai + peep[0] * c_prev, af + peep[1] * c_prev
        i, f, g = _sig(ai), _sig(af), np.tanh(ag)
        c = f * c_prev + i * g
        if peep is not None:
            ao = ao + peep[2] * c
        o = _sig(ao)
        m = o * np.tanh(c)
        hn = m @ w_hr.T if w_hr is not None else m
        keep = ok[t][:, None]
        hs[b] = np.where(keep, hn, h_prev)
        cs[b] = np.where(keep, c, c_prev)
        out["gates"][t] = np.where(keep, np.concatenate([i, f, g, o], axis=1), 0)
        out["tanh_c"][t] = np.where(keep, np.tanh(c), 0)
        ms[t] = np.where(keep, m, 0)
        pres[t] = np.where(keep, np.concatenate([ai, af, ag, ao], axis=1), 0)
    out |= {"h": hs, "c": cs}
    if w_hr is not None:
        out["m"] = ms
    if record:
        out["pre"] = pres
    return out


def _cut_edge(t, t_, bptt, reverse):
    if not bptt:
        return False
    boundary = t if not reverse else t + 1  # the edge between positions boundary−1 and boundary
    return 0 < boundary < t_ and boundary % bptt == 0


def lstm_backward(saved, dy, dh_n, dc_n, w_hh, *, w_hr=None, peep=None, valid=None, reverse=False, bptt=0,
                  record=False):  # fmt: skip
    """Twin of `kernels.recurrent.lstm_backward`."""
    gates, cs = saved["gates"], saved["c"]
    t_, n, gh = gates.shape
    h, hr = gh // 4, w_hh.shape[1]
    ok = _mask(valid, t_, n)
    dh = np.zeros((n, hr), gates.dtype) if dh_n is None else np.array(dh_n)
    dc = np.zeros((n, h), gates.dtype) if dc_n is None else np.array(dc_n)
    out = {"dgates": np.zeros_like(gates), "dh": np.zeros((t_, n, hr), gates.dtype),
           "dc": np.zeros((t_, n, h), gates.dtype), "dh_proj": np.zeros((t_, n, hr), gates.dtype)}  # fmt: skip
    for t in _order(t_, not reverse):
        a, b = (t + 1, t) if reverse else (t, t + 1)
        keep = ok[t][:, None]
        total = dh + (np.where(keep, dy[t], 0) if dy is not None else 0)
        out["dh"][t] = total
        i, f, g, o = (gates[t][:, k * h : (k + 1) * h] for k in range(4))
        c_prev, c = cs[a], cs[b]
        if w_hr is not None:
            out["dh_proj"][t] = np.where(keep, total, 0)
            dm = out["dh_proj"][t] @ w_hr
        else:
            dm = total
        tc = np.tanh(c)
        do = dm * tc * o * (1 - o)
        dct = dc + dm * o * (1 - tc**2) + (do * peep[2] if peep is not None else 0)
        di, df, dg = dct * g * i * (1 - i), dct * c_prev * f * (1 - f), dct * i * (1 - g**2)
        dc_prev = dct * f + ((di * peep[0] + df * peep[1]) if peep is not None else 0)
        dgt = np.where(keep, np.concatenate([di, df, dg, do], axis=1), 0)
        out["dgates"][t] = dgt
        out["dc"][t] = np.where(keep, dct, dc)
        dc = np.where(keep, dc_prev, dc)
        dh = np.where(keep, dgt @ w_hh, total)
        if _cut_edge(t, t_, bptt, reverse):
            dh, dc = np.zeros_like(dh), np.zeros_like(dc)
    out |= {"dh0": dh, "dc0": dc}
    if w_hr is None:
        del out["dh_proj"]
    if not record:
        del out["dh"], out["dc"]
    return out


def gru_forward(xproj, w_hh, b_hn, h0, *, bias=None, valid=None, reverse=False, record=False):
    """Twin of `kernels.recurrent.gru_forward`: r, z, n = tanh(x_n + r ⊙ (W_hn·h + b_hn)), h = (1−z)n + z·h."""
    t_, n, gh = xproj.shape
    h = gh // 3
    ok = _mask(valid, t_, n)
    hs = np.zeros((t_ + 1, n, h), xproj.dtype)
    gates, hns, pres = (
        np.zeros((t_, n, gh), xproj.dtype),
        np.zeros((t_, n, h), xproj.dtype),
        np.zeros((t_, n, gh), xproj.dtype),
    )
    hs[t_ if reverse else 0] = h0
    for t in _order(t_, reverse):
        a, b = (t + 1, t) if reverse else (t, t + 1)
        hg = hs[a] @ w_hh.T
        xt = xproj[t] + (bias if bias is not None else 0)
        ar, az = xt[:, :h] + hg[:, :h], xt[:, h : 2 * h] + hg[:, h : 2 * h]
        r, z = _sig(ar), _sig(az)
        hn = hg[:, 2 * h :] + b_hn
        an = xt[:, 2 * h :] + r * hn
        nn_ = np.tanh(an)
        keep = ok[t][:, None]
        hs[b] = np.where(keep, (1 - z) * nn_ + z * hs[a], hs[a])
        gates[t] = np.where(keep, np.concatenate([r, z, nn_], axis=1), 0)
        hns[t] = np.where(keep, hn, 0)
        pres[t] = np.where(keep, np.concatenate([ar, az, an], axis=1), 0)
    out = {"h": hs, "gates": gates, "hn": hns}
    if record:
        out["pre"] = pres
    return out


def gru_backward(saved, dy, dh_n, w_hh, *, valid=None, reverse=False, bptt=0, record=False):
    """Twin of `kernels.recurrent.gru_backward`."""
    gates, hns, hs = saved["gates"], saved["hn"], saved["h"]
    t_, n, gh = gates.shape
    h = gh // 3
    ok = _mask(valid, t_, n)
    dh = np.zeros((n, h), gates.dtype) if dh_n is None else np.array(dh_n)
    out = {"dgx": np.zeros_like(gates), "dgh": np.zeros_like(gates), "dh": np.zeros((t_, n, h), gates.dtype)}
    for t in _order(t_, not reverse):
        a = t + 1 if reverse else t
        keep = ok[t][:, None]
        total = dh + (np.where(keep, dy[t], 0) if dy is not None else 0)
        out["dh"][t] = total
        r, z, nn_ = gates[t][:, :h], gates[t][:, h : 2 * h], gates[t][:, 2 * h :]
        dn = total * (1 - z) * (1 - nn_**2)
        dz = total * (hs[a] - nn_) * z * (1 - z)
        dr = dn * hns[t] * r * (1 - r)
        out["dgx"][t] = np.where(keep, np.concatenate([dr, dz, dn], axis=1), 0)
        out["dgh"][t] = np.where(keep, np.concatenate([dr, dz, dn * r], axis=1), 0)
        dh = np.where(keep, out["dgh"][t] @ w_hh + total * z, total)
        if _cut_edge(t, t_, bptt, reverse):
            dh = np.zeros_like(dh)
    out["dh0"] = dh
    if not record:
        del out["dh"]
    return out


def rnn_forward(xproj, w_hh, h0, *, bias=None, relu=False, valid=None, reverse=False, record=False):
    """Twin of `kernels.recurrent.rnn_forward`: h_t = tanh(x_t·W_ihᵀ + b + W_hh·h_{t−1}) (or relu)."""
    t_, n, h = xproj.shape
    ok = _mask(valid, t_, n)
    hs, pres = np.zeros((t_ + 1, n, h), xproj.dtype), np.zeros((t_, n, h), xproj.dtype)
    hs[t_ if reverse else 0] = h0
    for t in _order(t_, reverse):
        a, b = (t + 1, t) if reverse else (t, t + 1)
        pre = xproj[t] + hs[a] @ w_hh.T + (bias if bias is not None else 0)
        keep = ok[t][:, None]
        hs[b] = np.where(keep, np.maximum(pre, 0) if relu else np.tanh(pre), hs[a])
        pres[t] = np.where(keep, pre, 0)
    out = {"h": hs}
    if record:
        out["pre"] = pres
    return out


def rnn_backward(saved, dy, dh_n, w_hh, *, relu=False, valid=None, reverse=False, bptt=0, record=False):
    """Twin of `kernels.recurrent.rnn_backward`."""
    hs = saved["h"]
    t_, n, h = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
    ok = _mask(valid, t_, n)
    dh = np.zeros((n, h), hs.dtype) if dh_n is None else np.array(dh_n)
    out = {"dpre": np.zeros((t_, n, h), hs.dtype), "dh": np.zeros((t_, n, h), hs.dtype)}
    for t in _order(t_, not reverse):
        b = t if reverse else t + 1
        keep = ok[t][:, None]
        total = dh + (np.where(keep, dy[t], 0) if dy is not None else 0)
        out["dh"][t] = total
        slope = (hs[b] > 0).astype(hs.dtype) if relu else 1 - hs[b] ** 2
        out["dpre"][t] = np.where(keep, total * slope, 0)
        dh = np.where(keep, out["dpre"][t] @ w_hh, total)
        if _cut_edge(t, t_, bptt, reverse):
            dh = np.zeros_like(dh)
    out["dh0"] = dh
    if not record:
        del out["dh"]
    return out


def matmul(a, b):
    """Twin of `kernels.gemm.matmul`."""
    return a @ b


def matmul_tn(a, b):
    """Twin of `kernels.gemm.matmul_tn`: aᵀ·b."""
    return a.T @ b
