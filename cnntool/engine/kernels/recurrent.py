"""The recurrent time loops of the CPU backend: LSTM, GRU and RNN, forward and backward through time.

The layer (engine/layers/recurrent.py) computes the input projection of every step as one matmul
and calls these through the backend's kernel table. Per step, forward does one BLAS matmul
(h_{t−1}·W_hhᵀ) and one fused gate kernel (kernels/cells.py); backward does one gate kernel and one
matmul (dL/dh_{t−1} = dG_t·W_hh); the weight gradients are left to the layer as one matmul over all
steps. Each function has a naive NumPy twin with the same signature in engine/reference.py.

Rows of a batch never interact through time, so with more than one thread (kernels/chunks.py) the
batch is cut into chunks of rows and each chunk runs the whole time loop in its own thread: BLAS
(limited to one thread per call by `compute_scope`) and the nogil kernels release the GIL, and nothing
is synchronised per step. The state arrays have T + 1 slots (see `_slots`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cnntool.engine.kernel_rules import bptt_cut, check_recurrent_bias, check_sequence
from cnntool.engine.kernels import cells
from cnntool.engine.kernels.chunks import in_chunks

#: Fewer rows per chunk make the per-step matmuls inefficient.
MIN_ROWS_PER_CHUNK = 16


def _in_chunks(n: int, run: Callable[[int, int], None]) -> None:
    in_chunks(n, run, MIN_ROWS_PER_CHUNK)


def _dummy(like: np.ndarray) -> np.ndarray:
    return np.zeros((1, 1), dtype=like.dtype)


def _steps(t_: int, reverse: bool) -> range:
    return range(t_ - 1, -1, -1) if reverse else range(t_)


def _slots(t: int, reverse: bool) -> tuple[int, int]:
    """(slot of h_{prev}, slot of h_t) in the (T + 1)-slot state arrays: forward fills 1…T from slot 0,
    reverse fills T−1…0 from slot T, so slot t+1 (forward) or t (reverse) is the output of step t."""
    return (t + 1, t) if reverse else (t, t + 1)


def _valid(valid: np.ndarray | None, t_: int, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(valid as uint8 (T, N), its negation as bool (T, N, 1) for the carries, or None without a mask)."""
    if valid is None:
        return np.ones((t_, n), dtype=np.uint8), None
    v = np.ascontiguousarray(valid, dtype=np.uint8)
    return v, (v == 0)[:, :, None]


def _bias(bias, gh: int, dtype) -> np.ndarray:
    if bias is None:
        return np.zeros(gh, dtype=dtype)
    check_recurrent_bias(bias, gh, dtype)
    return np.ascontiguousarray(bias)


def _rows(a: np.ndarray | None, n0: int, n1: int) -> np.ndarray | None:
    """Rows n0:n1 of a (T, N, ·) array (each step's slice stays contiguous), or None."""
    return None if a is None else a[:, n0:n1]


# --- LSTM ----------------------------------------------------------------------------------------------


