"""One time step of an RNN, GRU or LSTM cell, forward and backward, with the gates fused in one pass.

The layer (engine/layers/recurrent.py) runs the time loop: the input projection of every step is
one batched matmul before the loop (``X·W_ihᵀ + b``), and each step does one BLAS matmul for the
recurrent part (``h_{t−1}·W_hhᵀ``) and then one of these kernels, which reads both projections and
writes every gate, the new cell and the new hidden state in a single pass over (N, G·H). Backward
is the mirror: one kernel turns dL/dh_t (and dL/dc_t) into the gate gradients, then one matmul
gives the recurrent part of dL/dh_{t−1}.

Gate order and biases are PyTorch's: LSTM (i, f, g, o), GRU (r, z, n) with b_hn inside the reset
product, n = tanh(x_n + r ⊙ (W_hn·h + b_hn)). The LSTM peephole (the lecture's V's, diagonal):
i and f add V_i ⊙ c_{t−1} and V_f ⊙ c_{t−1}, o adds V_o ⊙ c_t.

`valid` (N,) uint8 says which rows take this step (variable-length batches): a row with 0 keeps
its state (c_t = c_{t−1}; the GRU and RNN kernels copy h too), its gates and outputs are 0 and it
passes its gradients through unchanged. Optional arrays (`pre`, the pre-activations a trace
records; `dc_tot`) are written only when given. Twins: engine/reference.py.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import overload

from cnntool.config import NJIT_SERIAL
from cnntool.errors import ShapeError

# Serial: one step is (N, G·H) values, a few microseconds; numba threads woken every step cost more
# than they save and fight the BLAS between them (measured). error_model="numpy": a division does not
# check for zero, so the loops vectorise.
_OPTS = {**NJIT_SERIAL, "error_model": "numpy"}

# float32 constants: `1.0 - o` with a Python float would promote a float32 kernel to float64.
ONE, HALF, ZERO = np.float32(1.0), np.float32(0.5), np.float32(0.0)
# Eigen's rational tanh for float32 (odd 13/even 6 polynomials on [−c, c]; error ≤ 2.4e-7, ~1 ulp):
_A = tuple(np.float32(v) for v in (-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11,
                                  5.12229709037114e-08, 1.48572235717979e-05, 6.37261928875436e-04,
                                  4.89352455891786e-03))  # fmt: skip
_B = tuple(np.float32(v) for v in (1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03,
                                  4.89352518554385e-03))  # fmt: skip
_CLAMP = np.float32(7.99881172180175781)


def tanh(x):  # pragma: no cover - the Python fallback; kernels use the overload below
    return math.tanh(x)


def sigmoid(x):  # pragma: no cover - the Python fallback; kernels use the overload below
    return 1.0 / (1.0 + math.exp(-x))


@overload(tanh, jit_options=_OPTS)
def _tanh_impl(x):
    """float32: the rational approximation, pure arithmetic, so the gate loops vectorise (libm's
    tanh is a scalar call per value: measured 50x slower per step); float64: libm, exact."""
    if isinstance(x, types.Float) and x.bitwidth == 32:
        a13, a11, a9, a7, a5, a3, a1 = _A
        b6, b4, b2, b0 = _B
        c = _CLAMP

        def impl(x):
            x = min(max(x, -c), c)
            x2 = x * x
            p = ((((((x2 * a13 + a11) * x2 + a9) * x2 + a7) * x2 + a5) * x2 + a3) * x2 + a1) * x
            q = ((x2 * b6 + b4) * x2 + b2) * x2 + b0
            return p / q

        return impl
    return lambda x: math.tanh(x)


@overload(sigmoid, jit_options=_OPTS)
def _sigmoid_impl(x):
    """float32: σ(x) = ½ + ½·tanh(x/2) (exact identity, vectorises); float64: 1/(1 + e^−x) without
    overflow (e^−|x| in both branches)."""
    if isinstance(x, types.Float) and x.bitwidth == 32:
        return lambda x: HALF + HALF * tanh(HALF * x)

    def impl(x):
        e = math.exp(-abs(x))
        return 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)

    return impl


@njit(**_OPTS)
def _lstm_fwd(
    xg, hg, bias, c_prev, peep, has_peep, valid, gates, c_out, tanh_c, m_out, pre, record
):  # pragma: no cover
    n_, h_ = c_prev.shape
    for n in range(n_):
        xr, hr, gr, cp, co, tr, mr = xg[n], hg[n], gates[n], c_prev[n], c_out[n], tanh_c[n], m_out[n]
        if valid[n] == 0:
            for j in range(h_):
                co[j] = cp[j]
                tr[j] = ZERO
                mr[j] = ZERO
            for j in range(4 * h_):
                gr[j] = ZERO
                if record:
                    pre[n, j] = ZERO
            continue
        if record:
            for j in range(4 * h_):
                pre[n, j] = xr[j] + hr[j] + bias[j]
        if not has_peep:  # one simple loop per activation: each vectorises
            for j in range(2 * h_):
                gr[j] = sigmoid(xr[j] + hr[j] + bias[j])
            for j in range(2 * h_, 3 * h_):
                gr[j] = tanh(xr[j] + hr[j] + bias[j])
            for j in range(3 * h_, 4 * h_):
                gr[j] = sigmoid(xr[j] + hr[j] + bias[j])
            for j in range(h_):
                c = gr[h_ + j] * cp[j] + gr[j] * gr[2 * h_ + j]
                tc = tanh(c)
                co[j] = c
                tr[j] = tc
                mr[j] = gr[3 * h_ + j] * tc
            continue
        for j in range(h_):  # peephole: i and f see c_{t-1}, o sees c_t
            ai = xr[j] + hr[j] + bias[j] + peep[0, j] * cp[j]
            af = xr[h_ + j] + hr[h_ + j] + bias[h_ + j] + peep[1, j] * cp[j]
            i = sigmoid(ai)
            f = sigmoid(af)
            g = tanh(xr[2 * h_ + j] + hr[2 * h_ + j] + bias[2 * h_ + j])
            c = f * cp[j] + i * g
            ao = xr[3 * h_ + j] + hr[3 * h_ + j] + bias[3 * h_ + j] + peep[2, j] * c
            o = sigmoid(ao)
            tc = tanh(c)
            gr[j] = i
            gr[h_ + j] = f
            gr[2 * h_ + j] = g
            gr[3 * h_ + j] = o
            co[j] = c
            tr[j] = tc
            mr[j] = o * tc
            if record:
                pre[n, j] = ai
                pre[n, h_ + j] = af
                pre[n, 3 * h_ + j] = ao


@njit(**_OPTS)
def _lstm_bwd(dy, has_dy, dh_rec, has_rec, dc, gates, c_prev, tanh_c, peep, has_peep, valid,
              dgates, dh_tot, dc_tot, record):  # pragma: no cover - compiled  # fmt: skip
    n_, h_ = dc.shape
    for n in range(n_):
        ok = valid[n] != 0
        dt, dcr, gr, dgr, cp, tr = dh_tot[n], dc[n], gates[n], dgates[n], c_prev[n], tanh_c[n]
        if has_rec:
            for j in range(h_):
                dt[j] = dh_rec[n, j]
        else:
            for j in range(h_):
                dt[j] = ZERO
        if not ok:  # the step did not happen: dc passes through unchanged
            for j in range(4 * h_):
                dgr[j] = ZERO
            if record:
                for j in range(h_):
                    dc_tot[n, j] = dcr[j]
            continue
        if has_dy:
            for j in range(h_):
                dt[j] += dy[n, j]
        for j in range(h_):
            i = gr[j]
            f = gr[h_ + j]
            g = gr[2 * h_ + j]
            o = gr[3 * h_ + j]
            tc = tr[j]
            d = dt[j]
            do_ = d * tc * o * (ONE - o)
            dct = dcr[j] + d * o * (ONE - tc * tc)
            if has_peep:
                dct += do_ * peep[2, j]
            di = dct * g * i * (ONE - i)
            df = dct * cp[j] * f * (ONE - f)
            dgr[j] = di
            dgr[h_ + j] = df
            dgr[2 * h_ + j] = dct * i * (ONE - g * g)
            dgr[3 * h_ + j] = do_
            dcp = dct * f
            if has_peep:
                dcp += di * peep[0, j] + df * peep[1, j]
            dcr[j] = dcp
            if record:
                dc_tot[n, j] = dct


@njit(**_OPTS)
def _gru_fwd(xg, hg, bias, b_hn, h_prev, valid, gates, hn, h_out, pre, record):  # pragma: no cover - compiled
    n_, h_ = h_prev.shape
    for n in range(n_):
        xr, hr, gr, hnr, hp, ho = xg[n], hg[n], gates[n], hn[n], h_prev[n], h_out[n]
        if valid[n] == 0:
            for j in range(h_):
                ho[j] = hp[j]
                hnr[j] = ZERO
            for j in range(3 * h_):
                gr[j] = ZERO
                if record:
                    pre[n, j] = ZERO
            continue
        for j in range(2 * h_):  # r and z
            gr[j] = sigmoid(xr[j] + hr[j] + bias[j])
        for j in range(h_):
            hnj = hr[2 * h_ + j] + b_hn[j]
            nn = tanh(xr[2 * h_ + j] + bias[2 * h_ + j] + gr[j] * hnj)
            z = gr[h_ + j]
            gr[2 * h_ + j] = nn
            hnr[j] = hnj
            ho[j] = (ONE - z) * nn + z * hp[j]
        if record:
            for j in range(2 * h_):
                pre[n, j] = xr[j] + hr[j] + bias[j]
            for j in range(h_):
                pre[n, 2 * h_ + j] = xr[2 * h_ + j] + bias[2 * h_ + j] + gr[j] * hnr[j]


@njit(**_OPTS)
def _gru_bwd(
    dy, has_dy, dh_rec, has_rec, gates, hn, h_prev, valid, dgx, dgh, direct, dh_tot
):  # pragma: no cover
    n_, h_ = h_prev.shape
    for n in range(n_):
        dt, dr_, gr, hnr, hp, gx, gh = direct[n], dh_tot[n], gates[n], hn[n], h_prev[n], dgx[n], dgh[n]
        for j in range(h_):
            dr_[j] = dh_rec[n, j] if has_rec else ZERO
        if valid[n] == 0:  # the step did not happen: dh passes through unchanged
            for j in range(h_):
                dt[j] = dr_[j]
            for j in range(3 * h_):
                gx[j] = ZERO
                gh[j] = ZERO
            continue
        if has_dy:
            for j in range(h_):
                dr_[j] += dy[n, j]
        for j in range(h_):
            d = dr_[j]
            r = gr[j]
            z = gr[h_ + j]
            nn = gr[2 * h_ + j]
            dn = d * (ONE - z) * (ONE - nn * nn)
            dz = d * (hp[j] - nn) * z * (ONE - z)
            dr = dn * hnr[j] * r * (ONE - r)
            gx[j] = dr
            gx[h_ + j] = dz
            gx[2 * h_ + j] = dn
            gh[j] = dr
            gh[h_ + j] = dz
            gh[2 * h_ + j] = dn * r
            dt[j] = d * z


@njit(**_OPTS)
def _rnn_fwd(xg, hg, bias, relu, h_prev, valid, h_out, pre, record):  # pragma: no cover - compiled
    n_, h_ = h_prev.shape
    for n in range(n_):
        if valid[n] == 0:
            for j in range(h_):
                h_out[n, j] = h_prev[n, j]
                if record:
                    pre[n, j] = ZERO
            continue
        for j in range(h_):
            a = xg[n, j] + hg[n, j] + bias[j]
            if relu:
                h_out[n, j] = a if a > 0 else ZERO * a
            else:
                h_out[n, j] = tanh(a)
            if record:
                pre[n, j] = a


@njit(**_OPTS)
def _rnn_bwd(dy, has_dy, dh_rec, has_rec, h_out, relu, valid, dpre, direct, dh_tot):  # pragma: no cover
    n_, h_ = h_out.shape
    for n in range(n_):
        ok = valid[n] != 0
        for j in range(h_):
            d = dh_rec[n, j] if has_rec else ZERO
            if has_dy and ok:
                d += dy[n, j]
            dh_tot[n, j] = d
            if not ok:
                dpre[n, j] = ZERO
                direct[n, j] = d
                continue
            h = h_out[n, j]
            if relu:
                dpre[n, j] = d if h > 0 else ZERO
            else:
                dpre[n, j] = d * (ONE - h * h)
            direct[n, j] = ZERO


# --- the time loops ----------------------------------------------------------------------------------


def _dummy(like: np.ndarray) -> np.ndarray:
    return np.zeros((1, 1), dtype=like.dtype)


def _steps(t_: int, reverse: bool) -> range:
    return range(t_ - 1, -1, -1) if reverse else range(t_)


def _slots(t: int, reverse: bool) -> tuple[int, int]:
    """(slot of h_{prev}, slot of h_t) in the (T + 1)-slot state arrays: forward fills 1…T from slot 0,
    reverse fills T−1…0 from slot T, so slot t+1 (forward) or t (reverse) is the output of step t."""
    return (t + 1, t) if reverse else (t, t + 1)


def _cut(t: int, t_: int, bptt: int, reverse: bool) -> bool:
    """Truncated BPTT: after the backward of step t, is the edge to the step processed before it cut?
    Blocks start at positions 0, k, 2k, …; no gradient crosses from one block to the previous one."""
    if not bptt:
        return False
    return (t % bptt == 0 and t > 0) if not reverse else ((t + 1) % bptt == 0 and t + 1 < t_)


def _check_sequence(
    name: str, xproj: np.ndarray, gates: int, hidden: int, w_hh: np.ndarray, h0, valid
) -> None:
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


def _valid(valid: np.ndarray | None, t_: int, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(valid as uint8 (T, N), its negation as bool (T, N, 1) for the carries, or None without a mask)."""
    if valid is None:
        return np.ones((t_, n), dtype=np.uint8), None
    v = np.ascontiguousarray(valid, dtype=np.uint8)
    return v, (v == 0)[:, :, None]


