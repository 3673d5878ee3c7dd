"""`cnntool summary / explain / zoo / demo` through Typer's CliRunner, as a user types them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

from typer.testing import CliRunner

from cnntool.cli.app import app

runner = CliRunner()


def run(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def summary_json(*args: str, input: str | None = None) -> dict:
    result = run("summary", *args, "--json", input=input)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_contract_keys() -> None:
    data = summary_json("3x32x32 | conv 10 k5 s1 p2 | relu | maxpool 2 | flatten | dense 10")
    for key in ("input_shape", "layers", "total_params", "total_macs"):
        assert key in data
    layer = data["layers"][0]
    for key in (
        "index",
        "kind",
        "text",
        "output_shape",
        "params",
        "params_unshared",
        "params_dense",
        "macs",
        "receptive_field",
    ):
        assert key in layer
    assert data["input_shape"] == [3, 32, 32]
    assert layer["output_shape"] == [10, 32, 32]
    assert layer["params"] == 760
    assert data["layers"][-1]["output_shape"] == [10]
    assert data["total_params"] == 760 + 2560 * 10 + 10


def test_zoo_names_and_python_module() -> None:
    assert summary_json("alexnet")["total_params"] == 61_100_840
    out = subprocess.run(
        [sys.executable, "-m", "cnntool", "summary", "vgg16", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["total_params"] == 138_357_544


def test_spec_file_with_comments(tmp_path) -> None:
    path = tmp_path / "alexnet_conv1.net"
    path.write_text("# AlexNet's first layer\n3x227x227\nconv 96 k11 s4   # 96 filters\nrelu\n")
    data = summary_json(str(path))
    assert data["layers"][0]["params"] == 34_944
    assert data["layers"][0]["params_unshared"] == 105_705_600


def test_stdin() -> None:
    assert summary_json("-", input="20 | dense 20 | relu | dense 20 | relu | dense 1")["total_params"] == 861


def test_examples_folder_specs_parse() -> None:
    from pathlib import Path

    examples = sorted(Path(__file__).parents[2].joinpath("examples").glob("*.net"))
    assert examples, "examples/*.net should exist"
    for path in examples:
        assert summary_json(str(path))["total_params"] > 0


def test_input_override_and_hwc() -> None:
    data = summary_json("alexnet_conv1", "--input", "3x224x224")
    assert data["layers"][0]["output_shape"] == [96, 54, 54]
    hwc = summary_json("32x32x3 | conv 10 k5 p2 | flatten", "--hwc")
    assert hwc["input_shape"] == [32, 32, 3]
    assert hwc["layers"][0]["output_shape"] == [32, 32, 10]
    assert hwc["layers"][0]["params"] == 760
    assert hwc["layers"][1]["output_shape"] == [10240]


def test_keras_convention() -> None:
    assert summary_json("7x10 | lstm 20", "--keras")["total_params"] == 2_480
    bn = summary_json("3x8x8 | batchnorm", "--keras")
    assert (bn["total_params"], bn["trainable_params"], bn["non_trainable_params"]) == (12, 6, 6)
    same = summary_json("3x7x7 | conv 4 k3 s2 padding=same", "--keras")
    assert same["output_shape"] == [4, 4, 4]  # ceil(7/2)


def test_table_output_shows_totals_and_warnings() -> None:
    result = run("summary", "1x10x10 | conv 1 k3 s2")
    assert result.exit_code == 0
    assert "4.5 is not an integer" in result.output
    assert "total" in result.output


def test_markdown_and_csv() -> None:
    md = run("summary", "cs231n760", "--format", "markdown")
    assert md.exit_code == 0
    assert "| 1 | conv 10 k5 s1 p2 | 10×32×32 | 760 |" in md.stdout
    rows = list(
        csv.reader(
            io.StringIO(run("summary", "cs231n760", "-f", "csv", "--columns", "layer,params,macs").stdout)
        )
    )
    assert rows[0] == ["layer", "params", "MACs"]
    assert rows[1] == ["conv 10 k5 s1 p2", "760", "778240"]
    assert rows[-1][0] == "total"


def test_explain_plugs_in_the_numbers() -> None:
    result = run("explain", "3x227x227 | conv 96 k11 s4")
    assert result.exit_code == 0
    out = result.stdout
    assert "⌊(227 + 2·0 − 1·(11−1) − 1)/4⌋ + 1 = 55" in out
    assert "96 · (3·11·11 + 1) = 34,944" in out
    assert "55·55 · 96 · (3·11·11 + 1) = 105,705,600" in out


def test_explain_one_layer_json() -> None:
    result = run("explain", "lenet5", "--layer", "4", "--json")
    assert result.exit_code == 0
    (layer,) = json.loads(result.stdout)["layers"]
    assert layer["text"] == "conv 16 k5"
    assert {f["quantity"]: f["value"] for f in layer["formulas"]}["params"] == 2_416


def test_explain_pool_ceil_rule_is_stated() -> None:
    result = run("explain", "1x5x5 | maxpool 2 s2 ceil=true")
    assert "minus 1 because the last window would start at" not in result.stdout  # 5x5: no dropped window
    result = run("explain", "1x4x4 | maxpool 2 s3 p1 ceil=true")
    assert result.exit_code == 0
    assert "minus 1 because the last window would start at" in result.stdout


def test_zoo_lists_counts() -> None:
    result = run("zoo", "--json")
    nets = {n["name"]: n for n in json.loads(result.stdout)}
    assert nets["resnet18"]["total_params"] == 11_689_512
    assert nets["mobilenet_v2"]["total_params"] == 3_504_872
    assert nets["dwsep57"]["total_params"] == 57


def test_demo_runs_without_arguments() -> None:
    result = run("demo")
    assert result.exit_code == 0, result.output
    assert "861" in result.stdout and "105,705,600" in result.stdout and "57" in result.stdout


def test_help_teaches() -> None:
    result = run("summary", "--help")
    assert result.exit_code == 0
    assert "unshared" in result.stdout and "cnntool summary" in result.stdout


def test_version() -> None:
    assert run("--version").stdout.startswith("cnntool ")


# Every lecture fact about shapes and counts, typed at the command line (values from the slides).
LECTURE_FACTS = [
    ("mlp861", "total_params", 861),
    ("65536 | dense 20 | relu | dense 20 | relu | dense 1", "total_params", 1_311_181),
    ("1x1x1 | conv 1 k5 p2", "output_shape", [1, 1, 1]),
    ("3x300x400 | conv 1 k5 p2", "output_shape", [1, 300, 400]),
    ("3x300x400 | conv 1 k5 p2 | maxpool 2", "output_shape", [1, 150, 200]),
    ("3x32x32 | conv 10 k5 s1 p2", "output_shape", [10, 32, 32]),
    ("3x32x32 | conv 10 k5 s1 p2", "total_params", 760),
    ("3x227x227 | conv 96 k11 s4", "output_shape", [96, 55, 55]),
    ("3x227x227 | conv 96 k11 s4", "total_params", 34_944),
    ("3x227x227 | conv 96 k11 s4", "total_params_unshared", 105_705_600),
    ("3x32x32 | conv 16 k5 p2", "total_params", 1_216),
    ("1x32x32 | conv 1 k21 padding=same bias=false", "total_params", 441),
    ("1x32x32 | conv 1 k21 padding=same bias=false", "total_params_dense", 1_048_576),
    ("3x32x32 | dwconv k3 p1 bias=false | conv 10 k1 bias=false", "total_params", 57),
    ("1x10x10 | conv 1 k3 s2", "output_shape", [1, 4, 4]),
    ("1x7x7 | conv 1 k3 s1", "output_shape", [1, 5, 5]),
    ("1x7x7 | conv 1 k3 s2", "output_shape", [1, 3, 3]),
    ("1x7x7 | conv 1 k3 s1 p1", "output_shape", [1, 7, 7]),
    ("1x7x7 | maxpool 2 ceil=true", "output_shape", [1, 4, 4]),
    ("lenet5", "total_params", 61_706),
    ("7x10 | lstm 20", "total_params", 2_560),
]


import pytest  # noqa: E402


@pytest.mark.parametrize(("spec", "key", "expected"), LECTURE_FACTS)
def test_lecture_fact_through_the_cli(spec: str, key: str, expected) -> None:
    assert summary_json(spec)[key] == expected


def test_infeasible_strides_warn_in_json() -> None:
    assert any("4.5 is not an integer" in w for w in summary_json("1x10x10 | conv 1 k3 s2")["warnings"])
    assert any(
        "does not" in w or "not an integer" in w for w in summary_json("1x7x7 | conv 1 k3 s3")["warnings"]
    )
