"""The recurrent time loops on an array module: LSTM, GRU and RNN, forward and backward through time.

Same signatures and results (the same keys, the same values) as the numba loops of
engine/kernels/recurrent.py and their twins in engine/reference.py. Each step is one matmul with
the recurrent weights (into a buffer, `out=`) and the gate arithmetic as whole-batch elementwise
operations; the layer does the input projection and the weight gradients as matmuls over all
steps. Rows that skip a step (`valid` is 0: a sequence already ended) keep their state, and their
saved gates, gradients and traces are 0, as in the twins.

The LSTM's gate arithmetic is a dozen elementwise operations a step; a backend may pass
`cell(hg, x_t, bias, c_prev, gates_t, c, tanh_c, m)` and `cell_back(gates_t, c_prev, tanh_c, dm,
dc, dgates_t, dc_prev)` that do it in one pass each (the GPU binds fused CuPy kernels); they are
used when there are no peepholes and no recorded pre-activations.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from cnntool.engine.kernel_rules import bptt_cut, check_recurrent_bias, check_sequence

Cell = Callable[..., None] | None


def _steps(t_: int, reverse: bool) -> range:
    return range(t_ - 1, -1, -1) if reverse else range(t_)


def _slots(t: int, reverse: bool) -> tuple[int, int]:
    """(slot of h_{prev}, slot of h_t) in the (T + 1)-slot state arrays (engine/kernels/recurrent.py)."""
    return (t + 1, t) if reverse else (t, t + 1)


def _check(name: str, xproj: Any, gates: int, w_hh: Any, h0: Any, valid: Any, bias: Any) -> None:
    """The numba wrappers' checks (kernel_rules), the bias included."""
    check_sequence(name, xproj, gates, xproj.shape[2] // gates, w_hh, h0, valid)
    if bias is not None:
        check_recurrent_bias(bias, xproj.shape[2], xproj.dtype)


def _masks(xp: ModuleType, valid: Any) -> tuple[Any, Any]:
    """(keep, skip): valid as bool (T, N, 1) and its negation, or (None, None) without a mask."""
    if valid is None:
        return None, None
    keep = xp.asarray(valid).astype(bool)[:, :, None]
    return keep, ~keep


def _sigmoid(xp: ModuleType, v: Any) -> Any:
    """σ(v) = ½ + ½·tanh(v/2), in place on v (an exact identity: no overflow, no branch)."""
    v *= 0.5
    xp.tanh(v, out=v)
    v *= 0.5
    v += 0.5
    return v


def _zero(xp: ModuleType, a: Any, skip: Any) -> None:
    """a[rows that skipped the step] = 0 (a no-op without a mask)."""
    if skip is not None:
        xp.copyto(a, 0, where=skip)


def _keep_old(xp: ModuleType, new: Any, old: Any, skip: Any) -> None:
    """new[rows that skipped the step] = old (a no-op without a mask)."""
    if skip is not None:
        xp.copyto(new, old, where=skip)


def _incoming(xp: ModuleType, dh: Any, dy_t: Any, skip: Any, total: Any) -> None:
    """total = dL/dh_t: the gradient from step t+1 plus this step's output gradient (rows whose
    step is padding keep the carried gradient alone)."""
    if dy_t is None:
        total[...] = dh
        return
    xp.add(dh, dy_t, out=total)
    _keep_old(xp, total, dh, skip)


# --- LSTM ------------------------------------------------------------------------------------------


def lstm_forward(xp: ModuleType, xproj, w_hh, h0, c0, *, bias=None, w_hr=None, peep=None, valid=None,
                 reverse=False, record=False, cell: Cell = None) -> dict:  # fmt: skip
    """The LSTM time loop (see engine/kernels/recurrent.py for the arrays): returns "h", "c"
    (T + 1, N, ·), "gates" (T, N, 4H), "tanh_c" (T, N, H), "m" when projected, "pre" with `record`."""
    _check("lstm_forward", xproj, 4, w_hh, h0, valid, bias)
    t_, n, gh = xproj.shape
    h, hr, dt = gh // 4, w_hh.shape[1], xproj.dtype
    _, skip = _masks(xp, valid)
    out = {"h": xp.empty((t_ + 1, n, hr), dt), "c": xp.empty((t_ + 1, n, h), dt),
           "gates": xp.empty((t_, n, gh), dt), "tanh_c": xp.empty((t_, n, h), dt)}  # fmt: skip
    if w_hr is not None:
        out["m"] = xp.empty((t_, n, h), dt)
    if record:
        out["pre"] = xp.empty((t_, n, gh), dt)
    first = t_ if reverse else 0
    out["h"][first], out["c"][first] = h0, c0
    w_t = xp.ascontiguousarray(w_hh.T)
    w_hr_t = xp.ascontiguousarray(w_hr.T) if w_hr is not None else None
    b = xp.zeros(gh, dt) if bias is None else bias
    fused = cell is not None and peep is None and not record
    z = xp.empty((n, gh), dt)
    for t in _steps(t_, reverse):
        a, s = _slots(t, reverse)
        h_prev, c_prev, c, gates, tanh_c = (
            out["h"][a],
            out["c"][a],
            out["c"][s],
            out["gates"][t],
            out["tanh_c"][t],
        )
        m = out["m"][t] if w_hr is not None else out["h"][s]
        xp.matmul(h_prev, w_t, out=z)
        if fused:
            cell(z, xproj[t], b, c_prev, gates, c, tanh_c, m)
        else:
            z += xproj[t]
            z += b
            ai, af, ag, ao = (z[:, k * h : (k + 1) * h] for k in range(4))
            if peep is not None:
                ai += peep[0] * c_prev
                af += peep[1] * c_prev
            gates[:, : 2 * h] = z[:, : 2 * h]
            _sigmoid(xp, gates[:, : 2 * h])
            xp.tanh(ag, out=gates[:, 2 * h : 3 * h])
            gi, gf, gg = gates[:, :h], gates[:, h : 2 * h], gates[:, 2 * h : 3 * h]
            xp.multiply(gf, c_prev, out=c)
            c += gi * gg
            if peep is not None:
                ao += peep[2] * c
            if record:
                out["pre"][t] = z
                _zero(xp, out["pre"][t], skip[t] if skip is not None else None)
            gates[:, 3 * h :] = ao
            go = _sigmoid(xp, gates[:, 3 * h :])
            xp.tanh(c, out=tanh_c)
            xp.multiply(go, tanh_c, out=m)
        if skip is not None:
            _keep_old(xp, c, c_prev, skip[t])
            for a_ in (gates, tanh_c, m):
                _zero(xp, a_, skip[t])
        if w_hr_t is not None:
            xp.matmul(m, w_hr_t, out=out["h"][s])
        if skip is not None:
            _keep_old(xp, out["h"][s], h_prev, skip[t])
    return out


def lstm_backward(xp: ModuleType, saved, dy, dh_n, dc_n, w_hh, *, w_hr=None, peep=None, valid=None,
                  reverse=False, bptt=0, record=False, cell_back: Cell = None) -> dict:  # fmt: skip
    """Backward through time of `lstm_forward`: "dgates" (T, N, 4H), "dh0", "dc0", "dh_proj" when
    projected, and with `record` "dh" (T, N, H_r) = dL/dh_t and "dc" (T, N, H) = dL/dc_t."""
    gates_all, cs, tanh_all = saved["gates"], saved["c"], saved["tanh_c"]
    t_, n, gh = gates_all.shape
    h, hr, dt = gh // 4, w_hh.shape[1], gates_all.dtype
    _, skip = _masks(xp, valid)
    out = {"dgates": xp.empty_like(gates_all),
           "dh0": xp.zeros((n, hr), dt) if dh_n is None else xp.array(dh_n, dtype=dt, copy=True),
           "dc0": xp.zeros((n, h), dt) if dc_n is None else xp.array(dc_n, dtype=dt, copy=True)}  # fmt: skip
    if w_hr is not None:
        out["dh_proj"] = xp.empty((t_, n, hr), dt)
    if record:
        out["dh"], out["dc"] = xp.empty((t_, n, hr), dt), xp.empty((t_, n, h), dt)
    dh, dc = out["dh0"], out["dc0"]  # dL/d(state) going back, updated in place
    total, dc_prev, dh_next = xp.empty((n, hr), dt), xp.empty((n, h), dt), xp.empty((n, hr), dt)
    fused = cell_back is not None and peep is None
    for t in _steps(t_, not reverse):
        a, _ = _slots(t, reverse)
        sk = skip[t] if skip is not None else None
        g_t, c_prev, tc, dgates = gates_all[t], cs[a], tanh_all[t], out["dgates"][t]
        _incoming(xp, dh, None if dy is None else dy[t], sk, total)
        if record:
            out["dh"][t] = total
        if w_hr is not None:
            out["dh_proj"][t] = total
            _zero(xp, out["dh_proj"][t], sk)
            dm = out["dh_proj"][t] @ w_hr
        else:
            dm = total
        if fused:
            cell_back(g_t, c_prev, tc, dm, dc, dgates, dc_prev)
            if record:  # dct = dc + dm·o·(1 − tanh²c), for the trace
                out["dc"][t] = dc + dm * g_t[:, 3 * h :] * (1 - tc * tc)
        else:
            gi, gf, gg, go = (g_t[:, k * h : (k + 1) * h] for k in range(4))
            di, df, dg, do = (dgates[:, k * h : (k + 1) * h] for k in range(4))
            xp.multiply(dm * tc, go * (1 - go), out=do)
            dct = dc + dm * go * (1 - tc * tc)
            if peep is not None:
                dct += do * peep[2]
            xp.multiply(dct * gg, gi * (1 - gi), out=di)
            xp.multiply(dct * c_prev, gf * (1 - gf), out=df)
            xp.multiply(dct * gi, 1 - gg * gg, out=dg)
            xp.multiply(dct, gf, out=dc_prev)
            if peep is not None:
                dc_prev += di * peep[0] + df * peep[1]
            if record:
                out["dc"][t] = dct
        _zero(xp, dgates, sk)
        if record:
            _keep_old(xp, out["dc"][t], dc, sk)
        _keep_old(xp, dc_prev, dc, sk)
        dc[...] = dc_prev
        xp.matmul(dgates, w_hh, out=dh_next)
        _keep_old(xp, dh_next, total, sk)
        dh[...] = dh_next
        if bptt_cut(t, t_, bptt, reverse):
            dh[...] = 0
            dc[...] = 0
    return out


# --- GRU -------------------------------------------------------------------------------------------


def gru_forward(xp: ModuleType, xproj, w_hh, b_hn, h0, *, bias=None, valid=None, reverse=False,
                record=False) -> dict:  # fmt: skip
    """The GRU time loop: "h" (T + 1, N, H), "gates" (T, N, 3H) (r, z, n), "hn" (T, N, H) = W_hn·h + b_hn,
    "pre" with `record`."""
    _check("gru_forward", xproj, 3, w_hh, h0, valid, bias)
    t_, n, gh = xproj.shape
    h, dt = gh // 3, xproj.dtype
    _, skip = _masks(xp, valid)
    out = {
        "h": xp.empty((t_ + 1, n, h), dt),
        "gates": xp.empty((t_, n, gh), dt),
        "hn": xp.empty((t_, n, h), dt),
    }
    if record:
        out["pre"] = xp.empty((t_, n, gh), dt)
    out["h"][t_ if reverse else 0] = h0
    w_t = xp.ascontiguousarray(w_hh.T)
    hg = xp.empty((n, gh), dt)
    for t in _steps(t_, reverse):
        a, s = _slots(t, reverse)
        sk = skip[t] if skip is not None else None
        h_prev, gates, hn = out["h"][a], out["gates"][t], out["hn"][t]
        xp.matmul(h_prev, w_t, out=hg)
        xt = xproj[t] + bias if bias is not None else xproj[t]
        gates[:, : 2 * h] = xt[:, : 2 * h]
        gates[:, : 2 * h] += hg[:, : 2 * h]
        if record:
            out["pre"][t, :, : 2 * h] = gates[:, : 2 * h]
        _sigmoid(xp, gates[:, : 2 * h])
        r, z = gates[:, :h], gates[:, h : 2 * h]
        xp.add(hg[:, 2 * h :], b_hn, out=hn)
        an = xt[:, 2 * h :] + r * hn
        if record:
            out["pre"][t, :, 2 * h :] = an
            _zero(xp, out["pre"][t], sk)
        nn = xp.tanh(an, out=gates[:, 2 * h :])
        new = out["h"][s]
        xp.subtract(h_prev, nn, out=new)  # h = (1 − z)·n + z·h_prev = n + z·(h_prev − n)
        new *= z
        new += nn
        _keep_old(xp, new, h_prev, sk)
        _zero(xp, gates, sk)
        _zero(xp, hn, sk)
    return out


def gru_backward(xp: ModuleType, saved, dy, dh_n, w_hh, *, valid=None, reverse=False, bptt=0,
                 record=False) -> dict:  # fmt: skip
    """Backward through time of `gru_forward`: "dgx" (T, N, 3H), "dgh" (T, N, 3H), "dh0", "dh" with `record`."""
    gates_all, hns, hs = saved["gates"], saved["hn"], saved["h"]
    t_, n, gh = gates_all.shape
    h, dt = gh // 3, gates_all.dtype
    _, skip = _masks(xp, valid)
    out = {"dgx": xp.empty_like(gates_all), "dgh": xp.empty_like(gates_all),
           "dh0": xp.zeros((n, h), dt) if dh_n is None else xp.array(dh_n, dtype=dt, copy=True)}  # fmt: skip
    if record:
        out["dh"] = xp.empty((t_, n, h), dt)
    dh, total, dh_next = out["dh0"], xp.empty((n, h), dt), xp.empty((n, h), dt)
    for t in _steps(t_, not reverse):
        a, _ = _slots(t, reverse)
        sk = skip[t] if skip is not None else None
        _incoming(xp, dh, None if dy is None else dy[t], sk, total)
        if record:
            out["dh"][t] = total
        g_t, dgx, dgh = gates_all[t], out["dgx"][t], out["dgh"][t]
        r, z, nn = g_t[:, :h], g_t[:, h : 2 * h], g_t[:, 2 * h :]
        dr, dz, dn = dgx[:, :h], dgx[:, h : 2 * h], dgx[:, 2 * h :]
        xp.multiply(total * (1 - z), 1 - nn * nn, out=dn)
        xp.multiply(total * (hs[a] - nn), z * (1 - z), out=dz)
        xp.multiply(dn * hns[t], r * (1 - r), out=dr)
        dgh[:, : 2 * h] = dgx[:, : 2 * h]
        xp.multiply(dn, r, out=dgh[:, 2 * h :])
        _zero(xp, dgx, sk)
        _zero(xp, dgh, sk)
        xp.matmul(dgh, w_hh, out=dh_next)
        dh_next += total * z
        _keep_old(xp, dh_next, total, sk)
        dh[...] = dh_next
        if bptt_cut(t, t_, bptt, reverse):
            dh[...] = 0
    return out


# --- RNN -------------------------------------------------------------------------------------------


def rnn_forward(xp: ModuleType, xproj, w_hh, h0, *, bias=None, relu=False, valid=None, reverse=False,
                record=False) -> dict:  # fmt: skip
    """The Elman time loop, h_t = tanh(xproj_t + bias + W_hh·h_{t−1}) (or relu): "h" (T + 1, N, H), "pre"."""
    _check("rnn_forward", xproj, 1, w_hh, h0, valid, bias)
    t_, n, h = xproj.shape
    dt = xproj.dtype
    _, skip = _masks(xp, valid)
    out = {"h": xp.empty((t_ + 1, n, h), dt)}
    if record:
        out["pre"] = xp.empty((t_, n, h), dt)
    out["h"][t_ if reverse else 0] = h0
    w_t = xp.ascontiguousarray(w_hh.T)
    for t in _steps(t_, reverse):
        a, s = _slots(t, reverse)
        sk = skip[t] if skip is not None else None
        new = out["h"][s]
        xp.matmul(out["h"][a], w_t, out=new)
        new += xproj[t]
        if bias is not None:
            new += bias
        if record:
            out["pre"][t] = new
            _zero(xp, out["pre"][t], sk)
        if relu:
            xp.maximum(new, 0, out=new)
        else:
            xp.tanh(new, out=new)
        _keep_old(xp, new, out["h"][a], sk)
    return out


def rnn_backward(xp: ModuleType, saved, dy, dh_n, w_hh, *, relu=False, valid=None, reverse=False, bptt=0,
                 record=False) -> dict:  # fmt: skip
    """Backward through time of `rnn_forward`: "dpre" (T, N, H), "dh0", and "dh" with `record`."""
    hs = saved["h"]
    t_, n, h = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
    dt = hs.dtype
    _, skip = _masks(xp, valid)
    out = {"dpre": xp.empty((t_, n, h), dt),
           "dh0": xp.zeros((n, h), dt) if dh_n is None else xp.array(dh_n, dtype=dt, copy=True)}  # fmt: skip
    if record:
        out["dh"] = xp.empty((t_, n, h), dt)
    dh, total, dh_next = out["dh0"], xp.empty((n, h), dt), xp.empty((n, h), dt)
    for t in _steps(t_, not reverse):
        _, s = _slots(t, reverse)
        sk = skip[t] if skip is not None else None
        _incoming(xp, dh, None if dy is None else dy[t], sk, total)
        if record:
            out["dh"][t] = total
        dpre = out["dpre"][t]
        if relu:
            xp.multiply(total, hs[s] > 0, out=dpre)
        else:
            xp.multiply(total, 1 - hs[s] * hs[s], out=dpre)
        _zero(xp, dpre, sk)
        xp.matmul(dpre, w_hh, out=dh_next)
        _keep_old(xp, dh_next, total, sk)
        dh[...] = dh_next
        if bptt_cut(t, t_, bptt, reverse):
            dh[...] = 0
    return out