def _bias(bias, gh: int, dtype) -> np.ndarray:
    if bias is None:
        return np.zeros(gh, dtype=dtype)
    if bias.shape != (gh,) or bias.dtype != dtype:
        raise ShapeError(f"recurrent kernel: bias must be {dtype} ({gh},), got {bias.dtype}{bias.shape}")
    return np.ascontiguousarray(bias)


def lstm_forward(xproj, w_hh, h0, c0, *, bias=None, w_hr=None, peep=None, valid=None, reverse=False,
                 record=False) -> dict:  # fmt: skip
    """The LSTM time loop. xproj (T, N, 4H) = x·W_ihᵀ; bias (4H,) = b_ih + b_hh (added in the gate pass); w_hh (4H, H_r) with H_r = P when a
    projection w_hr (P, H) is given, else H; peep (3, H) [V_i, V_f, V_o] or None; h0 (N, H_r), c0 (N, H);
    valid (T, N) or None. Returns the arrays backward needs: "h" and "c" (T + 1, N, ·) states (see _slots),
    "gates" (T, N, 4H), "tanh_c" (T, N, H), "m" = o ⊙ tanh(c) (T, N, H) when projected, "pre" if `record`."""
    t_, n, gh = xproj.shape
    h = gh // 4
    _check_sequence("lstm_forward", xproj, 4, h, w_hh, h0, valid)
    hr = w_hh.shape[1]
    v, invalid = _valid(valid, t_, n)
    dt = xproj.dtype
    hs = np.empty((t_ + 1, n, hr), dtype=dt)
    cs = np.empty((t_ + 1, n, h), dtype=dt)
    gates = np.empty((t_, n, gh), dtype=dt)
    tanh_c = np.empty((t_, n, h), dtype=dt)
    ms = np.empty((t_, n, h), dtype=dt) if w_hr is not None else None
    pre = np.empty((t_, n, gh), dtype=dt) if record else None
    first = t_ if reverse else 0
    hs[first], cs[first] = h0, c0
    hg = np.empty((n, gh), dtype=dt)
    d = _dummy(xproj)
    pp = peep if peep is not None else d
    bias = _bias(bias, gh, dt)
    w_t = np.ascontiguousarray(w_hh.T)  # h·W_hhᵀ with a contiguous Wᵀ: measured 20% faster per step
    for t in _steps(t_, reverse):
        a, b = _slots(t, reverse)
        np.matmul(hs[a], w_t, out=hg)
        m = ms[t] if ms is not None else hs[b]
        _lstm_fwd(xproj[t], hg, bias, cs[a], pp, peep is not None, v[t], gates[t], cs[b], tanh_c[t], m,
                  pre[t] if record else d, record)  # fmt: skip
        if w_hr is not None:
            np.matmul(m, w_hr.T, out=hs[b])
        if invalid is not None:
            np.copyto(hs[b], hs[a], where=invalid[t])
    out = {"h": hs, "c": cs, "gates": gates, "tanh_c": tanh_c}
    if ms is not None:
        out["m"] = ms
    if record:
        out["pre"] = pre
    return out


