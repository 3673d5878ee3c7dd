"""The array-module recurrent loops (engine/array_kernels/recurrent.py, NumPy here) against the numba
loops and the twins of engine/reference.py: every cell, both directions, variable lengths, projection,
peepholes, truncated BPTT, the recorded traces, with and without the final-state gradients; float64
to rounding, float32 within the numba kernels' rational tanh; and the `cell`/`cell_back` hooks the
GPU fills with fused kernels, driven here by NumPy functions that do what those kernels do."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cnntool.engine import reference as ref
from cnntool.engine.array_kernels import gemm
from cnntool.engine.array_kernels import recurrent as xrec
from cnntool.engine.kernels import recurrent as fast
from cnntool.errors import ShapeError

T, N, H, P = 6, 4, 5, 3
LENGTHS = np.array([6, 3, 1, 5])


def _valid(masked: bool) -> np.ndarray | None:
    return (np.arange(T)[:, None] < LENGTHS[None, :]).astype(np.uint8) if masked else None


def _same(a: dict, b: dict, tol: float) -> None:
    assert set(a) == set(b)
    for key in b:
        assert a[key].dtype == b[key].dtype, key
        np.testing.assert_allclose(a[key], b[key], rtol=tol, atol=tol, err_msg=key)


def _lstm_case(rng, proj, peep, masked, reverse, dtype=np.float64):
    hr = proj or H
    arrays = (rng.standard_normal((T, N, 4 * H)), rng.standard_normal((4 * H, hr)) * 0.6,
              rng.standard_normal((N, hr)), rng.standard_normal((N, H)))  # fmt: skip
    xproj, w_hh, h0, c0 = (a.astype(dtype) for a in arrays)
    kw = {"bias": rng.standard_normal(4 * H).astype(dtype),
          "w_hr": rng.standard_normal((P, H)).astype(dtype) if proj else None,
          "peep": rng.standard_normal((3, H)).astype(dtype) if peep else None,
          "valid": _valid(masked), "reverse": reverse}  # fmt: skip
    grads = (rng.standard_normal((T, N, hr)).astype(dtype), rng.standard_normal((N, hr)).astype(dtype),
             rng.standard_normal((N, H)).astype(dtype))  # fmt: skip
    return (xproj, w_hh, h0, c0), kw, grads


def _backward_kw(kw):
    return {k: v for k, v in kw.items() if k != "bias"}


@pytest.mark.parametrize(
    ("reverse", "masked", "proj", "peep", "bptt"),
    list(itertools.product([False, True], [False, True], [0, P], [False, True], [0, 2])),
)
def test_lstm_equals_numba_and_the_twin(reverse, masked, proj, peep, bptt):
    rng = np.random.default_rng(1)
    (xproj, w_hh, h0, c0), kw, (dy, dh_n, dc_n) = _lstm_case(rng, proj, peep, masked, reverse)
    for record in (True, False):
        mine = xrec.lstm_forward(np, xproj, w_hh, h0, c0, record=record, **kw)
        numba = fast.lstm_forward(xproj, w_hh, h0, c0, record=record, **kw)
        _same(mine, numba, 1e-12)
        _same(mine, ref.lstm_forward(xproj, w_hh, h0, c0, record=record, **kw), 1e-12)
        bk = _backward_kw(kw)
        _same(xrec.lstm_backward(np, mine, dy, dh_n, dc_n, w_hh, bptt=bptt, record=record, **bk),
              fast.lstm_backward(numba, dy, dh_n, dc_n, w_hh, bptt=bptt, record=record, **bk), 1e-12)  # fmt: skip
        _same(xrec.lstm_backward(np, mine, None, None, None, w_hh, bptt=bptt, record=record, **bk),
              ref.lstm_backward(numba, None, None, None, w_hh, bptt=bptt, record=record, **bk), 1e-12)  # fmt: skip


@pytest.mark.parametrize(
    ("reverse", "masked", "bptt"), list(itertools.product([False, True], [False, True], [0, 3]))
)
def test_gru_equals_numba_and_the_twin(reverse, masked, bptt):
    rng = np.random.default_rng(2)
    xproj, bias, b_hn = rng.standard_normal((T, N, 3 * H)), rng.standard_normal(3 * H), rng.standard_normal(H)
    w_hh, h0 = rng.standard_normal((3 * H, H)) * 0.6, rng.standard_normal((N, H))
    kw = {"valid": _valid(masked), "reverse": reverse}
    dy, dh_n = rng.standard_normal((T, N, H)), rng.standard_normal((N, H))
    for record in (True, False):
        mine = xrec.gru_forward(np, xproj, w_hh, b_hn, h0, bias=bias, record=record, **kw)
        numba = fast.gru_forward(xproj, w_hh, b_hn, h0, bias=bias, record=record, **kw)
        _same(mine, numba, 1e-12)
        _same(mine, ref.gru_forward(xproj, w_hh, b_hn, h0, bias=bias, record=record, **kw), 1e-12)
        _same(xrec.gru_backward(np, mine, dy, dh_n, w_hh, bptt=bptt, record=record, **kw),
              fast.gru_backward(numba, dy, dh_n, w_hh, bptt=bptt, record=record, **kw), 1e-12)  # fmt: skip
        _same(xrec.gru_backward(np, mine, None, None, w_hh, bptt=bptt, record=record, **kw),
              ref.gru_backward(numba, None, None, w_hh, bptt=bptt, record=record, **kw), 1e-12)  # fmt: skip


@pytest.mark.parametrize(
    ("reverse", "masked", "relu", "bptt"),
    list(itertools.product([False, True], [False, True], [False, True], [0, 1])),
)
def test_rnn_equals_numba_and_the_twin(reverse, masked, relu, bptt):
    rng = np.random.default_rng(3)
    xproj, bias, w_hh, h0 = (rng.standard_normal(s) for s in ((T, N, H), (H,), (H, H), (N, H)))
    kw = {"valid": _valid(masked), "reverse": reverse, "relu": relu}
    dy, dh_n = rng.standard_normal((T, N, H)), rng.standard_normal((N, H))
    for record in (True, False):
        mine = xrec.rnn_forward(np, xproj, w_hh, h0, bias=bias, record=record, **kw)
        numba = fast.rnn_forward(xproj, w_hh, h0, bias=bias, record=record, **kw)
        _same(mine, numba, 1e-12)
        _same(mine, ref.rnn_forward(xproj, w_hh, h0, bias=bias, record=record, **kw), 1e-12)
        _same(xrec.rnn_backward(np, mine, dy, dh_n, w_hh, bptt=bptt, record=record, **kw),
              fast.rnn_backward(numba, dy, dh_n, w_hh, bptt=bptt, record=record, **kw), 1e-12)  # fmt: skip


def test_float32_loops_agree_with_numbas_within_its_tanh():
    rng = np.random.default_rng(4)
    (xproj, w_hh, h0, c0), kw, (dy, dh_n, dc_n) = _lstm_case(rng, P, True, True, False, np.float32)
    mine, numba = (f(xproj, w_hh, h0, c0, **kw) for f in (lambda *a, **k: xrec.lstm_forward(np, *a, **k),
                                                          fast.lstm_forward))  # fmt: skip
    _same(mine, numba, 2e-5)
    bk = _backward_kw(kw)
    _same(xrec.lstm_backward(np, mine, dy, dh_n, dc_n, w_hh, **bk),
          fast.lstm_backward(numba, dy, dh_n, dc_n, w_hh, **bk), 2e-5)  # fmt: skip


def _cell(hg, x, bias, c_prev, gates, c, tanh_c, m):
    """What the GPU's fused forward cell computes for every (row, unit), in NumPy."""
    h = c_prev.shape[1]
    z = hg + x + bias
    gi, gf, go = (1 / (1 + np.exp(-z[:, k * h : (k + 1) * h])) for k in (0, 1, 3))
    gg = np.tanh(z[:, 2 * h : 3 * h])
    c[...] = gf * c_prev + gi * gg
    tanh_c[...] = np.tanh(c)
    m[...] = go * tanh_c
    gates[...] = np.concatenate([gi, gf, gg, go], axis=1)


