"""Every numba kernel against its naive NumPy twin in engine/reference.py, on seeded random shapes."""

from __future__ import annotations

import numpy as np
import pytest

from cnntool.arith.formulas import conv_out_len, pool_out_len
from cnntool.engine import reference as ref
from cnntool.engine.kernels import act as act_kernels
from cnntool.engine.kernels import conv, pool
from cnntool.engine.kernels import norm as norm_kernels
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
    eval_out, none = pool.maxpool_forward(x, k, s, p, d, out_hw, with_argmax=False)
    np.testing.assert_array_equal(eval_out, rout)
    assert none is None and ref.maxpool_forward(x, k, s, p, d, out_hw, with_argmax=False)[1] is None


@pytest.mark.parametrize("seed", range(6))
def test_maxpool_random_shapes_match_reference(seed):
    """Seeded random geometry (odd sizes, batch 1, stride > kernel, ceil); the 2×2 fast path included."""
    rng = np.random.default_rng(seed)
    for _ in range(8):
        shape = (
            int(rng.integers(1, 4)),
            int(rng.integers(1, 4)),
            int(rng.integers(2, 12)),
            int(rng.integers(2, 12)),
        )
        k = tuple(int(v) for v in rng.integers(1, 4, 2)) if seed % 2 else (2, 2)
        s = tuple(int(v) for v in rng.integers(1, 5, 2)) if seed % 2 else (2, 2)
        d = tuple(int(v) for v in rng.integers(1, 3, 2)) if seed % 3 == 1 else (1, 1)
        p = tuple((int(rng.integers(0, kk // 2 + 1)),) * 2 for kk in k)
        ceil = bool(rng.integers(0, 2))
        out_hw = _pool_out(shape, k, s, p, d, ceil)
        if min(out_hw) < 1:
            continue
        x = rng.standard_normal(shape).astype(np.float32)
        rout, rarg = ref.maxpool_forward(x, k, s, p, d, out_hw)
        out, arg = pool.maxpool_forward(x, k, s, p, d, out_hw)
        np.testing.assert_array_equal(out, rout)
        np.testing.assert_array_equal(arg, rarg)
        np.testing.assert_array_equal(pool.maxpool_forward(x, k, s, p, d, out_hw, with_argmax=False)[0], rout)


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


@pytest.mark.parametrize("with_argmax", [True, False])
@pytest.mark.parametrize("kernel", [(2, 2), (3, 3)])
def test_maxpool_keeps_nan_like_pytorch(with_argmax, kernel):
    x = np.zeros((1, 1, *kernel), dtype=np.float32)
    x[0, 0, 1, 0] = np.nan
    x[0, 0, 1, 1] = 5.0  # a larger value after the NaN does not replace it
    out, arg = pool.maxpool_forward(x, kernel, kernel, ((0, 0), (0, 0)), (1, 1), (1, 1), with_argmax)
    assert np.isnan(out[0, 0, 0, 0])
    if with_argmax:
        assert arg[0, 0, 0, 0] == kernel[1]  # the first NaN, as np.argmax


@pytest.mark.parametrize("act", sorted(act_kernels.NAMES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bias_act_matches_reference(act, dtype):
    rng = np.random.default_rng(sum(map(ord, act)))
    for shape in [(1, 1, 1), (3, 5, 7), (1, 7, 1), (2, 3, 13)]:
        y = (4 * rng.standard_normal(shape)).astype(dtype)
        y.flat[0] = 7.5  # above relu6's cap
        bias = rng.standard_normal(shape[1]).astype(dtype) if shape[1] != 7 else None
        alpha = {"relu6": 6.0, "leakyrelu": 0.1}.get(act, 0.0)
        expected = ref.bias_act(y, bias, act, alpha)
        got = act_kernels.bias_act(y.copy(), bias, act, alpha)
        np.testing.assert_allclose(got, expected, rtol=1e-6 if dtype == np.float32 else 1e-13, atol=1e-7)
    nan = np.full((1, 1, 3), np.nan, dtype=dtype)
    assert np.isnan(act_kernels.bias_act(nan, None, act, 6.0)).all()


@pytest.mark.parametrize("shape", [(1, 3, 5), (4, 2, 7, 9), (3, 1, 1, 1), (2, 5, 3), (1, 4, 6, 5)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batchnorm_kernels_match_reference(shape, dtype):
    rng = np.random.default_rng(shape[0] * 100 + shape[1])
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}
    x = (3 + 2 * rng.standard_normal(shape)).astype(dtype)
    mean, var = norm_kernels.batchnorm_stats(x)
    rmean, rvar = ref.batchnorm_stats(x)
    np.testing.assert_allclose(mean, rmean, **tol)
    np.testing.assert_allclose(var, rvar, **tol)
    c = shape[1]
    inv_std = (1 / np.sqrt(rvar + 1e-5)).astype(dtype)
    scale, shift = rng.standard_normal(c).astype(dtype), rng.standard_normal(c).astype(dtype)
    out, xhat = norm_kernels.batchnorm_forward(x, rmean, inv_std, scale, shift)
    rout, rxhat = ref.batchnorm_forward(x, rmean, inv_std, scale, shift)
    np.testing.assert_allclose(out, rout, **tol)
    np.testing.assert_allclose(xhat, rxhat, **tol)
    dout = rng.standard_normal(shape).astype(dtype)
    for train in (True, False):
        got = norm_kernels.batchnorm_backward(dout, rxhat, scale, inv_std, train)
        for a, b in zip(got, ref.batchnorm_backward(dout, rxhat, scale, inv_std, train), strict=True):
            np.testing.assert_allclose(a, b, **tol)


def test_wrappers_raise_shape_errors_not_numba_errors():
    with pytest.raises(ShapeError, match=r"im2col: expected x of shape \(N, C, H, W\), got \(3, 4\)"):
        conv.im2col(np.zeros((3, 4)), (1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), (3, 4))
    with pytest.raises(ShapeError, match="empty"):
        conv.im2col(np.zeros((1, 1, 2, 2)), (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), (0, 0))
    with pytest.raises(ShapeError, match="col2im: expected cols of shape"):
        conv.col2im(np.zeros((1, 2, 3)), (1, 1, 4, 4), (2, 2), (1, 1), ((0, 0), (0, 0)), (1, 1), (3, 3))
    with pytest.raises(ShapeError, match="bias_act: bias of shape"):
        act_kernels.bias_act(np.zeros((1, 3, 4)), np.zeros(2), "relu")
    with pytest.raises(ValueError, match="unknown activation"):
        act_kernels.bias_act(np.zeros((1, 3, 4)), None, "gelu")
    with pytest.raises(ShapeError, match=r"batchnorm_stats: expected x of shape"):
        norm_kernels.batchnorm_stats(np.zeros(3))
    with pytest.raises(ShapeError, match="scale of shape"):
        norm_kernels.batchnorm_forward(np.zeros((2, 3, 4)), np.zeros(3), np.ones(3), np.ones(2), np.zeros(3))
    with pytest.raises(ShapeError, match="half the kernel"):
        pool.maxpool_forward(np.zeros((1, 1, 4, 4)), (2, 2), (2, 2), ((2, 2), (0, 0)), (1, 1), (4, 2))


def test_im2col_into_a_buffer_and_a_wrong_buffer(rng):
    shape, k, s, p, d = CONV_CASES[3]
    out_hw = _out(shape, k, s, p, d)
    x = rng.standard_normal(shape)
    buf = np.full((shape[0], shape[1] * k[0] * k[1], out_hw[0] * out_hw[1]), 9.0)
    assert conv.im2col(x, k, s, p, d, out_hw, out=buf) is buf
    np.testing.assert_array_equal(buf, ref.im2col(x, k, s, p, d, out_hw))
    with pytest.raises(ShapeError, match="out buffer"):
        conv.im2col(x, k, s, p, d, out_hw, out=buf[:, :-1])


def test_conv_buffer_reuse_keeps_backward_right(rng):
    """The layer's im2col buffer is reused: backward must see the latest forward, whatever the batch."""
    from cnntool.engine.layers.conv import Conv

    layer = Conv(2, 3, (3, 3), padding=((1, 1), (1, 1)), rng=np.random.default_rng(0), dtype="float64")
    fresh = Conv(2, 3, (3, 3), padding=((1, 1), (1, 1)), rng=np.random.default_rng(0), dtype="float64")
    x1, x2 = rng.standard_normal((4, 2, 5, 6)), rng.standard_normal((2, 2, 5, 6))
    layer.forward(x1, train=True)
    layer.forward(x2, train=True)
    out = layer.forward(x2, train=True)
    np.testing.assert_array_equal(out, fresh.forward(x2, train=True))
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(layer.backward(dout), fresh.backward(dout), rtol=1e-13)
    np.testing.assert_allclose(layer.weight.grad, fresh.weight.grad, rtol=1e-13)
