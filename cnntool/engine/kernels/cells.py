"""One time step of an RNN, GRU or LSTM cell, forward and backward, with the gates fused in one pass.

The time loops (kernels/recurrent.py) do, per step, one BLAS matmul for the recurrent part
(``h_{t−1}·W_hhᵀ``) and then one of these kernels, which reads the input projection, the recurrent
projection and the biases and writes every gate, the new cell and the new hidden state in a single
pass over (N, G·H). Backward is the mirror: one kernel turns dL/dh_t (and dL/dc_t) into the gate
gradients, then one matmul gives the recurrent part of dL/dh_{t−1}.

Gate order and biases are PyTorch's: LSTM (i, f, g, o), GRU (r, z, n) with b_hn inside the reset
product, n = tanh(x_n + r ⊙ (W_hn·h + b_hn)). The LSTM peephole (the lecture's V's, diagonal):
i and f add V_i ⊙ c_{t−1} and V_f ⊙ c_{t−1}, o adds V_o ⊙ c_t.

`valid` (N,) uint8 says which rows take this step (variable-length batches): a row with 0 keeps
its state (c_t = c_{t−1}; the GRU and RNN kernels copy h too), its gates and outputs are 0 and it
passes its gradients through unchanged. Optional arrays (`pre`, the pre-activations a trace
records; `dc_tot`) are written only when asked. Private: reached through kernels/recurrent.py, whose
time loops have naive NumPy twins in engine/reference.py.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import overload

from cnntool.config import NJIT_SERIAL

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
def lstm_step(
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
def lstm_step_back(dy, has_dy, dh_rec, has_rec, dc, gates, c_prev, tanh_c, peep, has_peep, valid,
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
def gru_step(xg, hg, bias, b_hn, h_prev, valid, gates, hn, h_out, pre, record):  # pragma: no cover - compiled
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
def gru_step_back(
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
def rnn_step(xg, hg, bias, relu, h_prev, valid, h_out, pre, record):  # pragma: no cover - compiled
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
def rnn_step_back(dy, has_dy, dh_rec, has_rec, h_out, relu, valid, dpre, direct, dh_tot):  # pragma: no cover
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