def _cell_back(gates, c_prev, tanh_c, dm, dc, dgates, dc_prev):
    """What the GPU's fused backward cell computes, in NumPy."""
    h = c_prev.shape[1]
    gi, gf, gg, go = (gates[:, k * h : (k + 1) * h] for k in range(4))
    dct = dc + dm * go * (1 - tanh_c * tanh_c)
    dgates[...] = np.concatenate([dct * gg * gi * (1 - gi), dct * c_prev * gf * (1 - gf), dct * gi * (1 - gg * gg),
                                  dm * tanh_c * go * (1 - go)], axis=1)  # fmt: skip
    dc_prev[...] = dct * gf


@pytest.mark.parametrize(
    ("reverse", "masked", "proj", "bptt"),
    list(itertools.product([False, True], [False, True], [0, P], [0, 2])),
)
def test_the_fused_cell_hooks_give_the_same_loops(reverse, masked, proj, bptt):
    rng = np.random.default_rng(5)
    (xproj, w_hh, h0, c0), kw, (dy, dh_n, dc_n) = _lstm_case(rng, proj, False, masked, reverse)
    mine = xrec.lstm_forward(np, xproj, w_hh, h0, c0, cell=_cell, **kw)
    numba = fast.lstm_forward(xproj, w_hh, h0, c0, **kw)
    _same(mine, numba, 1e-12)
    bk = _backward_kw(kw)
    for record in (False, True):
        _same(xrec.lstm_backward(np, mine, dy, dh_n, dc_n, w_hh, bptt=bptt, record=record, cell_back=_cell_back, **bk),
              fast.lstm_backward(numba, dy, dh_n, dc_n, w_hh, bptt=bptt, record=record, **bk), 1e-12)  # fmt: skip


def test_matmuls_and_refusals():
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((7, 3)), rng.standard_normal((7, 4))
    np.testing.assert_allclose(gemm.matmul_tn(np, a, b), a.T @ b, rtol=1e-14)
    np.testing.assert_allclose(gemm.matmul(np, a.T, b), a.T @ b, rtol=1e-14)
    with pytest.raises(ValueError, match="differ in their first axis"):
        gemm.matmul_tn(np, a, b[:5])
    z = np.zeros
    cases = [  # (loop, its arguments): a w_hh that does not fit, an h0 of the wrong width, a wrong mask
        ("rnn_forward", (z((T, N, 4)), z((5, 4)), z((N, 4))), {}),
        ("lstm_forward", (z((T, N, 8)), z((8, 2)), z((N, 3)), z((N, 2))), {}),
        ("gru_forward", (z((T, N, 6)), z((6, 2)), z(2), z((N, 2))), {"valid": np.ones((2, 2))}),
    ]
    for name, args, kwargs in cases:
        mine = lambda name=name, args=args, kwargs=kwargs: getattr(xrec, name)(np, *args, **kwargs)  # noqa: E731
        numba = lambda name=name, args=args, kwargs=kwargs: getattr(fast, name)(*args, **kwargs)  # noqa: E731
        with pytest.raises(ShapeError) as ours:
            mine()
        with pytest.raises(ShapeError) as theirs:
            numba()
        assert str(ours.value) == str(theirs.value)
