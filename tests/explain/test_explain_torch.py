"""Parity with PyTorch (the reference oracle): forward values and autograd gradients.

Random small integer inputs, so float64 results are exact and compared with ==
(normalised convolutions and averages with a tolerance).
"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from cnntool.arith.formulas import same_padding
from cnntool.explain import ConvRequest, ConvTRequest, run_conv, run_conv_transpose
from cnntool.explain.conv import ConvSettings, conv2d, conv2d_backward, plan_conv
from cnntool.explain.conv_transpose import ConvTSettings, conv_transpose2d
from cnntool.explain.pool import PoolSettings, pool2d, pool2d_backward

pytestmark = pytest.mark.torch
torch = pytest.importorskip(
    "torch", reason="PyTorch (the reference oracle) is not installed: pip install '.[test]'"
)
F = torch.nn.functional


def rand_tensor(rng: random.Random, c: int, h: int, w: int, lo: int = -3, hi: int = 3):
    return tuple(
        tuple(tuple(Fraction(rng.randint(lo, hi)) for _ in range(w)) for _ in range(h)) for _ in range(c)
    )


def distinct_tensor(rng: random.Random, c: int, h: int, w: int):
    values = rng.sample(range(-500, 500), c * h * w)
    it = iter(values)
    return tuple(tuple(tuple(Fraction(next(it)) for _ in range(w)) for _ in range(h)) for _ in range(c))


def to_torch(data, grad: bool = False):
    return torch.tensor(
        [[[[float(v) for v in row] for row in g] for g in data]], dtype=torch.float64, requires_grad=grad
    )


def as_floats(grid):
    if isinstance(grid, (tuple, list)):
        return [as_floats(g) for g in grid]
    return float(grid)


def random_conv_case(rng: random.Random):
    c = rng.randint(1, 3)
    kh, kw = rng.randint(1, 3), rng.randint(1, 3)
    d = (rng.randint(1, 2), rng.randint(1, 2))
    s = (rng.randint(1, 3), rng.randint(1, 2))
    if rng.random() < 0.25:
        s = (1, 1)
        pad = (same_padding(kh, d[0]), same_padding(kw, d[1]))
    else:
        ph, pw = rng.randint(0, 2), rng.randint(0, 2)
        pad = ((ph, ph), (pw, pw))
    h = rng.randint(d[0] * (kh - 1) + 1, 7)
    w = rng.randint(d[1] * (kw - 1) + 1, 7)
    settings = ConvSettings(
        stride=s, padding=pad, dilation=d, bias=Fraction(rng.randint(-2, 2)), flip=rng.random() < 0.3,
        normalize=rng.random() < 0.3,
    )  # fmt: skip
    return rand_tensor(rng, c, h, w), rand_tensor(rng, c, kh, kw), settings


@pytest.mark.parametrize("seed", range(40))
def test_conv_forward_and_backward_match_torch(seed: int) -> None:
    rng = random.Random(seed)
    image, kernel, st = random_conv_case(rng)
    result = conv2d(image, kernel, st)
    x = to_torch(image, grad=True)
    w = to_torch(kernel, grad=True)  # (1, C, kh, kw): one filter
    b = torch.tensor([float(st.bias)], dtype=torch.float64, requires_grad=True)
    weff = torch.flip(w, dims=(2, 3)) if st.flip else w
    if st.normalize:
        weff = weff / (len(kernel) * len(kernel[0]) * len(kernel[0][0]))
    (pt, pb), (pl, pr) = st.padding
    out = F.conv2d(F.pad(x, (pl, pr, pt, pb)), weff, b, stride=st.stride, dilation=st.dilation)
    assert out.shape[-2:] == result.plan.out_shape
    assert torch.allclose(out[0, 0], torch.tensor(as_floats(result.output), dtype=torch.float64), atol=1e-12)

    dout = rand_tensor(rng, 1, *result.plan.out_shape)[0]
    out.backward(to_torch((dout,)))
    grads = conv2d_backward(result.plan, dout)
    assert torch.allclose(w.grad[0], torch.tensor(as_floats(grads.dweight), dtype=torch.float64), atol=1e-12)
    assert torch.allclose(x.grad[0], torch.tensor(as_floats(grads.dinput), dtype=torch.float64), atol=1e-12)
    assert float(grads.dbias) == pytest.approx(float(b.grad[0]))


def test_conv_exact_equality_on_integers() -> None:
    rng = random.Random(99)
    image, kernel = rand_tensor(rng, 2, 6, 6), rand_tensor(rng, 2, 3, 3)
    st = ConvSettings(stride=(2, 1), padding=((1, 1), (2, 2)), dilation=(1, 2))
    out = conv2d(image, kernel, st).output
    ref = F.conv2d(to_torch(image), to_torch(kernel), stride=(2, 1), padding=(1, 2), dilation=(1, 2))[0, 0]
    assert as_floats(out) == ref.tolist()


def random_pool_case(rng: random.Random, mode: str):
    kh, kw = rng.randint(1, 3), rng.randint(1, 3)
    s = (rng.randint(1, 3), rng.randint(1, 3))
    p = (rng.randint(0, kh // 2), rng.randint(0, kw // 2))
    d = (rng.randint(1, 2), rng.randint(1, 2)) if mode == "max" else (1, 1)
    h = rng.randint(d[0] * (kh - 1) + 1, 8)
    w = rng.randint(d[1] * (kw - 1) + 1, 8)
    settings = PoolSettings(
        size=(kh, kw), stride=s, padding=p, dilation=d, mode=mode, ceil=rng.random() < 0.5,
        count_include_pad=rng.random() < 0.5,
    )  # fmt: skip
    return distinct_tensor(rng, rng.randint(1, 2), h, w), settings


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("seed", range(30))
def test_pool_forward_and_backward_match_torch(mode: str, seed: int) -> None:
    rng = random.Random(1000 + seed)
    image, st = random_pool_case(rng, mode)
    result = pool2d(image, st)
    x = to_torch(image, grad=True)
    if mode == "max":
        out = F.max_pool2d(x, st.size, st.stride, st.padding, st.dilation, ceil_mode=st.ceil)
    else:
        out = F.avg_pool2d(
            x, st.size, st.stride, st.padding, ceil_mode=st.ceil, count_include_pad=st.count_include_pad
        )
    assert tuple(out.shape[1:]) == (len(image), *result.plan.out_shape)
    assert torch.allclose(out[0], torch.tensor(as_floats(result.output), dtype=torch.float64), atol=1e-12)
    dout = rand_tensor(rng, len(image), *result.plan.out_shape)
    out.backward(to_torch(dout))
    grads = pool2d_backward(result.plan, dout)
    assert torch.allclose(x.grad[0], torch.tensor(as_floats(grads.dinput), dtype=torch.float64), atol=1e-12)


def random_convt_case(rng: random.Random):
    c = rng.randint(1, 3)
    kh, kw = rng.randint(1, 3), rng.randint(1, 3)
    s = (rng.randint(1, 3), rng.randint(1, 3))
    d = (rng.randint(1, 2), rng.randint(1, 2))
    op = (rng.randint(0, max(s[0], d[0]) - 1), rng.randint(0, max(s[1], d[1]) - 1))
    p = (rng.randint(0, 1), rng.randint(0, 1))
    image, kernel = rand_tensor(rng, c, rng.randint(1, 4), rng.randint(1, 4)), rand_tensor(rng, c, kh, kw)
    full = [
        (n - 1) * s[a] + d[a] * (k - 1) + 1 + op[a]
        for a, (n, k) in enumerate(((len(image[0]), kh), (len(image[0][0]), kw)))
    ]
    if any(full[a] - 2 * p[a] < 1 for a in range(2)):
        p = (0, 0)  # padding would crop the whole output: an error case, tested with the CLI
    st = ConvTSettings(stride=s, padding=p, output_padding=op, dilation=d, bias=Fraction(rng.randint(-2, 2)))
    return image, kernel, st


@pytest.mark.parametrize("seed", range(30))
def test_conv_transpose_matches_torch(seed: int) -> None:
    rng = random.Random(2000 + seed)
    image, kernel, st = random_convt_case(rng)
    s, p, op, d = st.stride, st.padding, st.output_padding, st.dilation
    result = conv_transpose2d(image, kernel, st)
    weight = to_torch(kernel)[0][:, None]  # (C_in, C_out=1, kh, kw)
    bias = torch.tensor([float(st.bias)], dtype=torch.float64)
    ref = F.conv_transpose2d(
        to_torch(image), weight, bias, stride=s, padding=p, output_padding=op, dilation=d
    )[0, 0]
    assert as_floats(result.output) == ref.tolist()


@pytest.mark.parametrize("seed", range(30))
def test_conv_transpose_backward_matches_torch_autograd(seed: int) -> None:
    """dL/dx, dL/dW and dL/db of `convT --backward`, exact on integers, against PyTorch's autograd."""
    rng = random.Random(2500 + seed)
    image, kernel, st = random_convt_case(rng)
    out_shape = run_conv_transpose(ConvTRequest(image, kernel, st)).plan.out_shape
    dout = rand_tensor(rng, 1, *out_shape)[0]
    report = run_conv_transpose(ConvTRequest(image, kernel, st, backward=True, dout=dout))
    x = to_torch(image, grad=True)
    weight = to_torch(kernel)[0][:, None].clone().requires_grad_(True)  # (C_in, 1, kh, kw)
    bias = torch.tensor([float(st.bias)], dtype=torch.float64, requires_grad=True)
    out = F.conv_transpose2d(
        x, weight, bias, stride=st.stride, padding=st.padding, output_padding=st.output_padding,
        dilation=st.dilation,
    )  # fmt: skip
    assert as_floats(report.output) == out[0, 0].tolist()
    out.backward(to_torch((dout,)))
    grads = report.backward.grads[0]
    assert as_floats(grads.dinput) == x.grad[0].tolist()
    assert as_floats(grads.dweight) == weight.grad[:, 0].tolist()
    assert float(grads.dbias) == bias.grad[0].item()
    assert report.backward.dinput == grads.dinput