def lstm_backward(saved, dy, dh_n, dc_n, w_hh, *, w_hr=None, peep=None, valid=None, reverse=False, bptt=0,
                  record=False) -> dict:  # fmt: skip
    """Backward through time of `lstm_forward`. dy (T, N, H_r) dL/d(outputs) or None; dh_n, dc_n the
    gradients of the final state (or None). Returns "dgates" (T, N, 4H) = dL/d(pre-activations) (the
    weight gradients are batched matmuls of it, done by the layer), "dh0", "dc0", "dh_proj" (T, N, P)
    when projected, and with `record` "dh" (T, N, H_r) = dL/dh_t and "dc" (T, N, H) = dL/dc_t."""
    gates, cs, tanh_c = saved["gates"], saved["c"], saved["tanh_c"]
    t_, n, gh = gates.shape
    h, hr, dt = gh // 4, w_hh.shape[1], gates.dtype
    v, invalid = _valid(valid, t_, n)
    dgates = np.empty_like(gates)
    dh_rec = np.zeros((n, hr), dtype=dt) if dh_n is None else np.array(dh_n, dtype=dt)
    dc = np.zeros((n, h), dtype=dt) if dc_n is None else np.array(dc_n, dtype=dt)
    dh_trace = np.empty((t_, n, hr), dtype=dt) if record else None
    dc_trace = np.empty((t_, n, h), dtype=dt) if record else None
    dh_proj = np.empty((t_, n, hr), dtype=dt) if w_hr is not None else None
    dh_tot = np.empty((n, h), dtype=dt)
    dm = np.empty((n, h), dtype=dt) if w_hr is not None else None
    d = _dummy(gates)
    pp = peep if peep is not None else d
    for t in _steps(t_, not reverse):
        a, b = _slots(t, reverse)
        if w_hr is None:
            tot = dh_trace[t] if record else dh_tot
            _lstm_bwd(dy[t] if dy is not None else d, dy is not None, dh_rec, True, dc, gates[t], cs[a],
                      tanh_c[t], pp, peep is not None, v[t], dgates[t], tot, dc_trace[t] if record else d,
                      record)  # fmt: skip
        else:  # dL/dh_t (P wide) → through the projection → dL/dm_t (H wide)
            tot = dh_trace[t] if record else np.empty((n, hr), dtype=dt)
            if dy is not None:
                np.add(dy[t], dh_rec, out=tot)
            else:
                np.copyto(tot, dh_rec)
            if invalid is not None:
                np.copyto(tot, dh_rec, where=invalid[t])
            np.multiply(tot, v[t][:, None], out=dh_proj[t])
            np.matmul(dh_proj[t], w_hr, out=dm)
            _lstm_bwd(dm, True, d, False, dc, gates[t], cs[a], tanh_c[t], pp, peep is not None, v[t],
                      dgates[t], dh_tot, dc_trace[t] if record else d, record)  # fmt: skip
        np.matmul(dgates[t], w_hh, out=dh_rec)
        if invalid is not None:  # rows that skipped step t hand their gradient on unchanged
            np.copyto(dh_rec, tot, where=invalid[t])
        if _cut(t, t_, bptt, reverse):
            dh_rec[...] = 0
            dc[...] = 0
    out = {"dgates": dgates, "dh0": dh_rec, "dc0": dc}
    if dh_proj is not None:
        out["dh_proj"] = dh_proj
    if record:
        out["dh"], out["dc"] = dh_trace, dc_trace
    return out


