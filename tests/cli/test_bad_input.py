"""Bad input never shows a traceback: one clear message on stderr and exit code 2."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cnntool.cli.app import app

runner = CliRunner()

BAD_SPECS = [
    ("", "empty"),
    ("   # only a comment", "empty"),
    ("conv 10 k5", "input shape must come first"),
    ("3x32x32 | cnv 10 k5", "did you mean 'conv'"),
    ("3x32x32 | conv", "needs out channels"),
    ("3x32x32 | conv 10", "needs kernel"),
    ("3x32x32 | conv 10 k0", "kernel must be positive"),
    ("3x32x32 | conv -3 k3", "out_channels must be a whole number"),
    ("3x32x32 | conv 3.5 k3", "out_channels must be a whole number"),
    ("3x32x32 | conv 10 k5 s0", "stride must be positive"),
    ("3x32x32 | conv 10 k5 p-1", "padding cannot be negative"),
    ("3x32x32 | conv 10 k5 kernal=3", "did you mean 'kernel'"),
    ("3x32x32 | conv 10 k5 k3", "given twice"),
    ("3x32x32 | conv 10 k5 bias=maybe", "bias must be true or false"),
    ("3x32x32 | conv 10 k5 padding=half", "padding must be"),
    ("0x32x32 | conv 10 k5", "input sizes must be positive"),
    ("3x32x32x2 | conv 10 k5", "takes 1 to 3"),
    ("3x32x32 conv 10 k5", "after the input shape"),
    ("3x32x32 | conv 10 k40", "larger than the padded input"),
    ("3x32x32 | conv 10 k3 g4", "groups=4 must divide"),
    ("3x32x32 | dense 10", "add 'flatten'"),
    ("3x32x32 | conv 10 k3 s2 padding=same", "padding=same needs stride 1"),
    ("3x32x32 | maxpool 2 p2", "more than half the window"),
    ("3x32x32 | convT 3 k3 s2 output_padding=2", "output_padding 2 must be smaller"),
    ("3x32x32 | lstm 10", "needs a T×F sequence"),
    ("20 | conv 3 k3", "needs C×L or C×H×W input"),
    ("3x32x32 | res[ conv 8 k3 p1", "missing ']'"),
    ("3x32x32 | conv 8 k3 ]", "unexpected ']'"),
    ("3x32x32 | res[ ]", "empty block"),
    ("3x32x32 | foo[ conv 3 k3 ]", "unknown block"),
    ("3x32x32 | 0*[ relu ]", "repeat count"),
    ("20 | dropout 1.5", "p must be in [0, 1)"),
    ("50x32 | lstm 64 proj_size=64", "proj_size (64) must be smaller"),
    ("3x32x32 | conv 8 k3x3x3", "give one (3) or two (3x5)"),
    ("3x32x32 | conv 8 k3 | flatten | res[ dense 4 ]", "projection shortcut is only built"),
    ("3x8x8 | relu extra", "unexpected argument 'extra'"),
    ("alexnett", "did you mean 'alexnet'"),
    ("missing/file.net", "does not exist"),
    ("3x32x32 | conv 8 k3x3 s1x1x1", "give one (3) or two"),
    ("3x64 | conv 8 k3x3", "has 2 sizes but the input has 1 spatial dimension"),
]


@pytest.mark.parametrize(("spec", "message"), BAD_SPECS)
def test_bad_spec_exits_2_with_message(spec: str, message: str) -> None:
    result = runner.invoke(app, ["summary", spec])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert message in result.stderr
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) <= 5  # one message, perhaps with the line and a caret


BAD_OPTIONS = [
    ["summary", "lenet5", "--format", "xml"],
    ["summary", "lenet5", "--columns", "params,flops"],
    ["summary", "lenet5", "--input", "3xx2"],
    ["summary", "lenet5", "--bogus"],
    ["explain", "lenet5", "--layer", "99"],
    ["explain", "lenet5", "--layer", "zero"],
    ["summary"],
]


@pytest.mark.parametrize("args", BAD_OPTIONS)
def test_bad_options_exit_2(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_caret_points_at_the_token() -> None:
    result = runner.invoke(app, ["summary", "3x32x32 | conv 10 k5 | cnv 3"])
    lines = result.stderr.splitlines()
    assert "column 24" in lines[0]
    assert lines[1] == "  3x32x32 | conv 10 k5 | cnv 3"
    assert lines[2] == "  " + " " * 23 + "^^^"


def test_folder_is_not_a_spec(tmp_path) -> None:
    result = runner.invoke(app, ["summary", str(tmp_path)])
    assert result.exit_code == 2 and "is a folder" in result.stderr


def test_binary_file(tmp_path) -> None:
    path = tmp_path / "x.net"
    path.write_bytes(b"\xff\xfe\x00\x01")
    result = runner.invoke(app, ["summary", str(path)])
    assert result.exit_code == 2 and "not UTF-8" in result.stderr