def filters_to_torch(kernels, grad: bool = False):
    """F filters of (C, kh, kw) → PyTorch's conv2d weight (F, C, kh, kw)."""
    data = [[[[float(v) for v in row] for row in g] for g in k] for k in kernels]
    return torch.tensor(data, dtype=torch.float64, requires_grad=grad)


@pytest.mark.parametrize("seed", range(30))
def test_several_filters_match_torch_forward_and_backward(seed: int) -> None:
    """F filters = conv2d with weight (F, C, kh, kw): F maps; dL/dx sums the filters' contributions."""
    rng = random.Random(3000 + seed)
    image, kernel, st = random_conv_case(rng)
    count = rng.randint(2, 4)
    kernels = (
        kernel,
        *(rand_tensor(rng, len(kernel), len(kernel[0]), len(kernel[0][0])) for _ in range(count - 1)),
    )
    biases = tuple(Fraction(rng.randint(-3, 3)) for _ in range(count))
    out_shape = run_conv(ConvRequest(image, kernels, st, biases=biases)).out_shape
    dout = rand_tensor(rng, count, *out_shape)
    report = run_conv(ConvRequest(image, kernels, st, biases=biases, backward=True, dout=dout))

    x = to_torch(image, grad=True)
    w = filters_to_torch(kernels, grad=True)
    b = torch.tensor([float(v) for v in biases], dtype=torch.float64, requires_grad=True)
    weff = torch.flip(w, dims=(2, 3)) if st.flip else w
    if st.normalize:
        weff = weff / (len(kernel) * len(kernel[0]) * len(kernel[0][0]))
    (pt, pb), (pl, pr) = st.padding
    out = F.conv2d(F.pad(x, (pl, pr, pt, pb)), weff, b, stride=st.stride, dilation=st.dilation)
    assert tuple(out.shape[1:]) == (count, *report.out_shape)
    assert torch.allclose(out[0], torch.tensor(as_floats(report.outputs), dtype=torch.float64), atol=1e-12)
    out.backward(to_torch(dout))
    back = report.backward
    assert torch.allclose(w.grad, torch.tensor(as_floats(back.dweight), dtype=torch.float64), atol=1e-12)
    assert torch.allclose(x.grad[0], torch.tensor(as_floats(back.dinput), dtype=torch.float64), atol=1e-12)
    assert [float(v) for v in back.dbias] == pytest.approx(b.grad.tolist())


def test_plan_shapes_agree_with_torch_for_lecture_case() -> None:
    """AlexNet's first layer geometry on a tiny channel: 227 → 55 (via arith)."""
    one = ((tuple(Fraction(0) for _ in range(227)),) * 227,)
    k = ((tuple(Fraction(0) for _ in range(11)),) * 11,)
    assert plan_conv(one, k, ConvSettings(stride=(4, 4))).out_shape == (55, 55)
