"""The array-module kernels (engine/array_kernels, NumPy here) against the numba kernels and the
naive twins of engine/reference.py: the same cases as test_kernels.py plus seeded random shapes.
The numba kernels are the yardstick: the cpu-numpy backend must be interchangeable with them."""

from __future__ import annotations

import numpy as np
import pytest

from cnntool.engine import reference as ref
from cnntool.engine.array_kernels import FUNCTIONS, table
from cnntool.engine.array_kernels import pool as xpool
from cnntool.engine.kernels import act as act_kernels
from cnntool.engine.kernels import conv, pool
from cnntool.engine.kernels import norm as norm_kernels
from cnntool.errors import ShapeError
from tests.engine.test_kernels import CONV_CASES, POOL_CASES, _out, _pool_out

K = table(np)
TOL = {np.float32: {"rtol": 2e-5, "atol": 2e-5}, np.float64: {"rtol": 1e-12, "atol": 1e-12}}


def test_table_covers_every_kernel_of_the_backend():
    from dataclasses import fields

    from cnntool.engine.backend import Kernels

    assert sorted(FUNCTIONS) == sorted(f.name for f in fields(Kernels))


def _random_conv_case(rng):
    shape = tuple(
        int(v) for v in (rng.integers(1, 4), rng.integers(1, 4), rng.integers(1, 10), rng.integers(1, 10))
    )
    k = tuple(int(v) for v in rng.integers(1, 4, 2))
    s = tuple(int(v) for v in rng.integers(1, 4, 2))
    d = tuple(int(v) for v in rng.integers(1, 3, 2))
    p = tuple((int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in range(2))
    return shape, k, s, p, d


def _conv_cases():
    rng = np.random.default_rng(7)
    cases = list(CONV_CASES)
    while len(cases) < len(CONV_CASES) + 12:
        case = _random_conv_case(rng)
        if min(_out(*case)) >= 1:
            cases.append(case)
    return cases


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape", "k", "s", "p", "d"), _conv_cases())
def test_im2col_col2im_equal_numba_and_reference(shape, k, s, p, d, dtype, rng):
    x = rng.standard_normal(shape).astype(dtype)
    out_hw = _out(shape, k, s, p, d)
    cols = K["im2col"](x, k, s, p, d, out_hw)
    np.testing.assert_array_equal(cols, conv.im2col(x, k, s, p, d, out_hw))  # a copy: bit for bit
    np.testing.assert_array_equal(cols, ref.im2col(x, k, s, p, d, out_hw))
    g = rng.standard_normal(cols.shape).astype(dtype)
    dx = K["col2im"](g, shape, k, s, p, d, out_hw)
    assert dx.shape == shape and dx.dtype == dtype and dx.flags.c_contiguous
    np.testing.assert_allclose(dx, conv.col2im(g, shape, k, s, p, d, out_hw), **TOL[dtype])
    np.testing.assert_allclose(dx, ref.col2im(g, shape, k, s, p, d, out_hw), **TOL[dtype])


def test_im2col_fills_a_buffer_and_refuses_a_wrong_one(rng):
    shape, k, s, p, d = CONV_CASES[3]
    out_hw = _out(shape, k, s, p, d)
    x = rng.standard_normal(shape)
    buf = np.full((shape[0], shape[1] * k[0] * k[1], out_hw[0] * out_hw[1]), 9.0)
    assert K["im2col"](x, k, s, p, d, out_hw, out=buf) is buf
    np.testing.assert_array_equal(buf, ref.im2col(x, k, s, p, d, out_hw))
    with pytest.raises(ShapeError, match="out buffer"):
        K["im2col"](x, k, s, p, d, out_hw, out=buf[:, :-1])


def test_im2col_of_a_non_contiguous_input(rng):
    x = rng.standard_normal((2, 3, 6, 10))[:, :, :, ::2]  # strided view, no padding needed
    out_hw = _out(x.shape, (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1))
    np.testing.assert_array_equal(
        K["im2col"](x, (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), out_hw),
        ref.im2col(np.ascontiguousarray(x), (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), out_hw),
    )


def _pool_cases():
    rng = np.random.default_rng(11)
    cases = list(POOL_CASES)
    while len(cases) < len(POOL_CASES) + 16:
        shape = tuple(
            int(v) for v in (rng.integers(1, 4), rng.integers(1, 4), rng.integers(2, 12), rng.integers(2, 12))
        )
        k = tuple(int(v) for v in rng.integers(1, 4, 2))
        s = tuple(int(v) for v in rng.integers(1, 5, 2))
        d = tuple(int(v) for v in rng.integers(1, 3, 2))
        p = tuple((int(rng.integers(0, kk // 2 + 1)),) * 2 for kk in k)
        ceil = bool(rng.integers(0, 2))
        if min(_pool_out(shape, k, s, p, d, ceil)) >= 1:
            cases.append((shape, k, s, p, d, ceil))
    return cases


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape", "k", "s", "p", "d", "ceil"), _pool_cases())
def test_maxpool_equals_numba_and_reference(shape, k, s, p, d, ceil, dtype, rng):
    x = rng.standard_normal(shape).astype(dtype)
    out_hw = _pool_out(shape, k, s, p, d, ceil)
    out, arg = K["maxpool_forward"](x, k, s, p, d, out_hw)
    nout, narg = pool.maxpool_forward(x, k, s, p, d, out_hw)
    np.testing.assert_array_equal(out, nout)
    np.testing.assert_array_equal(arg, narg)
    np.testing.assert_array_equal(arg, ref.maxpool_forward(x, k, s, p, d, out_hw)[1])
    assert arg.dtype == np.int64 and out.dtype == dtype
    eval_out, none = K["maxpool_forward"](x, k, s, p, d, out_hw, with_argmax=False)
    assert none is None
    np.testing.assert_array_equal(eval_out, nout)
    g = rng.standard_normal(out.shape).astype(dtype)
    dx = K["maxpool_backward"](g, arg, shape)
    np.testing.assert_allclose(dx, pool.maxpool_backward(g, narg, shape), **TOL[dtype])
    np.testing.assert_allclose(dx, ref.maxpool_backward(g, arg, shape), **TOL[dtype])
    # The GPU's scatter (sorted passes, no atomics) gives the same sums.
    sorted_dx = xpool.maxpool_backward(np, g, arg, shape, scatter=lambda *a: xpool.scatter_add_sorted(np, *a))
    np.testing.assert_allclose(sorted_dx, dx, **TOL[dtype])


def test_maxpool_ties_nan_and_overlapping_windows():
    x = np.zeros((1, 1, 3, 3), dtype=np.float32)  # all ties: the first tap of each window wins
    k, s, p, d = (2, 2), (1, 1), ((0, 0), (0, 0)), (1, 1)
    out, arg = K["maxpool_forward"](x, k, s, p, d, (2, 2))
    np.testing.assert_array_equal(arg[0, 0], [[0, 1], [3, 4]])
    x[0, 0, 1, 1] = 5.0  # the centre is the max of all four overlapping windows
    out, arg = K["maxpool_forward"](x, k, s, p, d, (2, 2))
    np.testing.assert_array_equal(arg[0, 0], [[4, 4], [4, 4]])
    dx = K["maxpool_backward"](np.ones((1, 1, 2, 2), np.float32), arg, x.shape)
    assert dx[0, 0, 1, 1] == 4.0 and dx.sum() == 4.0
    y = np.zeros((1, 1, 3, 3), dtype=np.float32)
    y[0, 0, 1, 0], y[0, 0, 1, 1] = np.nan, 5.0  # a larger value after the NaN does not replace it
    out, arg = K["maxpool_forward"](y, (3, 3), (3, 3), p, d, (1, 1))
    assert np.isnan(out[0, 0, 0, 0]) and arg[0, 0, 0, 0] == 3
    assert np.isnan(K["maxpool_forward"](y, (3, 3), (3, 3), p, d, (1, 1), with_argmax=False)[0]).all()


@pytest.mark.parametrize("seed", range(4))
def test_sorted_scatter_equals_add_at(seed):
    rng = np.random.default_rng(seed)
    index = rng.integers(0, 20, 200)
    values = rng.standard_normal(200)
    expected = np.zeros(20)
    np.add.at(expected, index, values)
    got = np.zeros(20)
    xpool.scatter_add_sorted(np, got, index, values)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    empty = np.zeros(3)
    xpool.scatter_add_sorted(np, empty, np.zeros(0, np.int64), np.zeros(0))
    assert not empty.any()


@pytest.mark.parametrize("include_pad", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape", "k", "s", "p", "d", "ceil"), [c for c in _pool_cases() if c[4] == (1, 1)])
def test_avgpool_equals_numba_and_reference(shape, k, s, p, d, ceil, include_pad, dtype, rng):
    x = rng.standard_normal(shape).astype(dtype)
    out_hw = _pool_out(shape, k, s, p, d, ceil)
    out, div = K["avgpool_forward"](x, k, s, p, include_pad, out_hw)
    nout, ndiv = pool.avgpool_forward(x, k, s, p, include_pad, out_hw)
    np.testing.assert_array_equal(div, ndiv)
    assert div.dtype == dtype
    np.testing.assert_allclose(out, nout, **TOL[dtype])
    np.testing.assert_allclose(out, ref.avgpool_forward(x, k, s, p, include_pad, out_hw)[0], **TOL[dtype])
    g = rng.standard_normal(out.shape).astype(dtype)
    dx = K["avgpool_backward"](g, div, shape, k, s, p)
    np.testing.assert_allclose(dx, pool.avgpool_backward(g, ndiv, shape, k, s, p), **TOL[dtype])
    np.testing.assert_allclose(dx, ref.avgpool_backward(g, div, shape, k, s, p), **TOL[dtype])


@pytest.mark.parametrize("act", sorted(act_kernels.NAMES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bias_act_equals_numba_in_place(act, dtype):
    rng = np.random.default_rng(sum(map(ord, act)))
    for shape in [(1, 1, 1), (3, 5, 7), (1, 7, 1), (2, 3, 13)]:
        y = (4 * rng.standard_normal(shape)).astype(dtype)
        y.flat[0] = 7.5  # above relu6's cap
        bias = rng.standard_normal(shape[1]).astype(dtype) if shape[1] != 7 else None
        alpha = {"relu6": 6.0, "leakyrelu": 0.1}.get(act, 0.0)
        mine = y.copy()
        assert K["bias_act"](mine, bias, act, alpha) is mine  # in place, as the conv relies on
        tol = {"rtol": 1e-6, "atol": 1e-7} if dtype == np.float32 else {"rtol": 1e-13, "atol": 1e-15}
        np.testing.assert_allclose(mine, act_kernels.bias_act(y.copy(), bias, act, alpha), **tol)
        np.testing.assert_allclose(mine, ref.bias_act(y, bias, act, alpha), **tol)
    nan = np.full((1, 1, 3), np.nan, dtype=dtype)
    assert np.isnan(K["bias_act"](nan, None, act, 6.0)).all()


@pytest.mark.parametrize(
    "shape", [(1, 3, 5), (4, 2, 7, 9), (3, 1, 1, 1), (2, 5, 3), (1, 4, 6, 5), (64, 3, 8, 8)]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batchnorm_equals_numba_and_reference(shape, dtype):
    rng = np.random.default_rng(shape[0] * 100 + shape[1])
    tol = TOL[dtype]
    x = (3 + 2 * rng.standard_normal(shape)).astype(dtype)
    mean, var = K["batchnorm_stats"](x)
    nmean, nvar = norm_kernels.batchnorm_stats(x)
    assert mean.dtype == var.dtype == dtype
    for a, b in (
        (mean, nmean),
        (var, nvar),
        (mean, ref.batchnorm_stats(x)[0]),
        (var, ref.batchnorm_stats(x)[1]),
    ):
        np.testing.assert_allclose(a, b, **tol)
    c = shape[1]
    inv_std = (1 / np.sqrt(nvar + 1e-5)).astype(dtype)
    scale, shift = rng.standard_normal(c).astype(dtype), rng.standard_normal(c).astype(dtype)
    got = K["batchnorm_forward"](x, nmean, inv_std, scale, shift)
    for a, b in zip(got, norm_kernels.batchnorm_forward(x, nmean, inv_std, scale, shift), strict=True):
        assert a.shape == x.shape
        np.testing.assert_allclose(a, b, **tol)
    dout = rng.standard_normal(shape).astype(dtype)
    xhat = got[1]
    for train in (True, False):
        mine = K["batchnorm_backward"](dout, xhat, scale, inv_std, train)
        for a, b, r in zip(mine, norm_kernels.batchnorm_backward(dout, xhat, scale, inv_std, train),
                           ref.batchnorm_backward(dout, xhat, scale, inv_std, train), strict=True):  # fmt: skip
            assert a.dtype == dtype
            np.testing.assert_allclose(a, b, **tol)
            np.testing.assert_allclose(a, r, **tol)


def test_shape_errors_are_the_numba_wrappers_words():
    z = np.zeros
    cases = [
        (lambda: K["im2col"](z((3, 4)), (1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), (3, 4)),
         lambda: conv.im2col(z((3, 4)), (1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), (3, 4))),
        (lambda: K["im2col"](z((1, 1, 2, 2)), (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), (0, 0)),
         lambda: conv.im2col(z((1, 1, 2, 2)), (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), (0, 0))),
        (lambda: K["col2im"](z((1, 2, 3)), (1, 1, 4, 4), (2, 2), (1, 1), ((0, 0), (0, 0)), (1, 1), (3, 3)),
         lambda: conv.col2im(z((1, 2, 3)), (1, 1, 4, 4), (2, 2), (1, 1), ((0, 0), (0, 0)), (1, 1), (3, 3))),
        (lambda: K["bias_act"](z((1, 3, 4)), z(2), "relu"), lambda: act_kernels.bias_act(z((1, 3, 4)), z(2), "relu")),
        (lambda: K["batchnorm_stats"](z(3)), lambda: norm_kernels.batchnorm_stats(z(3))),
        (lambda: K["batchnorm_forward"](z((2, 3, 4)), z(3), np.ones(3), np.ones(2), z(3)),
         lambda: norm_kernels.batchnorm_forward(z((2, 3, 4)), z(3), np.ones(3), np.ones(2), z(3))),
        (lambda: K["maxpool_forward"](z((1, 1, 4, 4)), (2, 2), (2, 2), ((2, 2), (0, 0)), (1, 1), (4, 2)),
         lambda: pool.maxpool_forward(z((1, 1, 4, 4)), (2, 2), (2, 2), ((2, 2), (0, 0)), (1, 1), (4, 2))),
        (lambda: K["maxpool_backward"](z((1, 1, 2, 2)), z((1, 1, 2, 3), np.int64), (1, 1, 4, 4)),
         lambda: pool.maxpool_backward(z((1, 1, 2, 2)), z((1, 1, 2, 3), np.int64), (1, 1, 4, 4))),
    ]  # fmt: skip
    for mine, numba in cases:
        with pytest.raises(ShapeError) as ours:
            mine()
        with pytest.raises(ShapeError) as theirs:
            numba()
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="unknown activation"):
        K["bias_act"](z((1, 3, 4)), None, "gelu")
