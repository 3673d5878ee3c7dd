"""The lecture's numbers (../shared/seeds), computed independently of the slides' own rounding."""

from __future__ import annotations

from fractions import Fraction

import pytest

from cnntool.explain.conv import ConvSettings, conv2d, conv_step, plan_conv
from cnntool.explain.matrix import parse_tensor
from cnntool.explain.pool import PoolSettings, pool2d
from cnntool.numbers import format_number

F = Fraction

# The three 7x7 maps exactly as the X/O slides print them (truncated to two decimals).
SLIDE_DIAG = """
0.77 -0.11 0.11 0.33 0.55 -0.11 0.33; -0.11 1.00 -0.11 0.33 -0.11 0.11 -0.11;
0.11 -0.11 1.00 -0.33 0.11 -0.11 0.55; 0.33 0.33 -0.33 0.55 -0.33 0.33 0.33;
0.55 -0.11 0.11 -0.33 1.00 -0.11 0.11; -0.11 0.11 -0.11 0.33 -0.11 1.00 -0.11;
0.33 -0.11 0.55 0.33 0.11 -0.11 0.77"""
SLIDE_CROSS = """
0.33 -0.55 0.11 -0.11 0.11 -0.55 0.33; -0.55 0.55 -0.55 0.33 -0.55 0.55 -0.55;
0.11 -0.55 0.55 -0.77 0.55 -0.55 0.11; -0.11 0.33 -0.77 1.00 -0.77 0.33 -0.11;
0.11 -0.55 0.55 -0.77 0.55 -0.55 0.11; -0.55 0.55 -0.55 0.33 -0.55 0.55 -0.55;
0.33 -0.55 0.11 -0.11 0.11 -0.55 0.33"""
# "Bunch of filters" slide, third map. Its top-right cell reads 0.11 on the slide, but the map
# must be the diagonal map mirrored (the X is symmetric) and the slide's own max-pooled map has
# 0.77 in that corner, so the 0.11 is a typo on the slide: the test uses 0.77.
SLIDE_ANTIDIAG = """
0.33 -0.11 0.55 0.33 0.11 -0.11 0.77; -0.11 0.11 -0.11 0.33 -0.11 1.00 -0.11;
0.55 -0.11 0.11 -0.33 1.00 -0.11 0.11; 0.33 0.33 -0.33 0.55 -0.33 0.33 0.33;
0.11 -0.11 1.00 -0.33 0.11 -0.11 0.55; -0.11 1.00 -0.11 0.33 -0.11 0.11 -0.11;
0.77 -0.11 0.11 0.33 0.55 -0.11 0.33"""
SLIDE_POOLED = {
    "diag": "1.00 0.33 0.55 0.33; 0.33 1.00 0.33 0.55; 0.55 0.33 1.00 0.11; 0.33 0.55 0.11 0.77",
    "cross": "0.55 0.33 0.55 0.33; 0.33 1.00 0.55 0.11; 0.55 0.55 0.55 0.11; 0.33 0.11 0.11 0.33",
    "antidiag": "0.33 0.55 1.00 0.77; 0.55 0.55 1.00 0.33; 1.00 1.00 0.11 0.55; 0.77 0.33 0.55 0.33",
}
SLIDE_MAPS = {"diag": SLIDE_DIAG, "cross": SLIDE_CROSS, "antidiag": SLIDE_ANTIDIAG}


def as_text(grid, truncate: int = 2) -> list[list[str]]:
    return [[format_number(v, truncate=truncate) for v in row] for row in grid]


def slide_text(text: str) -> list[list[str]]:
    return [row.split() for row in text.strip().replace("\n", " ").split(";")]


def x_map(kernel: str):
    return conv2d(parse_tensor("x"), parse_tensor(kernel), ConvSettings(normalize=True)).output


def test_four_by_four_exercise() -> None:
    image = parse_tensor("0 1 0 1; 0 1 0 1; 1 1 1 1; 0 -2 0 -2")
    kernel = parse_tensor("-1/2 1 -1/2; -1/2 1 -1/2; -1/2 1 -1/2")
    assert conv2d(image, kernel).output == ((2, -2), (-1, 1))


def test_exercise_first_window_products() -> None:
    """The slide writes out (0 × −1/2) + (1 × 1) + (0 × −1/2) + … + (1 × −1/2) = 2."""
    plan = plan_conv(parse_tensor("exercise"), parse_tensor("halves"), ConvSettings())
    step = conv_step(plan, 0, 0)
    assert step.products[0] == ((0, 1, 0), (0, 1, 0), (F(-1, 2), 1, F(-1, 2)))
    assert step.sum == 2


@pytest.mark.parametrize("kernel", ["diag", "cross", "antidiag"])
def test_x_maps_match_slides_truncated(kernel: str) -> None:
    assert as_text(x_map(kernel)) == slide_text(SLIDE_MAPS[kernel])


def test_x_diag_map_exact() -> None:
    out = x_map("diag")
    assert out[0][0] == out[6][6] == F(7, 9)
    assert out[1][1] == 1 and out[0][1] == F(-1, 9) and out[0][4] == F(5, 9)
    assert format_number(out[0][0]) == "7/9"
    assert format_number(out[0][0], decimals=3) == "0.778"
    assert format_number(out[0][1], truncate=2) == "-0.11"
    # every cell is a multiple of 1/9: the window sum of ±1 products divided by 9
    assert all((v * 9).denominator == 1 for row in out for v in row)


def test_x_corner_window_sum_is_seven() -> None:
    plan = plan_conv(parse_tensor("x"), parse_tensor("diag"), ConvSettings(normalize=True))
    step = conv_step(plan, 0, 0)
    assert (step.sum, step.divisor, step.value) == (7, 9, F(7, 9))


