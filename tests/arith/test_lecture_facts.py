"""Every shape and count fact of the lecture (the slides in ../shared/seeds), through the Python API.

Expected values are the slides' own numbers or hand computations written next to them.
"""

from __future__ import annotations

import pytest

from cnntool.arith import summarize


def test_mlp_861_params() -> None:
    # (20+1)*20 + (20+1)*20 + (20+1)*1 = 861 (seed 000)
    assert summarize("20 | dense 20 | relu | dense 20 | relu | dense 1").total_params == 861
    assert summarize("mlp861").total_params == 861


def test_mlp_on_256x256_input() -> None:
    # (256*256+1)*20 + (20+1)*20 + (20+1)*1 = 1,311,181
    assert summarize("65536 | dense 20 | relu | dense 20 | relu | dense 1").total_params == 1_311_181


def test_one_pixel_padded_then_5x5_filter() -> None:
    s = summarize("1x1x1 | conv 1 k5 p2")
    assert s.output_shape == (1, 1, 1)  # 1x1 padded by 2 is 5x5; a 5x5 filter leaves 1x1


def test_300x400_pad2_5x5_then_maxpool() -> None:
    s = summarize("3x300x400 | conv 8 k5 p2 | maxpool 2")
    assert s.layers[0].output_shape == (8, 300, 400)
    assert s.layers[1].output_shape == (8, 150, 200)


def test_cs231n_760() -> None:
    s = summarize("3x32x32 | conv 10 k5 s1 p2")
    assert s.output_shape == (10, 32, 32)
    assert s.total_params == 10 * (5 * 5 * 3 + 1) == 760


def test_alexnet_conv1_shared_and_unshared() -> None:
    row = summarize("3x227x227 | conv 96 k11 s4").layers[0]
    assert row.output_shape == (96, 55, 55)
    assert row.params == 34_944
    assert row.params_unshared == 105_705_600  # 55*55*96*(11*11*3+1)


def test_convnetjs_1216() -> None:
    assert summarize("3x32x32 | conv 16 k5 p2").total_params == 16 * (5 * 5 * 3 + 1) == 1_216


def test_dense_vs_conv_441_vs_1048576() -> None:
    row = summarize("1x32x32 | conv 1 k21 padding=same bias=false").layers[0]
    assert row.output_shape == (1, 32, 32)
    assert row.params == 21 * 21 == 441
    assert row.params_dense == 1024 * 1024 == 1_048_576


def test_dense_equivalent_of_cs231n_layer_counts_biases() -> None:
    row = summarize("3x32x32 | conv 10 k5 p2").layers[0]
    assert row.params_dense == 3072 * 10240 + 10240


def test_depthwise_separable_57() -> None:
    s = summarize("3x32x32 | dwconv k3 p1 bias=false | conv 10 k1 bias=false")
    assert [r.params for r in s.layers] == [27, 30]
    assert s.total_params == 57
    assert s.output_shape == (10, 32, 32)


@pytest.mark.parametrize(
    ("stride", "padding", "expected"),
    [(1, 0, (1, 5, 5)), (2, 0, (1, 3, 3)), (1, 1, (1, 7, 7))],
)
def test_7x7_input_3x3_filter(stride: int, padding: int, expected: tuple[int, ...]) -> None:
    s = summarize(f"1x7x7 | conv 1 k3 s{stride} p{padding}")
    assert s.output_shape == expected
    assert s.warnings == ()


def test_7x7_stride_3_does_not_fit() -> None:
    s = summarize("1x7x7 | conv 1 k3 s3")
    assert s.output_shape == (1, 2, 2)  # PyTorch floors (7-3)/3+1 = 2.33
    (warning,) = s.warnings
    assert "2.33333 is not an integer" in warning
    assert "padding 1 (→ 3)" in warning


def test_i10_f3_p0_s2_is_infeasible() -> None:
    s = summarize("1x10x10 | conv 1 k3 s2")
    assert s.output_shape == (1, 4, 4)
    (warning,) = s.warnings
    assert "4.5 is not an integer" in warning
    assert "floors it to 4" in warning
    assert "last 1 input row and column is never visited" in warning
    assert "stride 1 (→ 8)" in warning


def test_max_pool_7x7_to_4x4_is_ceil_mode() -> None:
    assert summarize("1x7x7 | maxpool 2 ceil=true").output_shape == (1, 4, 4)
    floor = summarize("1x7x7 | maxpool 2")
    assert floor.output_shape == (1, 3, 3)
    assert "ceil mode (→ 4)" in floor.warnings[0]


def test_lenet5_about_60k() -> None:
    s = summarize("lenet5")
    assert s.total_params == 61_706  # 156 + 2,416 + 48,120 + 10,164 + 850
    assert s.total_macs == 423_038  # torchinfo's Mult-Adds for this LeNet
    assert s.output_shape == (10,)


def test_gru_has_fewer_params_than_lstm() -> None:
    lstm = summarize("50x32 | lstm 128").total_params
    gru = summarize("50x32 | gru 128").total_params
    assert lstm == 4 * 128 * (32 + 128) + 8 * 128 == 82_944
    assert gru == 3 * 128 * (32 + 128) + 6 * 128 == 62_208
    assert gru < lstm


def test_lstm_10_to_20_pytorch_vs_keras() -> None:
    assert summarize("7x10 | lstm 20").total_params == 2_560
    assert summarize("7x10 | lstm 20", convention="keras").total_params == 2_480


def test_recurrent_params_do_not_depend_on_sequence_length_but_macs_do() -> None:
    short, long = summarize("5x10 | rnn 20"), summarize("50x10 | rnn 20")
    assert short.total_params == long.total_params == 20 * (10 + 20) + 2 * 20
    assert long.total_macs == 10 * short.total_macs
    assert long.layers[0].params_unshared == 50 * 640
