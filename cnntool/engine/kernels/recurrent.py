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
from numba import njit, prange

from cnntool.config import NJIT_OPTIONS
from cnntool.errors import ShapeError


@njit(**{**NJIT_OPTIONS, "parallel": False})
def _sigmoid(v):  # pragma: no cover - compiled
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


@njit(**NJIT_OPTIONS)
def _lstm_fwd(xg, hg, c_prev, peep, has_peep, valid, gates, c_out, tanh_c, m_out, pre, record):  # pragma: no cover
    n_, h_ = c_prev.shape
    for n in prange(n_):
        if valid[n] == 0:
            for j in range(h_):
                c_out[n, j] = c_prev[n, j]
                tanh_c[n, j] = 0.0
                m_out[n, j] = 0.0
            for j in range(4 * h_):
                gates[n, j] = 0.0
                if record:
                    pre[n, j] = 0.0
            continue
        for j in range(h_):
            cp = c_prev[n, j]
            ai = xg[n, j] + hg[n, j]
            af = xg[n, h_ + j] + hg[n, h_ + j]
            ag = xg[n, 2 * h_ + j] + hg[n, 2 * h_ + j]
            ao = xg[n, 3 * h_ + j] + hg[n, 3 * h_ + j]
            if has_peep:
                ai += peep[0, j] * cp
                af += peep[1, j] * cp
            i = _sigmoid(ai)
            f = _sigmoid(af)
            g = math.tanh(ag)
            c = f * cp + i * g
            if has_peep:
                ao += peep[2, j] * c
            o = _sigmoid(ao)
            tc = math.tanh(c)
            gates[n, j] = i
            gates[n, h_ + j] = f
            gates[n, 2 * h_ + j] = g
            gates[n, 3 * h_ + j] = o
            c_out[n, j] = c
            tanh_c[n, j] = tc
            m_out[n, j] = o * tc
            if record:
                pre[n, j] = ai
                pre[n, h_ + j] = af
                pre[n, 2 * h_ + j] = ag
                pre[n, 3 * h_ + j] = ao


@njit(**NJIT_OPTIONS)
def _lstm_bwd(dy, has_dy, dh_rec, has_rec, dc, gates, c_prev, tanh_c, peep, has_peep, valid,
              dgates, dh_tot, dc_tot, record):  # pragma: no cover - compiled  # fmt: skip
    n_, h_ = dc.shape
    for n in prange(n_):
        ok = valid[n] != 0
        for j in range(h_):
            d = dh_rec[n, j] if has_rec else 0.0
            if has_dy and ok:
                d += dy[n, j]
            dh_tot[n, j] = d
        if not ok:  # the step did not happen: dc passes through unchanged
            for j in range(4 * h_):
                dgates[n, j] = 0.0
            if record:
                for j in range(h_):
                    dc_tot[n, j] = dc[n, j]
            continue
        for j in range(h_):
            i = gates[n, j]
            f = gates[n, h_ + j]
            g = gates[n, 2 * h_ + j]
            o = gates[n, 3 * h_ + j]
            tc = tanh_c[n, j]
            d = dh_tot[n, j]
            do_ = d * tc * o * (1.0 - o)
            dct = dc[n, j] + d * o * (1.0 - tc * tc)
            if has_peep:
                dct += do_ * peep[2, j]
            di = dct * g * i * (1.0 - i)
            df = dct * c_prev[n, j] * f * (1.0 - f)
            dg = dct * i * (1.0 - g * g)
            dcp = dct * f
            if has_peep:
                dcp += di * peep[0, j] + df * peep[1, j]
            dgates[n, j] = di
            dgates[n, h_ + j] = df
            dgates[n, 2 * h_ + j] = dg
            dgates[n, 3 * h_ + j] = do_
            if record:
                dc_tot[n, j] = dct
            dc[n, j] = dcp


@njit(**NJIT_OPTIONS)
def _gru_fwd(xg, hg, b_hn, h_prev, valid, gates, hn, h_out, pre, record):  # pragma: no cover - compiled
    n_, h_ = h_prev.shape
    for n in prange(n_):
        if valid[n] == 0:
            for j in range(h_):
                h_out[n, j] = h_prev[n, j]
                hn[n, j] = 0.0
            for j in range(3 * h_):
                gates[n, j] = 0.0
                if record:
                    pre[n, j] = 0.0
            continue
        for j in range(h_):
            ar = xg[n, j] + hg[n, j]
            az = xg[n, h_ + j] + hg[n, h_ + j]
            r = _sigmoid(ar)
            z = _sigmoid(az)
            hnj = hg[n, 2 * h_ + j] + b_hn[j]
            an = xg[n, 2 * h_ + j] + r * hnj
            nn = math.tanh(an)
            gates[n, j] = r
            gates[n, h_ + j] = z
            gates[n, 2 * h_ + j] = nn
            hn[n, j] = hnj
            h_out[n, j] = (1.0 - z) * nn + z * h_prev[n, j]
            if record:
                pre[n, j] = ar
                pre[n, h_ + j] = az
                pre[n, 2 * h_ + j] = an