def gru_forward(xproj, w_hh, b_hn, h0, *, bias=None, valid=None, reverse=False, record=False) -> dict:
    """The GRU time loop. xproj (T, N, 3H) = x·W_ihᵀ; bias (3H,) = b_ih + (b_hr, b_hz, 0) (added in the
    gate pass); b_hn (H,) stays inside the reset product. Returns "h" (T + 1, N, H), "gates" (T, N, 3H) (r, z, n), "hn" (T, N, H) = W_hn·h + b_hn,
    and "pre" if `record`."""
    t_, n, gh = xproj.shape
    h = gh // 3
    _check_sequence("gru_forward", xproj, 3, h, w_hh, h0, valid)
    v, _ = _valid(valid, t_, n)
    dt = xproj.dtype
    hs = np.empty((t_ + 1, n, h), dtype=dt)
    gates = np.empty((t_, n, gh), dtype=dt)
    hn = np.empty((t_, n, h), dtype=dt)
    pre = np.empty((t_, n, gh), dtype=dt) if record else None
    hs[t_ if reverse else 0] = h0
    hg = np.empty((n, gh), dtype=dt)
    d = _dummy(xproj)
    bias = _bias(bias, gh, dt)
    w_t = np.ascontiguousarray(w_hh.T)
    for t in _steps(t_, reverse):
        a, b = _slots(t, reverse)
        np.matmul(hs[a], w_t, out=hg)
        _gru_fwd(
            xproj[t], hg, bias, b_hn, hs[a], v[t], gates[t], hn[t], hs[b], pre[t] if record else d, record
        )
    out = {"h": hs, "gates": gates, "hn": hn}
    if record:
        out["pre"] = pre
    return out