def lstm_forward(xproj, w_hh, h0, c0, *, bias=None, w_hr=None, peep=None, valid=None, reverse=False,
                 record=False) -> dict:  # fmt: skip
    """The LSTM time loop. xproj (T, N, 4H) = x·W_ihᵀ; bias (4H,) = b_ih + b_hh (added in the gate pass);
    w_hh (4H, H_r) with H_r = P when a projection w_hr (P, H) is given, else H; peep (3, H) [V_i, V_f, V_o]
    or None; h0 (N, H_r), c0 (N, H); valid (T, N) or None. Returns the arrays backward needs: "h" and "c"
    (T + 1, N, ·) states (see _slots), "gates" (T, N, 4H), "tanh_c" (T, N, H), "m" = o ⊙ tanh(c)
    (T, N, H) when projected, and "pre" (the pre-activations) if `record`."""
    t_, n, gh = xproj.shape
    check_sequence("lstm_forward", xproj, 4, gh // 4, w_hh, h0, valid)
    h, hr, dt = gh // 4, w_hh.shape[1], xproj.dtype
    v, invalid = _valid(valid, t_, n)
    out = {"h": np.empty((t_ + 1, n, hr), dt), "c": np.empty((t_ + 1, n, h), dt),
           "gates": np.empty((t_, n, gh), dt), "tanh_c": np.empty((t_, n, h), dt)}  # fmt: skip
    if w_hr is not None:
        out["m"] = np.empty((t_, n, h), dt)
    if record:
        out["pre"] = np.empty((t_, n, gh), dt)
    first = t_ if reverse else 0
    out["h"][first], out["c"][first] = h0, c0
    w_t = np.ascontiguousarray(w_hh.T)  # h·W_hhᵀ with a contiguous Wᵀ: measured 20% faster per step
    w_hr_t = np.ascontiguousarray(w_hr.T) if w_hr is not None else None
    bias, d = _bias(bias, gh, dt), _dummy(xproj)
    pp = peep if peep is not None else d

    def rows(n0: int, n1: int) -> None:
        xs, hs, cs = xproj[:, n0:n1], out["h"][:, n0:n1], out["c"][:, n0:n1]
        gates, tanh_c = out["gates"][:, n0:n1], out["tanh_c"][:, n0:n1]
        ms, pre, vv = _rows(out.get("m"), n0, n1), _rows(out.get("pre"), n0, n1), v[:, n0:n1]
        inv = _rows(invalid, n0, n1)
        hg = np.empty((n1 - n0, gh), dtype=dt)
        for t in _steps(t_, reverse):
            a, b = _slots(t, reverse)
            np.matmul(hs[a], w_t, out=hg)
            m = ms[t] if ms is not None else hs[b]
            cells.lstm_step(xs[t], hg, bias, cs[a], pp, peep is not None, vv[t], gates[t], cs[b], tanh_c[t], m,
                            pre[t] if record else d, record)  # fmt: skip
            if w_hr_t is not None:
                np.matmul(m, w_hr_t, out=hs[b])
            if inv is not None:
                np.copyto(hs[b], hs[a], where=inv[t])

    _in_chunks(n, rows)
    return out


def lstm_backward(saved, dy, dh_n, dc_n, w_hh, *, w_hr=None, peep=None, valid=None, reverse=False, bptt=0,
                  record=False) -> dict:  # fmt: skip
    """Backward through time of `lstm_forward`. dy (T, N, H_r) dL/d(outputs) or None; dh_n, dc_n the
    gradients of the final state (or None). Returns "dgates" (T, N, 4H) = dL/d(pre-activations) (the
    weight gradients are batched matmuls of it, done by the layer), "dh0", "dc0", "dh_proj" (T, N, P)
    when projected, and with `record` "dh" (T, N, H_r) = dL/dh_t and "dc" (T, N, H) = dL/dc_t."""
    gates = saved["gates"]
    t_, n, gh = gates.shape
    h, hr, dt = gh // 4, w_hh.shape[1], gates.dtype
    v, invalid = _valid(valid, t_, n)
    out = {"dgates": np.empty_like(gates),
           "dh0": np.zeros((n, hr), dt) if dh_n is None else np.array(dh_n, dtype=dt),
           "dc0": np.zeros((n, h), dt) if dc_n is None else np.array(dc_n, dtype=dt)}  # fmt: skip
    if w_hr is not None:
        out["dh_proj"] = np.empty((t_, n, hr), dt)
    if record:
        out["dh"], out["dc"] = np.empty((t_, n, hr), dt), np.empty((t_, n, h), dt)
    d = _dummy(gates)
    pp = peep if peep is not None else d

    def rows(n0: int, n1: int) -> None:
        g, cs, tanh_c, dgates = (saved["gates"][:, n0:n1], saved["c"][:, n0:n1], saved["tanh_c"][:, n0:n1],
                                 out["dgates"][:, n0:n1])  # fmt: skip
        dys, vv, inv = _rows(dy, n0, n1), v[:, n0:n1], _rows(invalid, n0, n1)
        dh_rec, dc = out["dh0"][n0:n1], out["dc0"][n0:n1]  # updated in place: dL/d(state) going back
        dh_trace, dc_trace = _rows(out.get("dh"), n0, n1), _rows(out.get("dc"), n0, n1)
        dh_proj = _rows(out.get("dh_proj"), n0, n1)
        dh_tot, tot_p = np.empty((n1 - n0, h), dtype=dt), np.empty((n1 - n0, hr), dtype=dt)
        dm = np.empty((n1 - n0, h), dtype=dt) if w_hr is not None else None
        for t in _steps(t_, not reverse):
            a, _b = _slots(t, reverse)
            if w_hr is None:
                tot = dh_trace[t] if record else dh_tot
                cells.lstm_step_back(dys[t] if dys is not None else d, dys is not None, dh_rec, True, dc, g[t],
                                     cs[a], tanh_c[t], pp, peep is not None, vv[t], dgates[t], tot,
                                     dc_trace[t] if record else d, record)  # fmt: skip
            else:  # dL/dh_t (P wide) → through the projection → dL/dm_t (H wide)
                tot = dh_trace[t] if record else tot_p
                if dys is not None:
                    np.add(dys[t], dh_rec, out=tot)
                else:
                    np.copyto(tot, dh_rec)
                if inv is not None:
                    np.copyto(tot, dh_rec, where=inv[t])
                np.multiply(tot, vv[t][:, None], out=dh_proj[t])
                np.matmul(dh_proj[t], w_hr, out=dm)
                cells.lstm_step_back(dm, True, d, False, dc, g[t], cs[a], tanh_c[t], pp, peep is not None, vv[t],
                                     dgates[t], dh_tot, dc_trace[t] if record else d,
                                     record)  # fmt: skip
            np.matmul(dgates[t], w_hh, out=dh_rec)
            if inv is not None:  # rows that skipped step t hand their gradient on unchanged
                np.copyto(dh_rec, tot, where=inv[t])
            if bptt_cut(t, t_, bptt, reverse):
                dh_rec[...] = 0
                dc[...] = 0

    _in_chunks(n, rows)
    return out


# --- GRU -----------------------------------------------------------------------------------------------


def gru_forward(xproj, w_hh, b_hn, h0, *, bias=None, valid=None, reverse=False, record=False) -> dict:
    """The GRU time loop. xproj (T, N, 3H) = x·W_ihᵀ; bias (3H,) = b_ih + (b_hr, b_hz, 0) (added in the
    gate pass); b_hn (H,) stays inside the reset product. Returns "h" (T + 1, N, H), "gates" (T, N, 3H)
    (r, z, n), "hn" (T, N, H) = W_hn·h + b_hn, and "pre" if `record`."""
    t_, n, gh = xproj.shape
    h, dt = gh // 3, xproj.dtype
    check_sequence("gru_forward", xproj, 3, h, w_hh, h0, valid)
    v, _ = _valid(valid, t_, n)
    out = {
        "h": np.empty((t_ + 1, n, h), dt),
        "gates": np.empty((t_, n, gh), dt),
        "hn": np.empty((t_, n, h), dt),
    }
    if record:
        out["pre"] = np.empty((t_, n, gh), dt)
    out["h"][t_ if reverse else 0] = h0
    w_t, bias, d = np.ascontiguousarray(w_hh.T), _bias(bias, gh, dt), _dummy(xproj)

    def rows(n0: int, n1: int) -> None:
        xs, hs, gates, hn = xproj[:, n0:n1], out["h"][:, n0:n1], out["gates"][:, n0:n1], out["hn"][:, n0:n1]
        pre, vv = _rows(out.get("pre"), n0, n1), v[:, n0:n1]
        hg = np.empty((n1 - n0, gh), dtype=dt)
        for t in _steps(t_, reverse):
            a, b = _slots(t, reverse)
            np.matmul(hs[a], w_t, out=hg)
            cells.gru_step(
                xs[t], hg, bias, b_hn, hs[a], vv[t], gates[t], hn[t], hs[b], pre[t] if record else d, record
            )

    _in_chunks(n, rows)
    return out


def gru_backward(saved, dy, dh_n, w_hh, *, valid=None, reverse=False, bptt=0, record=False) -> dict:
    """Backward through time of `gru_forward`: "dgx" (T, N, 3H) (input side), "dgh" (recurrent side),
    "dh0", and "dh" = dL/dh_t with `record`."""
    gates = saved["gates"]
    t_, n, gh = gates.shape
    h, dt = gh // 3, gates.dtype
    v, _ = _valid(valid, t_, n)
    out = {"dgx": np.empty_like(gates), "dgh": np.empty_like(gates),
           "dh0": np.zeros((n, h), dt) if dh_n is None else np.array(dh_n, dtype=dt)}  # fmt: skip
    if record:
        out["dh"] = np.empty((t_, n, h), dt)
    d = _dummy(gates)

    def rows(n0: int, n1: int) -> None:
        g, hn, hs = saved["gates"][:, n0:n1], saved["hn"][:, n0:n1], saved["h"][:, n0:n1]
        dgx, dgh, dys, vv = out["dgx"][:, n0:n1], out["dgh"][:, n0:n1], _rows(dy, n0, n1), v[:, n0:n1]
        dh_rec, dh_trace = out["dh0"][n0:n1], _rows(out.get("dh"), n0, n1)
        direct, tot = np.empty((n1 - n0, h), dtype=dt), np.empty((n1 - n0, h), dtype=dt)
        for t in _steps(t_, not reverse):
            a, _b = _slots(t, reverse)
            cells.gru_step_back(dys[t] if dys is not None else d, dys is not None, dh_rec, True, g[t], hn[t],
                                hs[a], vv[t], dgx[t], dgh[t], direct, dh_trace[t] if record else tot)  # fmt: skip
            np.matmul(dgh[t], w_hh, out=dh_rec)
            dh_rec += direct
            if bptt_cut(t, t_, bptt, reverse):
                dh_rec[...] = 0

    _in_chunks(n, rows)
    return out


# --- RNN -----------------------------------------------------------------------------------------------


def rnn_forward(xproj, w_hh, h0, *, bias=None, relu=False, valid=None, reverse=False, record=False) -> dict:
    """The Elman time loop, h_t = tanh(xproj_t + bias + W_hh·h_{t−1}) (or relu), bias = b_ih + b_hh.
    Returns "h" (T + 1, N, H) and "pre" if `record`."""
    t_, n, h = xproj.shape
    check_sequence("rnn_forward", xproj, 1, h, w_hh, h0, valid)
    v, _ = _valid(valid, t_, n)
    dt = xproj.dtype
    out = {"h": np.empty((t_ + 1, n, h), dt)}
    if record:
        out["pre"] = np.empty((t_, n, h), dt)
    out["h"][t_ if reverse else 0] = h0
    w_t, bias, d = np.ascontiguousarray(w_hh.T), _bias(bias, h, dt), _dummy(xproj)

    def rows(n0: int, n1: int) -> None:
        xs, hs, pre, vv = xproj[:, n0:n1], out["h"][:, n0:n1], _rows(out.get("pre"), n0, n1), v[:, n0:n1]
        hg = np.empty((n1 - n0, h), dtype=dt)
        for t in _steps(t_, reverse):
            a, b = _slots(t, reverse)
            np.matmul(hs[a], w_t, out=hg)
            cells.rnn_step(xs[t], hg, bias, relu, hs[a], vv[t], hs[b], pre[t] if record else d, record)

    _in_chunks(n, rows)
    return out


def rnn_backward(
    saved, dy, dh_n, w_hh, *, relu=False, valid=None, reverse=False, bptt=0, record=False
) -> dict:
    """Backward through time of `rnn_forward`: "dpre" (T, N, H), "dh0", and "dh" with `record`."""
    hs_all = saved["h"]
    t_, n, h = hs_all.shape[0] - 1, hs_all.shape[1], hs_all.shape[2]
    dt = hs_all.dtype
    v, _ = _valid(valid, t_, n)
    out = {"dpre": np.empty((t_, n, h), dt),
           "dh0": np.zeros((n, h), dt) if dh_n is None else np.array(dh_n, dtype=dt)}  # fmt: skip
    if record:
        out["dh"] = np.empty((t_, n, h), dt)
    d = _dummy(hs_all)

    def rows(n0: int, n1: int) -> None:
        hs, dpre, dys, vv = hs_all[:, n0:n1], out["dpre"][:, n0:n1], _rows(dy, n0, n1), v[:, n0:n1]
        dh_rec, dh_trace = out["dh0"][n0:n1], _rows(out.get("dh"), n0, n1)
        direct, tot = np.empty((n1 - n0, h), dtype=dt), np.empty((n1 - n0, h), dtype=dt)
        for t in _steps(t_, not reverse):
            _a, b = _slots(t, reverse)
            cells.rnn_step_back(dys[t] if dys is not None else d, dys is not None, dh_rec, True, hs[b], relu,
                                vv[t], dpre[t], direct, dh_trace[t] if record else tot)  # fmt: skip
            np.matmul(dpre[t], w_hh, out=dh_rec)
            dh_rec += direct
            if bptt_cut(t, t_, bptt, reverse):
                dh_rec[...] = 0

    _in_chunks(n, rows)
    return out
