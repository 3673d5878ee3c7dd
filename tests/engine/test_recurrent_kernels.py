"""The recurrent time-loop kernels (numba, engine/kernels/recurrent.py) against their naive NumPy twins
(engine/reference.py): every cell, both directions, variable lengths, projection, peepholes, truncated
BPTT and the recorded traces; float64 to rounding, float32 within the rational tanh's error."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cnntool.engine import reference as ref
from cnntool.engine.kernels import cells, chunks, gemm
from cnntool.engine.kernels import recurrent as fast

T, N, H, P = 6, 4, 5, 3
LENGTHS = np.array([6, 3, 1, 5])


def _valid(masked: bool) -> np.ndarray | None:
    return (np.arange(T)[:, None] < LENGTHS[None, :]).astype(np.uint8) if masked else None


def _same(a: dict, b: dict, tol: float) -> None:
    assert set(a) == set(b)
    for key in b:
        np.testing.assert_allclose(a[key], b[key], rtol=tol, atol=tol, err_msg=key)


@pytest.mark.parametrize(
    ("reverse", "masked", "proj", "peep", "bptt"),
    list(itertools.product([False, True], [False, True], [0, P], [False, True], [0, 2])),
)
def test_lstm_loops_match_the_reference(reverse, masked, proj, peep, bptt, rng):
    hr = proj or H
    xproj, bias = rng.standard_normal((T, N, 4 * H)), rng.standard_normal(4 * H)
    w_hh, h0, c0 = (
        rng.standard_normal((4 * H, hr)) * 0.6,
        rng.standard_normal((N, hr)),
        rng.standard_normal((N, H)),
    )
    kw = {"w_hr": rng.standard_normal((P, H)) if proj else None, "peep": rng.standard_normal((3, H)) if peep else None,
          "valid": _valid(masked), "reverse": reverse}  # fmt: skip
    a = fast.lstm_forward(xproj, w_hh, h0, c0, bias=bias, record=True, **kw)
    b = ref.lstm_forward(xproj, w_hh, h0, c0, bias=bias, record=True, **kw)
    _same(a, b, 1e-12)
    dy, dh_n, dc_n = (
        rng.standard_normal((T, N, hr)),
        rng.standard_normal((N, hr)),
        rng.standard_normal((N, H)),
    )
    ga = fast.lstm_backward(a, dy, dh_n, dc_n, w_hh, bptt=bptt, record=True, **kw)
    gb = ref.lstm_backward(b, dy, dh_n, dc_n, w_hh, bptt=bptt, record=True, **kw)
    _same(ga, gb, 1e-12)


@pytest.mark.parametrize(
    ("reverse", "masked", "bptt"), list(itertools.product([False, True], [False, True], [0, 3]))
)
def test_gru_loops_match_the_reference(reverse, masked, bptt, rng):
    xproj, bias, b_hn = rng.standard_normal((T, N, 3 * H)), rng.standard_normal(3 * H), rng.standard_normal(H)
    w_hh, h0 = rng.standard_normal((3 * H, H)) * 0.6, rng.standard_normal((N, H))
    kw = {"valid": _valid(masked), "reverse": reverse}
    a = fast.gru_forward(xproj, w_hh, b_hn, h0, bias=bias, record=True, **kw)
    b = ref.gru_forward(xproj, w_hh, b_hn, h0, bias=bias, record=True, **kw)
    _same(a, b, 1e-12)
    dy, dh_n = rng.standard_normal((T, N, H)), rng.standard_normal((N, H))
    _same(
        fast.gru_backward(a, dy, dh_n, w_hh, bptt=bptt, record=True, **kw),
        ref.gru_backward(b, dy, dh_n, w_hh, bptt=bptt, record=True, **kw),
        1e-12,
    )


@pytest.mark.parametrize(
    ("reverse", "masked", "relu", "bptt"),
    list(itertools.product([False, True], [False, True], [False, True], [0, 1])),
)
def test_rnn_loops_match_the_reference(reverse, masked, relu, bptt, rng):
    xproj, bias, w_hh, h0 = (rng.standard_normal(s) for s in ((T, N, H), (H,), (H, H), (N, H)))
    kw = {"valid": _valid(masked), "reverse": reverse, "relu": relu}
    a = fast.rnn_forward(xproj, w_hh, h0, bias=bias, record=True, **kw)
    b = ref.rnn_forward(xproj, w_hh, h0, bias=bias, record=True, **kw)
    _same(a, b, 1e-12)
    dy = rng.standard_normal((T, N, H))
    _same(
        fast.rnn_backward(a, dy, None, w_hh, bptt=bptt, record=True, **kw),
        ref.rnn_backward(b, dy, None, w_hh, bptt=bptt, record=True, **kw),
        1e-12,
    )


def test_float32_gates_are_within_the_rational_tanh_error(rng):
    """float32 kernels use a vectorisable rational tanh (σ = ½ + ½·tanh(x/2)); its error is ~1 ulp."""
    xproj = (3 * rng.standard_normal((T, N, 4 * H))).astype(np.float32)
    w_hh = (0.5 * rng.standard_normal((4 * H, H))).astype(np.float32)
    h0, c0 = np.zeros((N, H), np.float32), np.zeros((N, H), np.float32)
    a = fast.lstm_forward(xproj, w_hh, h0, c0)
    b = ref.lstm_forward(
        xproj.astype(np.float64), w_hh.astype(np.float64), h0.astype(np.float64), c0.astype(np.float64)
    )
    assert a["gates"].dtype == np.float32
    for key in ("gates", "c", "h"):
        assert np.abs(a[key] - b[key]).max() < 2e-6, key


def test_the_float32_tanh_is_accurate_everywhere():
    from numba import njit

    @njit(cache=False)
    def tanh32(x, out):
        for i in range(x.size):
            out[i] = cells.tanh(x[i])

    x = np.linspace(-30, 30, 200_001).astype(np.float32)
    out = np.empty_like(x)
    tanh32(x, out)
    assert np.abs(out.astype(np.float64) - np.tanh(x.astype(np.float64))).max() <= 3e-7
    assert out[0] == -1.0 and out[-1] == 1.0
    zero = np.zeros(1, np.float32)
    tanh32(np.zeros(1, np.float32), zero)
    assert zero[0] == 0.0


def test_truncation_cuts_exactly_at_block_boundaries(rng):
    """With bptt=k no gradient crosses from position k·m to k·m − 1: a gradient that arrives only at the
    last step reaches back to the start of the last block and no further."""
    xproj, w_hh, h0 = rng.standard_normal((T, N, H)), rng.standard_normal((H, H)), rng.standard_normal((N, H))
    run = fast.rnn_forward(xproj, w_hh, h0)
    dy = np.zeros((T, N, H))
    dy[-1] = 1.0
    grads = fast.rnn_backward(run, dy, None, w_hh, bptt=4, record=True)
    norms = np.abs(grads["dpre"]).sum(axis=(1, 2))
    assert np.all(norms[4:] > 0) and np.all(norms[:4] == 0)  # block [4, 5] only
    assert np.all(grads["dh0"] == 0)
    # the backward direction takes t = 5 first and t = 0 last: a gradient at t = 0 goes back to t = 3
    dy = np.zeros((T, N, H))
    dy[0] = 1.0
    run = fast.rnn_forward(xproj, w_hh, h0, reverse=True)
    back = fast.rnn_backward(run, dy, None, w_hh, bptt=4, reverse=True)
    norms = np.abs(back["dpre"]).sum(axis=(1, 2))
    assert np.all(norms[:4] > 0) and np.all(norms[4:] == 0) and np.all(back["dh0"] == 0)


def test_bad_arrays_are_refused():
    from cnntool.errors import ShapeError

    with pytest.raises(ShapeError, match="xproj must be C-contiguous"):
        fast.lstm_forward(np.zeros((2, 3, 7)), np.zeros((8, 2)), np.zeros((3, 2)), np.zeros((3, 2)))
    with pytest.raises(ShapeError, match="h0"):
        fast.gru_forward(np.zeros((2, 3, 6)), np.zeros((6, 2)), np.zeros(2), np.zeros((4, 2)))
    with pytest.raises(ShapeError, match="valid must be"):
        fast.rnn_forward(np.zeros((2, 3, 2)), np.zeros((2, 2)), np.zeros((3, 2)), valid=np.ones((3, 3)))


@pytest.mark.parametrize("cell", ["lstm", "lstm_proj", "gru", "rnn"])
def test_batch_chunks_in_threads_give_the_same_numbers(cell, monkeypatch, rng):
    """With several threads the batch is cut into row chunks, each running the whole time loop."""
    monkeypatch.setattr(chunks, "CHUNK_THREADS", 3)
    n = 3 * fast.MIN_ROWS_PER_CHUNK + 2  # three chunks of 16–17 rows
    valid = (np.arange(T)[:, None] < rng.integers(1, T + 1, n)[None, :]).astype(np.uint8)
    kw = {"valid": valid, "reverse": True}
    if cell.startswith("lstm"):
        proj = P if cell == "lstm_proj" else 0
        hr = proj or H
        args = (rng.standard_normal((T, n, 4 * H)), rng.standard_normal((4 * H, hr)) * 0.5,
                rng.standard_normal((n, hr)), rng.standard_normal((n, H)))  # fmt: skip
        kw |= {"w_hr": rng.standard_normal((P, H)) if proj else None, "peep": rng.standard_normal((3, H))}
        a, b = fast.lstm_forward(*args, record=True, **kw), ref.lstm_forward(*args, record=True, **kw)
        back = (rng.standard_normal((T, n, hr)), rng.standard_normal((n, hr)), None, args[1])
        ga = fast.lstm_backward(a, *back, bptt=2, record=True, **kw)
        gb = ref.lstm_backward(b, *back, bptt=2, record=True, **kw)
    elif cell == "gru":
        args = (rng.standard_normal((T, n, 3 * H)), rng.standard_normal((3 * H, H)), rng.standard_normal(H),
                rng.standard_normal((n, H)))  # fmt: skip
        a, b = fast.gru_forward(*args, record=True, **kw), ref.gru_forward(*args, record=True, **kw)
        back = (rng.standard_normal((T, n, H)), rng.standard_normal((n, H)), args[1])
        ga, gb = (
            fast.gru_backward(a, *back, bptt=2, record=True, **kw),
            ref.gru_backward(b, *back, bptt=2, record=True, **kw),
        )
    else:
        args = (rng.standard_normal((T, n, H)), rng.standard_normal((H, H)), rng.standard_normal((n, H)))
        a, b = fast.rnn_forward(*args, record=True, **kw), ref.rnn_forward(*args, record=True, **kw)
        back = (rng.standard_normal((T, n, H)), None, args[1])
        ga, gb = (
            fast.rnn_backward(a, *back, bptt=2, record=True, **kw),
            ref.rnn_backward(b, *back, bptt=2, record=True, **kw),
        )
    _same(a, b, 1e-12)
    _same(ga, gb, 1e-12)


def test_split_matmuls_equal_numpys(monkeypatch, rng):
    monkeypatch.setattr(chunks, "CHUNK_THREADS", 3)
    a, b, c = rng.standard_normal((1601, 7)), rng.standard_normal((7, 5)), rng.standard_normal((1601, 4))
    np.testing.assert_allclose(gemm.matmul(a, b), a @ b, rtol=1e-12)
    np.testing.assert_allclose(gemm.matmul_tn(a, c), a.T @ c, rtol=1e-12)
    np.testing.assert_allclose(ref.matmul_tn(a, c), a.T @ c, rtol=1e-12)
    seen = []
    chunks.in_chunks(1601, lambda n0, n1: seen.append((n0, n1)), gemm.MIN_ROWS)
    assert sorted(seen) == [(0, 533), (533, 1067), (1067, 1601)]
    monkeypatch.setattr(chunks, "CHUNK_THREADS", 1)
    assert chunks.in_chunks(5000, lambda n0, n1: (n0, n1), 1) == [(0, 5000)]
