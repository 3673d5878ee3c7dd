"""Every numba kernel against its naive NumPy twin in engine/reference.py, on seeded random shapes."""

from __future__ import annotations

import numpy as np
import pytest

from cnntool.arith.formulas import conv_out_len, pool_out_len
from cnntool.engine import reference as ref
from cnntool.engine.kernels import conv, pool
from cnntool.errors import ShapeError

# (N, C, H, W), kernel, stride, padding ((t, b), (l, r)), dilation: odd sizes, stride > kernel,
# dilation, asymmetric padding, batch 1.
CONV_CASES = [
    ((2, 3, 7, 8), (3, 2), (2, 3), ((1, 2), (0, 1)), (2, 1)),
    ((1, 1, 5, 5), (5, 5), (1, 1), ((2, 2), (2, 2)), (1, 1)),
    ((3, 2, 9, 6), (2, 2), (3, 3), ((0, 0), (0, 0)), (1, 1)),
    ((1, 4, 6, 7), (3, 3), (1, 2), ((1, 1), (2, 0)), (2, 2)),
    ((2, 1, 1, 9), (1, 4), (1, 1), ((0, 0), (1, 2)), (1, 1)),
]


def _out(shape, k, s, p, d):
    return tuple(
        conv_out_len(n, kk, ss, pp, dd) for n, kk, ss, pp, dd in zip(shape[2:], k, s, p, d, strict=True)
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape", "k", "s", "p", "d"), CONV_CASES)
def test_im2col_col2im_match_reference(shape, k, s, p, d, dtype, rng):
    x = rng.standard_normal(shape).astype(dtype)
    out_hw = _out(shape, k, s, p, d)
    cols = conv.im2col(x, k, s, p, d, out_hw)
    np.testing.assert_array_equal(cols, ref.im2col(x, k, s, p, d, out_hw))
    g = rng.standard_normal(cols.shape).astype(dtype)
    np.testing.assert_allclose(conv.col2im(g, shape, k, s, p, d, out_hw), ref.col2im(g, shape, k, s, p, d, out_hw),
                               rtol=1e-5, atol=1e-5)  # fmt: skip


def test_col2im_is_adjoint_of_im2col(rng):
    shape, k, s, p, d = CONV_CASES[0]
    out_hw = _out(shape, k, s, p, d)
    x = rng.standard_normal(shape)
    y = rng.standard_normal((shape[0], shape[1] * k[0] * k[1], out_hw[0] * out_hw[1]))
    lhs = (conv.im2col(x, k, s, p, d, out_hw) * y).sum()
    rhs = (x * conv.col2im(y, shape, k, s, p, d, out_hw)).sum()
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_conv_via_im2col_matches_direct_reference(rng):
    x = rng.standard_normal((2, 4, 7, 6))
    w = rng.standard_normal((6, 2, 3, 2))
    b = rng.standard_normal(6)
    k, s, p, d = (3, 2), (2, 1), ((1, 1), (1, 1)), (1, 2)
    out_hw = _out(x.shape, k, s, p, d)
    cols = conv.im2col(x, k, s, p, d, out_hw).reshape(2, 2, 2 * 6, -1)
    out = np.matmul(w.reshape(2, 3, -1), cols).reshape(2, 6, *out_hw) + b[None, :, None, None]
    np.testing.assert_allclose(out, ref.conv2d(x, w, b, s, p, d, 2), rtol=1e-12, atol=1e-12)


POOL_CASES = [
    ((2, 3, 7, 7), (2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1), True),
    ((1, 2, 9, 8), (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), True),
    ((2, 1, 8, 9), (3, 2), (3, 4), ((1, 1), (0, 0)), (1, 1), False),
    ((1, 2, 9, 9), (3, 3), (1, 2), ((1, 1), (1, 1)), (2, 2), False),
    ((3, 2, 5, 6), (2, 3), (1, 1), ((0, 0), (1, 1)), (1, 1), True),
]


def _pool_out(shape, k, s, p, d, ceil):
    return tuple(
        pool_out_len(n, kk, ss, pp, dd, ceil) for n, kk, ss, pp, dd in zip(shape[2:], k, s, p, d, strict=True)
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape", "k", "s", "p", "d", "ceil"), POOL_CASES)
def test_maxpool_matches_reference(shape, k, s, p, d, ceil, dtype, rng):
    x = rng.standard_normal(shape).astype(dtype)
    out_hw = _pool_out(shape, k, s, p, d, ceil)
    out, arg = pool.maxpool_forward(x, k, s, p, d, out_hw)
    rout, rarg = ref.maxpool_forward(x, k, s, p, d, out_hw)
    np.testing.assert_array_equal(out, rout)
    np.testing.assert_array_equal(arg, rarg)
    g = rng.standard_normal(out.shape).astype(dtype)
    np.testing.assert_allclose(
        pool.maxpool_backward(g, arg, shape), ref.maxpool_backward(g, arg, shape), rtol=1e-6
    )


@pytest.mark.parametrize("include_pad", [True, False])
@pytest.mark.parametrize(("shape", "k", "s", "p", "d", "ceil"), [c for c in POOL_CASES if c[4] == (1, 1)])
def test_avgpool_matches_reference(shape, k, s, p, d, ceil, include_pad, rng):
    x = rng.standard_normal(shape)
    out_hw = _pool_out(shape, k, s, p, d, ceil)
    out, div = pool.avgpool_forward(x, k, s, p, include_pad, out_hw)
    rout, rdiv = ref.avgpool_forward(x, k, s, p, include_pad, out_hw)
    np.testing.assert_allclose(out, rout, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(div, rdiv)
    g = rng.standard_normal(out.shape)
    np.testing.assert_allclose(
        pool.avgpool_backward(g, div, shape, k, s, p),
        ref.avgpool_backward(g, div, shape, k, s, p),
        rtol=1e-12,
    )


def test_maxpool_keeps_nan_like_pytorch():
    x = np.zeros((1, 1, 2, 2), dtype=np.float32)
    x[0, 0, 1, 0] = np.nan
    out, _ = pool.maxpool_forward(x, (2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1), (1, 1))
    assert np.isnan(out[0, 0, 0, 0])


def test_wrappers_raise_shape_errors_not_numba_errors():
    with pytest.raises(ShapeError, match=r"im2col: expected x of shape \(N, C, H, W\), got \(3, 4\)"):
        conv.im2col(np.zeros((3, 4)), (1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), (3, 4))
    with pytest.raises(ShapeError, match="empty"):
        conv.im2col(np.zeros((1, 1, 2, 2)), (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), (0, 0))
    with pytest.raises(ShapeError, match="col2im: expected cols of shape"):
        conv.col2im(np.zeros((1, 2, 3)), (1, 1, 4, 4), (2, 2), (1, 1), ((0, 0), (0, 0)), (1, 1), (3, 3))
    with pytest.raises(ShapeError, match="half the kernel"):
        pool.maxpool_forward(np.zeros((1, 1, 4, 4)), (2, 2), (2, 2), ((2, 2), (0, 0)), (1, 1), (4, 2))