@pytest.mark.parametrize("kernel", ["diag", "cross", "antidiag"])
def test_max_pool_ceil_matches_slides(kernel: str) -> None:
    pooled = pool2d((x_map(kernel),), PoolSettings(size=(2, 2), stride=(2, 2), mode="max", ceil=True))
    assert pooled.plan.out_shape == (4, 4)
    assert as_text(pooled.output[0]) == slide_text(SLIDE_POOLED[kernel])


def test_max_pool_of_printed_feature_file(tmp_path) -> None:
    """examples/feature.txt holds the slide's printed map; pooling it gives the slide's 4x4."""
    from pathlib import Path

    feature = Path(__file__).resolve().parents[2] / "examples" / "feature.txt"
    pooled = pool2d(parse_tensor(f"@{feature}"), PoolSettings(size=(2, 2), mode="max", ceil=True))
    assert as_text(pooled.output[0]) == slide_text(SLIDE_POOLED["diag"])


def test_floor_pool_drops_last_row_and_warns() -> None:
    pooled = pool2d((x_map("diag"),), PoolSettings(size=(2, 2)))
    assert pooled.plan.out_shape == (3, 3)
    # both axes are warned about; alike axes share one warning, as in `cnntool summary`
    (warning,) = pooled.plan.warnings
    assert warning.startswith("H and W:") and "3.5 is not an integer" in warning
    assert "last 1 input row and column is never visited" in warning and "ceil mode (→ 4)" in warning


def test_windows_32_and_36() -> None:
    """Filter 0 1 -1; 1 0 1; 1 2 0 on 1..9 gives 32; the window one step right (2 3 1; 5 6 3; 8 9 8) gives 36."""
    image = parse_tensor("1 2 3 1; 4 5 6 3; 7 8 9 8")
    out = conv2d(image, parse_tensor("filter32")).output
    assert out == ((32, 36),)
    padded = conv2d(parse_tensor("nine"), parse_tensor("filter32"), ConvSettings(padding=((1, 1), (1, 1))))
    assert padded.output[1][1] == 32


@pytest.mark.parametrize(("stride", "size", "warned"), [(1, 5, False), (2, 3, False), (3, 2, True)])
def test_seven_by_seven_strides(stride: int, size: int, warned: bool) -> None:
    image = tuple([tuple(F(r * 7 + c) for c in range(7)) for r in range(7)])
    plan = plan_conv((image,), parse_tensor("box3"), ConvSettings(stride=(stride, stride)))
    assert plan.out_shape == (size, size)
    assert bool(plan.warnings) is warned
    if warned:
        assert "7/3" in plan.warnings[0] and "never visited" in plan.warnings[0]


def test_seven_by_seven_pad_one_keeps_size() -> None:
    image = tuple([tuple(F(1) for _ in range(7)) for _ in range(7)])
    plan = plan_conv((image,), parse_tensor("box3"), ConvSettings(padding=((1, 1), (1, 1))))
    assert plan.out_shape == (7, 7)


def test_one_pixel_pad_two_five_by_five_filter() -> None:
    """1x1 image with padding 2 is 5x5; a 5x5 filter gives one output."""
    ones = parse_tensor("; ".join(["1 1 1 1 1"] * 5))
    out = conv2d(parse_tensor("3"), ones, ConvSettings(padding=((2, 2), (2, 2)))).output
    assert out == ((3,),)


# --- the "bunch of filters" slide: one image, three filters, three maps ------------------------


def test_three_filters_at_once_give_the_slides_three_maps() -> None:
    from cnntool.explain import ConvRequest, run_conv
    from cnntool.explain.matrix import parse_filters

    report = run_conv(
        ConvRequest(parse_tensor("x"), parse_filters("diag,cross,antidiag"), ConvSettings(normalize=True))
    )
    assert report.filters == 3 and report.out_shape == (7, 7)
    for f, name in enumerate(("diag", "cross", "antidiag")):
        assert as_text(report.outputs[f]) == slide_text(SLIDE_MAPS[name])  # antidiag: the 0.77 fix above
    assert report.outputs[2][0][6] == F(7, 9)  # the slide's 0.11 in that corner is the typo
    assert len(report.steps) == 3 * 49
    assert [s.filter for s in report.steps[48:50]] == [0, 1]
    assert report.steps_of(1)[0].value == F(3, 9)  # cross at (0,0): 0.33 on the slide


def test_three_maps_pooled_as_channels_match_the_slides() -> None:
    from cnntool.explain import ConvRequest, PoolRequest, run_conv, run_pool
    from cnntool.explain.matrix import parse_filters

    maps = run_conv(
        ConvRequest(parse_tensor("x"), parse_filters("diag | cross | antidiag"), ConvSettings(normalize=True))
    ).outputs
    pooled = run_pool(PoolRequest(maps, PoolSettings(size=(2, 2), mode="max", ceil=True))).output
    for f, name in enumerate(("diag", "cross", "antidiag")):
        assert as_text(pooled[f]) == slide_text(SLIDE_POOLED[name])


def test_three_filters_through_the_cli_json() -> None:
    import json

    from typer.testing import CliRunner

    from cnntool.cli.conv import app

    result = CliRunner().invoke(
        app, ["conv", "-i", "x", "-k", "diag,cross,antidiag", "--normalize", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["filters"] == 3 and data["output_shape"] == [3, 7, 7]
    assert (
        data["output"][0][0][0] == "7/9" and data["output"][1][3][3] == 1 and data["output"][2][0][6] == "7/9"
    )
    assert [s["filter"] for s in data["steps"][::49]] == [0, 1, 2]
