"""Properties that hold for any input: equivariance, the conv matrix, gradients as its transpose."""

from __future__ import annotations

import json
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from cnntool.explain import serialize
from cnntool.explain.as_matrix import conv_as_matrix, flatten, matvec, shift_equivariance
from cnntool.explain.conv import ConvSettings, conv2d, conv2d_backward
from cnntool.explain.matrix import parse_tensor

small_int = st.integers(-3, 3).map(Fraction)


@st.composite
def conv_cases(draw, stride_max: int = 2):
    c = draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h = draw(st.integers(dil[0] * (kh - 1) + 1, 7))
    w = draw(st.integers(dil[1] * (kw - 1) + 1, 7))
    grid = lambda rows, cols: st.tuples(*[st.tuples(*[small_int] * cols)] * rows)  # noqa: E731
    image = draw(st.tuples(*[grid(h, w)] * c))
    kernel = draw(st.tuples(*[grid(kh, kw)] * c))
    pad = draw(st.integers(0, 1)), draw(st.integers(0, 1))
    conf = ConvSettings(
        stride=(draw(st.integers(1, stride_max)), draw(st.integers(1, stride_max))),
        padding=((pad[0], pad[0]), (pad[1], pad[1])),
        dilation=dil,
        bias=draw(small_int),
        flip=draw(st.booleans()),
        normalize=draw(st.booleans()),
    )
    return image, kernel, conf


@settings(max_examples=60, deadline=None)
@given(conv_cases(), st.integers(-2, 2), st.integers(-2, 2))
def test_shift_by_stride_shifts_output(case, ky: int, kx: int) -> None:
    image, kernel, conf = case
    dy, dx = ky * conf.stride[0], kx * conf.stride[1]
    if abs(dy) >= len(image[0]) or abs(dx) >= len(image[0][0]):
        return
    result = shift_equivariance(image, kernel, conf, dy, dx)
    assert result.agree
    for i, row in enumerate(result.comparable):
        for j, ok in enumerate(row):
            if ok:
                assert result.shifted_output[i][j] == result.expected[i][j]


def test_shift_of_x_image_agrees_away_from_border() -> None:
    result = shift_equivariance(parse_tensor("x"), parse_tensor("diag"), ConvSettings(normalize=True), 0, 1)
    assert result.agree and result.out_shift == (0, 1)
    assert sum(map(sum, result.comparable)) == 7 * 6


@settings(max_examples=60, deadline=None)
@given(conv_cases(stride_max=3))
def test_matrix_times_image_is_convolution(case) -> None:
    image, kernel, conf = case
    m = conv_as_matrix(image, kernel, conf)
    out = conv2d(image, kernel, conf).output
    product = [v + conf.bias for v in matvec(m.matrix, flatten(image))]
    assert product == [v for row in out for v in row]
    assert m.distinct_weights == len(kernel) * len(kernel[0]) * len(kernel[0][0])


@settings(max_examples=40, deadline=None)
@given(conv_cases(stride_max=3), st.data())
def test_input_gradient_is_matrix_transpose_times_dout(case, data) -> None:
    """dL/dx = Mᵀ · dout and dL/dW collects dout over the entries tied to each weight."""
    image, kernel, conf = case
    result = conv2d(image, kernel, conf)
    oh, ow = result.plan.out_shape
    dout = tuple(tuple(data.draw(small_int) for _ in range(ow)) for _ in range(oh))
    grads = conv2d_backward(result.plan, dout)
    m = conv_as_matrix(image, kernel, conf)
    flat_dout = [v for row in dout for v in row]
    columns = list(zip(*m.matrix))
    expected_dx = [sum((a * g for a, g in zip(col, flat_dout)), Fraction(0)) for col in columns]
    assert list(flatten(grads.dinput)) == expected_dx
    scale = Fraction(1, m.plan.divisor) if m.plan.divisor else Fraction(1)
    x = flatten(image)
    expected_dw = [Fraction(0)] * m.distinct_weights
    for r, row in enumerate(m.weight_index):
        for c, idx in enumerate(row):
            if idx is not None:
                expected_dw[idx] += flat_dout[r] * x[c] * scale
    assert list(flatten(grads.dweight)) == expected_dw
    assert grads.dbias == sum(flat_dout, Fraction(0))


def test_matrix_counts_for_x_and_diag() -> None:
    m = conv_as_matrix(parse_tensor("x"), parse_tensor("diag"))
    assert (len(m.matrix), len(m.matrix[0])) == (49, 81)
    assert (m.entries, m.nonzero, m.connections, m.distinct_weights) == (3969, 441, 441, 9)


def test_json_is_serialisable_with_fraction_strings() -> None:
    result = conv2d(parse_tensor("x"), parse_tensor("diag"), ConvSettings(normalize=True))
    data = json.loads(json.dumps(serialize.conv_json(result)))
    assert data["output"][0][0] == "7/9" and data["output"][1][1] == 1
    first = data["steps"][0]
    assert first["at"] == [0, 0] and first["sum"] == 7 and first["value"] == "7/9" and first["divisor"] == 9
    assert set(first) >= {"at", "window", "products", "sum", "value"}


def test_json_floats_stay_floats() -> None:
    result = conv2d(parse_tensor("0.5 1; 2 3"), parse_tensor("1 1; 1 1"))
    assert serialize.conv_json(result)["output"] == [[6.5]]