def gru_backward(saved, dy, dh_n, w_hh, *, valid=None, reverse=False, bptt=0, record=False) -> dict:
    """Backward through time of `gru_forward`: "dgx" (T, N, 3H) (input side), "dgh" (recurrent side),
    "dh0", and "dh" = dL/dh_t with `record`."""
    gates, hn, hs = saved["gates"], saved["hn"], saved["h"]
    t_, n, gh = gates.shape
    h, dt = gh // 3, gates.dtype
    v, _ = _valid(valid, t_, n)
    dgx, dgh = np.empty_like(gates), np.empty_like(gates)
    dh_rec = np.zeros((n, h), dtype=dt) if dh_n is None else np.array(dh_n, dtype=dt)
    direct = np.empty((n, h), dtype=dt)
    dh_trace = np.empty((t_, n, h), dtype=dt) if record else None
    tot = np.empty((n, h), dtype=dt)
    d = _dummy(gates)
    for t in _steps(t_, not reverse):
        a, _b = _slots(t, reverse)
        _gru_bwd(dy[t] if dy is not None else d, dy is not None, dh_rec, True, gates[t], hn[t], hs[a], v[t],
                 dgx[t], dgh[t], direct, dh_trace[t] if record else tot)  # fmt: skip
        np.matmul(dgh[t], w_hh, out=dh_rec)
        dh_rec += direct
        if _cut(t, t_, bptt, reverse):
            dh_rec[...] = 0
    out = {"dgx": dgx, "dgh": dgh, "dh0": dh_rec}
    if record:
        out["dh"] = dh_trace
    return out