@njit(**NJIT_OPTIONS)
def _gru_bwd(dy, has_dy, dh_rec, has_rec, gates, hn, h_prev, valid, dgx, dgh, direct, dh_tot):  # pragma: no cover
    n_, h_ = h_prev.shape
    for n in prange(n_):
        ok = valid[n] != 0
        for j in range(h_):
            d = dh_rec[n, j] if has_rec else 0.0
            if has_dy and ok:
                d += dy[n, j]
            dh_tot[n, j] = d
            if not ok:
                direct[n, j] = d
                continue
            r = gates[n, j]
            z = gates[n, h_ + j]
            nn = gates[n, 2 * h_ + j]
            dn = d * (1.0 - z) * (1.0 - nn * nn)
            dz = d * (h_prev[n, j] - nn) * z * (1.0 - z)
            dr = dn * hn[n, j] * r * (1.0 - r)
            dgx[n, j] = dr
            dgx[n, h_ + j] = dz
            dgx[n, 2 * h_ + j] = dn
            dgh[n, j] = dr
            dgh[n, h_ + j] = dz
            dgh[n, 2 * h_ + j] = dn * r
            direct[n, j] = d * z
        if not ok:
            for j in range(3 * h_):
                dgx[n, j] = 0.0
                dgh[n, j] = 0.0


@njit(**NJIT_OPTIONS)
def _rnn_fwd(xg, hg, relu, h_prev, valid, h_out, pre, record):  # pragma: no cover - compiled
    n_, h_ = h_prev.shape
    for n in prange(n_):
        if valid[n] == 0:
            for j in range(h_):
                h_out[n, j] = h_prev[n, j]
                if record:
                    pre[n, j] = 0.0
            continue
        for j in range(h_):
            a = xg[n, j] + hg[n, j]
            if relu:
                h_out[n, j] = a if a > 0 else 0.0 * a
            else:
                h_out[n, j] = math.tanh(a)
            if record:
                pre[n, j] = a


@njit(**NJIT_OPTIONS)
def _rnn_bwd(dy, has_dy, dh_rec, has_rec, h_out, relu, valid, dpre, direct, dh_tot):  # pragma: no cover
    n_, h_ = h_out.shape
    for n in prange(n_):
        ok = valid[n] != 0
        for j in range(h_):
            d = dh_rec[n, j] if has_rec else 0.0
            if has_dy and ok:
                d += dy[n, j]
            dh_tot[n, j] = d
            if not ok:
                dpre[n, j] = 0.0
                direct[n, j] = d
                continue
            h = h_out[n, j]
            if relu:
                dpre[n, j] = d if h > 0 else 0.0
            else:
                dpre[n, j] = d * (1.0 - h * h)
            direct[n, j] = 0.0


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


def _check_sequence(name: str, xproj: np.ndarray, gates: int, hidden: int, w_hh: np.ndarray, h0, valid) -> None:
    t_, n, gh = xproj.shape
    if gh != gates * hidden or not xproj.flags.c_contiguous:
        raise ShapeError(f"{name}: xproj must be C-contiguous (T, N, {gates * hidden}), got {xproj.shape}")
    if w_hh.shape[0] != gh or w_hh.dtype != xproj.dtype:
        raise ShapeError(f"{name}: w_hh {w_hh.dtype}{w_hh.shape} does not fit xproj {xproj.dtype}{xproj.shape}")
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


def lstm_forward(xproj, w_hh, h0, c0, *, w_hr=None, peep=None, valid=None, reverse=False, record=False) -> dict:
    """The LSTM time loop. xproj (T, N, 4H) = x·W_ihᵀ + b_ih + b_hh; w_hh (4H, H_r) with H_r = P when a
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
    for t in _steps(t_, reverse):
        a, b = _slots(t, reverse)
        np.matmul(hs[a], w_hh.T, out=hg)
        m = ms[t] if ms is not None else hs[b]
        _lstm_fwd(xproj[t], hg, cs[a], pp, peep is not None, v[t], gates[t], cs[b], tanh_c[t], m,
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


def gru_forward(xproj, w_hh, b_hn, h0, *, valid=None, reverse=False, record=False) -> dict:
    """The GRU time loop. xproj (T, N, 3H) = x·W_ihᵀ + b_ih + (b_hr, b_hz, 0); b_hn (H,) stays inside the
    reset product. Returns "h" (T + 1, N, H), "gates" (T, N, 3H) (r, z, n), "hn" (T, N, H) = W_hn·h + b_hn,
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
    for t in _steps(t_, reverse):
        a, b = _slots(t, reverse)
        np.matmul(hs[a], w_hh.T, out=hg)
        _gru_fwd(xproj[t], hg, b_hn, hs[a], v[t], gates[t], hn[t], hs[b], pre[t] if record else d, record)
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


def rnn_forward(xproj, w_hh, h0, *, relu=False, valid=None, reverse=False, record=False) -> dict:
    """The Elman time loop, h_t = tanh(xproj_t + W_hh·h_{t−1}) (or relu). Returns "h" (T + 1, N, H)
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
    for t in _steps(t_, reverse):
        a, b = _slots(t, reverse)
        np.matmul(hs[a], w_hh.T, out=hg)
        _rnn_fwd(xproj[t], hg, relu, hs[a], v[t], hs[b], pre[t] if record else d, record)
    out = {"h": hs}
    if record:
        out["pre"] = pre
    return out


def rnn_backward(saved, dy, dh_n, w_hh, *, relu=False, valid=None, reverse=False, bptt=0, record=False) -> dict:
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
