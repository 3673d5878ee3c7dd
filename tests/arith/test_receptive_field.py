"""Receptive fields: hand-computed values and the published AlexNet/VGG-16 numbers (Araujo et al. 2019)."""

from __future__ import annotations

from fractions import Fraction

from cnntool.arith import summarize


def _rf(spec: str, layer: int = -1):
    return summarize(spec).layers[layer].receptive_field


def test_two_3x3_convs_see_5x5() -> None:
    rf = _rf("1x32x32 | conv 1 k3 | conv 1 k3")
    assert rf.size == (5, 5) and rf.jump == (1, 1)


def test_stride_multiplies_the_jump() -> None:
    # r = 1 + 2·1 = 3, j = 2; then r = 3 + 2·2 = 7, j = 2
    rf = _rf("1x32x32 | conv 1 k3 s2 | conv 1 k3")
    assert rf.size == (7, 7) and rf.jump == (2, 2)


def test_padding_moves_the_start() -> None:
    # start = 0 + ((3-1)/2 - 1)·1 = 0: the first output is centred on pixel 0
    assert _rf("1x8x8 | conv 1 k3 p1").start == (0, 0)
    assert _rf("1x8x8 | conv 1 k3").start == (1, 1)


def test_dilation_uses_the_effective_kernel() -> None:
    assert _rf("1x32x32 | conv 1 k3 d2").size == (5, 5)


def test_relu_and_batchnorm_leave_it_alone() -> None:
    assert _rf("1x32x32 | conv 1 k3 | relu | batchnorm").size == (3, 3)


def test_alexnet_pool5_is_195() -> None:
    s = summarize("alexnet")
    pool5 = [r for r in s.layers if r.kind == "maxpool"][-1]
    assert pool5.receptive_field.size == (195, 195)
    assert pool5.receptive_field.jump == (32, 32)


def test_vgg16_pool5_is_212() -> None:
    s = summarize("vgg16")
    pool5 = [r for r in s.layers if r.kind == "maxpool"][-1]
    assert pool5.receptive_field.size == (212, 212)


def test_dense_sees_the_whole_input() -> None:
    rf = _rf("lenet5")
    assert rf.whole_input and rf.size == (28, 28)


def test_uneven_same_padding_start() -> None:
    # k=4 'same': left 1, right 2 → start = 0 + (3/2 - 1)·1 = 1/2
    assert _rf("1x8x8 | conv 1 k4 padding=same").start == (Fraction(1, 2),) * 2


def test_rectangular_kernel_per_axis() -> None:
    rf = _rf("1x16x16 | conv 1 k3x5 s1x2")
    assert rf.size == (3, 5) and rf.jump == (1, 2)