def rnn_forward(xproj, w_hh, h0, *, bias=None, relu=False, valid=None, reverse=False, record=False) -> dict:
    """The Elman time loop, h_t = tanh(xproj_t + bias + W_hh·h_{t−1}) (or relu), bias = b_ih + b_hh. Returns "h" (T + 1, N, H)
    and "pre" if `record`."""
    t_, n, h = xproj.shape
    _check_sequence("rnn_forward", xproj, 1, h, w_hh, h0, valid)
    v, _ = _valid(valid, t_, n)
    dt = xproj.dtype
    hs = np.empty((t_ + 1, n, h), dtype=dt)
    pre = np.empty((t_, n, h), dtype=dt) if record else None
    hs[t_ if reverse else 0] = h0
    hg = np.empty((n, h), dtype=dt)
    d = _dummy(xproj)
    bias = _bias(bias, h, dt)
    w_t = np.ascontiguousarray(w_hh.T)
    for t in _steps(t_, reverse):
        a, b = _slots(t, reverse)
        np.matmul(hs[a], w_t, out=hg)
        _rnn_fwd(xproj[t], hg, bias, relu, hs[a], v[t], hs[b], pre[t] if record else d, record)
    out = {"h": hs}
    if record:
        out["pre"] = pre
    return out


def rnn_backward(
    saved, dy, dh_n, w_hh, *, relu=False, valid=None, reverse=False, bptt=0, record=False
) -> dict:
    """Backward through time of `rnn_forward`: "dpre" (T, N, H), "dh0", and "dh" with `record`."""
    hs = saved["h"]
    t_, n, h = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
    dt = hs.dtype
    v, _ = _valid(valid, t_, n)
    dpre = np.empty((t_, n, h), dtype=dt)
    dh_rec = np.zeros((n, h), dtype=dt) if dh_n is None else np.array(dh_n, dtype=dt)
    direct = np.empty((n, h), dtype=dt)
    dh_trace = np.empty((t_, n, h), dtype=dt) if record else None
    tot = np.empty((n, h), dtype=dt)
    d = _dummy(hs)
    for t in _steps(t_, not reverse):
        _a, b = _slots(t, reverse)
        _rnn_bwd(dy[t] if dy is not None else d, dy is not None, dh_rec, True, hs[b], relu, v[t], dpre[t],
                 direct, dh_trace[t] if record else tot)  # fmt: skip
        np.matmul(dpre[t], w_hh, out=dh_rec)
        dh_rec += direct
        if _cut(t, t_, bptt, reverse):
            dh_rec[...] = 0
    out = {"dpre": dpre, "dh0": dh_rec}
    if record:
        out["dh"] = dh_trace
    return out
