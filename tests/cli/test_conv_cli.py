"""`cnntool conv`, `pool`, `convT` through Typer's CliRunner: output, --json, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnntool.cli.conv import app

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(*args: str):
    return runner.invoke(app, list(args))


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_exercise_default_output() -> None:
    out = ok(
        "conv",
        "--image",
        "0 1 0 1; 0 1 0 1; 1 1 1 1; 0 -2 0 -2",
        "--kernel",
        "-1/2 1 -1/2; -1/2 1 -1/2; -1/2 1 -1/2",
    )
    assert "2x2 output" in out and "H_out = ⌊(4 + 2·0 − 1·(3−1) − 1)/1⌋ + 1 = 2" in out


def test_exercise_json() -> None:
    data = json.loads(ok("conv", "-i", "exercise", "-k", "halves", "--json"))
    assert data["output"] == [[2, -2], [-1, 1]]
    assert len(data["steps"]) == 4 and data["steps"][0]["value"] == 2
    assert data["steps"][0]["products"][0][2] == ["-1/2", 1, "-1/2"]


def test_at_one_cell_shows_window_and_sum() -> None:
    out = ok("conv", "--image", "x", "--kernel", "diag", "--normalize", "--at", "0,0")
    assert "= 7" in out and "÷ 9 (window size) = 7/9" in out and "output[0,0] = 7/9" in out
    assert "[7/9]" in out  # the chosen cell is marked in the output map


def test_truncate_matches_slides() -> None:
    out = ok("conv", "--image", "x", "--kernel", "diag", "--normalize", "--truncate", "2")
    assert "0.77" in out and "-0.11" in out and "1.00" in out


def test_decimals() -> None:
    assert "0.778" in ok("conv", "--image", "x", "--kernel", "diag", "--normalize", "--decimals", "3")


def test_window_32() -> None:
    out = ok(
        "conv",
        "--image",
        "1 2 3; 4 5 6; 7 8 9",
        "--kernel",
        "0 1 -1; 1 0 1; 1 2 0",
        "--padding",
        "1",
        "--at",
        "1,1",
    )
    assert "output[1,1] = 32" in out


def test_steps_print_every_cell() -> None:
    out = ok("conv", "-i", "exercise", "-k", "halves", "--steps")
    for cell in ("(0,0)", "(0,1)", "(1,0)", "(1,1)"):
        assert f"output {cell}" in out
    assert "(0 × -1/2) + (1 × 1)" in out


def test_pool_feature_file_ceil() -> None:
    data = json.loads(
        ok(
            "pool",
            "--image",
            f"@{EXAMPLES / 'feature.txt'}",
            "--size",
            "2",
            "--stride",
            "2",
            "--mode",
            "max",
            "--ceil",
            "--json",
        )
    )
    assert data["output_shape"] == [1, 4, 4]
    assert data["output"][0][0] == [1.0, 0.33, 0.55, 0.33]
    assert data["output"][0][3] == [0.33, 0.55, 0.11, 0.77]


def test_pool_human_and_at() -> None:
    out = ok("pool", "--image", f"@{EXAMPLES / 'feature.txt'}", "--ceil", "--at", "3,3")
    assert "ceil_mode" in out and "max(0.77) = 0.77 at input (6,6)" in out


def test_pool_avg_backward() -> None:
    data = json.loads(ok("pool", "-i", "1 2; 3 4", "--mode", "avg", "--size", "2", "--backward", "--json"))
    assert data["output"] == [[["5/2"]]]
    assert data["backward"]["dinput"] == [[["1/4", "1/4"], ["1/4", "1/4"]]]


def test_pool_max_backward_routes_to_argmax() -> None:
    out = ok("pool", "-i", "1 2; 3 4", "--backward", "--steps")
    assert "x(1,1) += 1" in out


def test_conv_backward_json_and_human() -> None:
    args = ("conv", "-i", "1 2 3; 4 5 6; 7 8 9", "-k", "1 0; 0 -1", "--backward", "--dout", "1 0; 0 1")
    data = json.loads(ok(*args, "--json"))["backward"]
    assert data["dweight"] == [[[6, 8], [12, 14]]]
    assert data["dinput"] == [[[1, 0, 0], [0, 0, 0], [0, 0, -1]]]
    assert data["dbias"] == 2
    assert {s["target"] for s in data["steps"]} == {"dW", "dx", "db"}
    out = ok(*args, "--steps")
    assert "dL/dW[0,0]" in out and "dL/dx[2,2]" in out and "dL/db = 2" in out


def test_as_matrix_counts() -> None:
    out = ok("conv", "--image", "x", "--kernel", "diag", "--as-matrix")
    assert "matrix has 49×81 = 3,969 entries, 441 non-zero, 9 distinct weights (weight sharing)" in out
    data = json.loads(ok("conv", "--image", "x", "--kernel", "diag", "--as-matrix", "--json"))["matrix"]
    assert data["shape"] == [49, 81] and data["nonzero"] == 441


def test_shift_equivariance() -> None:
    out = ok("conv", "--image", "x", "--kernel", "diag", "--shift", "0,1")
    assert "are equal on the 42 cells" in out
    assert json.loads(ok("conv", "-i", "x", "-k", "diag", "--shift", "2,2", "-s", "2", "--json"))["shift"][
        "agree"
    ]


def test_convt_stride_two() -> None:
    data = json.loads(ok("convT", "--image", "1 2; 3 4", "--kernel", "1 1; 1 1", "--stride", "2", "--json"))
    assert data["output"] == [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    out = ok("convT", "--image", "1 2; 3 4", "--kernel", "1 1; 1 1", "--stride", "2", "--steps")
    assert "input (1,1) = 4 stamps 4 × kernel" in out


def test_list_samples() -> None:
    out = ok("conv", "--list")
    assert "diag" in out and "sobel-x" in out and "antidiag" in out
    names = [s["name"] for s in json.loads(ok("pool", "--list", "--json"))["samples"]]
    assert {"x", "o", "diag", "cross", "laplace", "box3", "identity"} <= set(names)


def test_stride_three_warns_but_succeeds() -> None:
    image = "; ".join(["1 2 3 4 5 6 7"] * 7)
    result = run("conv", "-i", image, "-k", "box3", "-s", "3")
    assert result.exit_code == 0
    assert "does not fit" in result.stderr and "7/3" in result.stderr


def test_flip_is_true_convolution() -> None:
    data = json.loads(ok("conv", "-i", "1 2; 3 4", "-k", "1 0; 0 0", "--flip", "--json"))
    assert data["output"] == [[4]]


def test_multichannel_sums_over_channels() -> None:
    out = ok("conv", "-i", "1 2; 3 4;; 5 6; 7 8", "-k", "1 0; 0 0;; 0 0; 0 1", "--at", "0,0", "--bias", "1")
    assert "sum over channels = 1 + 8 = 9" in out and "+ bias 1 = 10" in out


BAD = [
    ("conv", "--image", "1 2; 3", "--kernel", "1"),  # ragged rows
    ("conv", "--image", "1 2; 3 4", "--kernel", "1 2 3; 4 5 6; 7 8 9"),  # kernel larger than image
    ("conv", "--image", "1 two", "--kernel", "1"),  # not a number
    ("conv", "--image", "1 2; 3 4", "--kernel", "1", "--at", "5,5"),  # --at outside
    ("conv", "--image", "1 2; 3 4", "--kernel", "1", "--at", "zero"),  # --at not a pair
    ("conv", "--kernel", "1"),  # missing image
    ("conv", "--image", "1 2"),  # missing kernel
    ("conv", "--image", "1 2; 3 4", "--kernel", "1", "--stride", "0"),
    ("conv", "--image", "1 2; 3 4", "--kernel", "1", "--stride", "two"),
    ("conv", "--image", "1 2; 3 4", "--kernel", "1", "--padding", "lots"),
    ("conv", "--image", "1 2; 3 4", "--kernel", "1", "--padding", "same", "--stride", "2"),
    ("conv", "--image", "1 2; 3 4", "--kernel", "1", "--bias", "b"),
    ("conv", "--image", "1 2; 3 4;; 1 2; 3 4", "--kernel", "1"),  # channel mismatch
    ("conv", "--image", "1 2; 3 4", "--kernel", "1", "--backward", "--dout", "1 2 3"),  # wrong dout shape
    (
        "conv",
        "--image",
        "1 2; 3 4",
        "--kernel",
        "1",
        "--shift",
        "1,1",
        "--stride",
        "2",
    ),  # shift not a multiple
    ("conv", "--image", "1 2; 3 4", "--kernel", "1", "--shift", "5,0"),  # shift out of frame
    ("conv", "--image", "@/no/such/file.txt", "--kernel", "1"),
    ("conv", "--image", "xx", "--kernel", "diag"),  # unknown sample
    ("conv", "--image", "1 2; 3 4", "--kernel", "1", "--decimals", "2", "--truncate", "2"),
    ("conv", "--image", "1 2; 3 4", "--kernel", "1", "--decimals", "-1"),
    ("conv", "--image", "1 2; 3 4", "--kernel", "1", "--dilation", "0"),
    ("conv", "--image", "1/0", "--kernel", "1"),
    ("conv", "--image", "[[1, 2], [3]]", "--kernel", "1"),
    ("pool", "--image", "1 2; 3 4", "--mode", "median"),
    ("pool", "--image", "1 2; 3 4", "--size", "2", "--padding", "2"),  # padding > size/2
    ("pool", "--image", "1 2; 3 4", "--size", "3"),  # window larger than image
    ("pool", "--image", "1 2; 3 4", "--mode", "avg", "--dilation", "2"),
    ("pool", "--image", "1 2; 3 4", "--padding", "same"),
    ("pool", "--image", "1 2; 3 4", "--at", "1,0"),  # output is 1x1
    ("pool", "--image", "1 2; 3 4", "--backward", "--dout", "1 2; 3 4"),  # wrong dout shape
    ("pool",),  # no image
    ("convT", "--image", "1 2; 3 4", "--kernel", "1 1; 1 1", "--output-padding", "1"),  # op ≥ stride
    ("convT", "--image", "1", "--kernel", "1", "--padding", "1"),  # crops everything
    ("convT", "--image", "1 2; 3 4", "--kernel", "1 1; 1 1", "--at", "2,0"),
    ("convT", "--image", "1 2; 3 4", "--kernel", "1;; 1"),  # channel mismatch
    ("conv", "--image", "1 2; 3 4", "--kernel", "1", "--no-such-option"),  # Typer usage error
    ("conv", "--image", "1 2; 3 4", "--kernel", "1 | 1 1"),  # filters of different shapes
    ("conv", "--image", "1 2; 3 4", "--kernel", "1 | 2", "--bias", "1,2,3"),  # a bias per filter
    (
        "conv",
        "--image",
        "1 2; 3 4",
        "--kernel",
        "1 | 2",
        "--backward",
        "--dout",
        "1 1; 1 1",
    ),  # a dout per filter
    ("conv", "--image", "1 2; 3 4", "--kernel", "diag,nope"),  # unknown sample in a list
    ("conv", "--image", "1 2 | 3 4", "--kernel", "1"),  # an image has no filters
    ("convT", "--image", "1 2; 3 4", "--kernel", "1 | 2"),  # convT has one output channel
    ("convT", "--image", "1 2; 3 4", "--kernel", "1", "--backward", "--dout", "1 2"),  # wrong dout shape
    ("pool", "--image", "1 2; 3 4", "--truncate", "16"),  # range 0..15
]


@pytest.mark.parametrize("args", BAD, ids=[" ".join(a)[:60] for a in BAD])
def test_bad_input_exits_2_without_traceback(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    message = result.stderr.strip()
    assert message, "the error must be explained on stderr"
    assert "Traceback" not in message


def test_bad_file_content(tmp_path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2\n3\n")
    result = run("conv", "--image", f"@{bad}", "--kernel", "1")
    assert result.exit_code == 2 and "row 2 has 1 entries" in result.stderr


def test_bad_npy(tmp_path) -> None:
    np = pytest.importorskip("numpy")
    path = tmp_path / "v.npy"
    np.save(path, np.arange(3))
    result = run("conv", "--image", f"@{path}", "--kernel", "1")
    assert result.exit_code == 2 and "expected H×W or C×H×W" in result.stderr


# --- several filters, convT backward, names and choices -------------------------------------------


def test_several_filters_at_one_cell() -> None:
    out = ok(
        "conv",
        "--image",
        "x",
        "--kernel",
        "diag|cross|antidiag",
        "--normalize",
        "--truncate",
        "2",
        "--at",
        "0,6",
    )
    assert (
        "filter 3, output (0,6)" in out
        and "map 3 output[0,6] = 0.77" in out
        and "map 1 output[0,6] = 0.33" in out
    )


def test_rgb_image_with_a_filter_file() -> None:
    out = ok(
        "conv", "--image", f"@{EXAMPLES / 'rgb.txt'}", "--kernel", f"@{EXAMPLES / 'rgb_filters.txt'}",
        "--at", "0,0", "--bias", "1,-1",
    )  # fmt: skip
    assert "channel 3 partial sum: (3 × 1) + (0 × 1) + (1 × 0) + (1 × 0) = 3" in out
    assert "sum over channels = 2 + 3 + 3 = 8" in out and "map 1 output[0,0] = 9" in out
    assert "sum over channels = 0 + 0 + 5/2 = 5/2" in out and "map 2 output[0,0] = 3/2" in out
    data = json.loads(
        ok(
            "conv",
            "-i",
            f"@{EXAMPLES / 'rgb.txt'}",
            "-k",
            f"@{EXAMPLES / 'rgb_filters.txt'}",
            "--at",
            "0,0",
            "--json",
        )
    )
    assert [s["channel_sums"] for s in data["steps"]] == [[2, 3, 3], [0, 0, "5/2"]]
    assert [s["value"] for s in data["steps"]] == [8, "5/2"]


def test_several_filters_steps_and_backward() -> None:
    args = ("conv", "-i", "1 2 3; 4 5 6; 7 8 9", "-k", "1 0; 0 -1 | 0 1; 1 0")
    out = ok(*args, "--steps")
    assert "filter 2, output (1,1)" in out and "map 2 output[1,1] = 14" in out
    data = json.loads(ok(*args, "--backward", "--dout", "1 0; 0 1 | 1 1; 1 1", "--json"))["backward"]
    # filter 1 as in test_conv_backward_json_and_human; filter 2 (0 1; 1 0) with ones: dW = window sums
    assert data["dweight"] == [[[[6, 8], [12, 14]]], [[[12, 16], [24, 28]]]]
    assert data["dinput"] == [
        [[1, 1, 1], [1, 2, 1], [1, 1, -1]]
    ]  # 1 0 0; 0 0 0; 0 0 -1 + 0 1 1; 1 2 1; 1 1 0
    assert data["dbias"] == [2, 4]
    out = ok(*args, "--backward", "--steps")
    assert "filter 2: dL/dW[1,1]" in out and "dL/db = 4, 4 (one per filter)" in out


def test_several_filters_as_matrix() -> None:
    out = ok("conv", "--image", "x", "--kernel", "diag,cross,antidiag", "--as-matrix")
    assert "matrix has 147×81 = 11,907 entries, 1,323 non-zero, 27 distinct weights" in out


def test_convt_backward() -> None:
    args = ("convT", "-i", "1 2; 3 4", "-k", "1 1; 1 1", "--stride", "2", "--backward")
    dout = "1 2 3 4; 5 6 7 8; 9 10 11 12; 13 14 15 16"
    data = json.loads(ok(*args, "--dout", dout, "--json"))["backward"]
    assert data["dinput"] == [[[14, 22], [46, 54]]]  # 1+2+5+6, 3+4+7+8, ...
    assert data["dweight"] == [[[78, 88], [118, 128]]]  # 1·1 + 2·3 + 3·9 + 4·11, ...
    assert data["dbias"] == 136
    out = ok(*args, "--steps")
    assert "dL/dx[1,1]" in out and "dL/dW[0,0]" in out and "dL/db = 16" in out


def test_cli_errors_name_the_flags() -> None:
    result = run("conv", "--image", "1 2; 3 4", "--kernel", "nine")
    assert result.exit_code == 2 and "Use a smaller --kernel or more --padding" in result.stderr
    result = run("pool", "--image", "1 2; 3 4", "--at", "1,0")
    assert result.exit_code == 2 and "--at 1,0 is outside the 1x1 output" in result.stderr


def test_choices_and_ranges_show_in_help_and_errors() -> None:
    from cnntool.cli.app import app as root

    help_text = runner.invoke(root, ["pool", "--help"], env={"COLUMNS": "200"}).stdout
    assert "max|avg" in help_text and "0<=x<=15" in help_text
    conv_help = runner.invoke(root, ["conv", "--help"], env={"COLUMNS": "200"}).stdout
    assert "diag,cross,antidiag" in conv_help and "---" in conv_help and "'|'" in conv_help
    result = run("pool", "--image", "1 2; 3 4", "--mode", "median")
    assert result.exit_code == 2 and "'median' is not one of 'max', 'avg'" in result.stderr
    result = run("conv", "--image", "1", "--kernel", "1", "--decimals", "16")
    assert result.exit_code == 2 and "16 is not in the range 0<=x<=15" in result.stderr
    assert json.loads(ok("pool", "-i", "1 2; 3 4", "--mode", "AVG", "--json"))["output"] == [[["5/2"]]]
