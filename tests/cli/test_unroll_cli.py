"""`cnntool unroll` through Typer's CliRunner: tables, --grad, --json (validated against
docs/schemas/unroll.schema.json), exit code 2 with one message for bad input, a light module level."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from cnntool.cli.app import app

runner = CliRunner()
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs/schemas/unroll.schema.json").read_text())


def run(*args: str):
    return runner.invoke(app, ["unroll", *args])


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_issue_example_prints_a_table_per_step() -> None:
    out = ok("3 | lstm 2", "--sequence", "1 0 0; 0 1 0; 0 0 1", "--seed", "0")
    assert "LSTM cell, 3 inputs → 2 hidden units, 3 steps" in out
    assert [line.strip() for line in out.splitlines() if line.strip().startswith("t = ")] == [
        "t = 1",
        "t = 2",
        "t = 3",
    ]
    assert "i = σ(·)  input gate" in out and "c_{t−1}" in out
    assert "f_t = σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf)" in out
    again = ok("3 | lstm 2", "--sequence", "1 0 0; 0 1 0; 0 0 1", "--seed", "0")
    assert again == out  # seeded


def test_grad_shows_vanishing_on_a_one_unit_rnn() -> None:
    out = ok("1 | rnn 1", "--sequence", "1; 0; 0; 0; 0; 0; 0; 0; 0; 0", "--grad", "--set", "weight_ih_l0=1",
             "--set", "weight_hh_l0=0.5", "--set", "bias_ih_l0=0", "--set", "bias_hh_l0=0")  # fmt: skip
    assert "backward through time" in out and "‖dL/dh_t‖" in out
    rows = [line.split("│") for line in out.splitlines() if line.strip().startswith(("9 │", "8 │"))]
    assert [r[1].strip() for r in rows] == ["0.5000", "0.2500"] and rows[0][2].strip() == "0.5000"


@pytest.mark.parametrize(
    "args",
    [
        ("3 | lstm 2", "-s", "1 0 0; 0 1 0", "--grad"),
        ("2x3 | gru 2 layers=2 bidirectional", "--grad"),
        ("4 | lstm 3 proj_size=2 peephole=true", "--steps", "2", "--h0", "1 -1", "--c0", "0 0 1"),
        ("1 | rnn 1 nonlinearity=relu", "--set", "weight_hh_l0=1.5"),
    ],
)
def test_json_follows_the_schema(args) -> None:
    data = json.loads(ok(*args, "--json"))
    jsonschema.validate(data, SCHEMA)
    assert data["spec"] == args[0]


def test_json_carries_the_table_numbers() -> None:
    data = json.loads(ok("1 | rnn 1", "-s", "2; 0", "--set", "weight_ih_l0=1", "--set", "weight_hh_l0=0.5",
                         "--set", "bias_ih_l0=0", "--set", "bias_hh_l0=0", "--grad", "--json"))  # fmt: skip
    first, second = data["runs"][0]["steps"]
    assert first["gates"][0]["pre"] == [2.0] and first["h"] == pytest.approx([0.9640275800758169])
    assert second["gates"][0]["pre"] == pytest.approx([0.5 * 0.9640275800758169])
    assert second["dh"] == [1.0] and first["dh"] == pytest.approx([0.5 * (1 - second["h"][0] ** 2)])


def test_weights_from_a_saved_model(tmp_path) -> None:
    from cnntool.engine import build

    build("4x3 | gru 2 | dense 1", seed=3).save(tmp_path / "cell.npz")
    data = json.loads(ok("3 | gru 2", "--weights", f"@{tmp_path / 'cell.npz'}", "--json"))
    jsonschema.validate(data, SCHEMA)
    assert len(data["parameters"]["weight_ih_l0"]) == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("3 | lstm 20",), "at most 8 hidden units (this one has 20)"),
        (("3 | lstm 2", "-s", "1 0; 0 1"), "sequence step 1 has 2 numbers, but the cell takes 3 features"),
        (("3 | lstm 2", "--set", "weight_hx_l0=1"), "this cell has no parameter 'weight_hx_l0'"),
        (("3 | lstm 2", "--set", "weight_hh_l0"), "write a parameter setting as NAME=VALUES"),
        (("3 | lstm 2", "--weights", "{notmodel}"), "not a cnntool model"),
        (("3 | lstm 2", "--weights", "{missing}"), "no such model file"),
        (("3 | lstm 2 | dense 1",), "unroll shows one recurrent layer"),
        (("3 | lstm 2", "-s", "1 a 0"), "'a' is not a number"),
        (("3 | lstm 2", "--decimals", "20"), "--decimals must be between 0 and 12"),
        (("3 | lsmt 2",), "unknown layer"),
    ],
)
def test_bad_input_exits_2_with_one_message(args, message, tmp_path) -> None:
    notmodel = tmp_path / "x.npz"
    notmodel.write_bytes(b"not a zip")
    args = tuple(a.format(notmodel=notmodel, missing=tmp_path / "nope.npz") for a in args)
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert result.output.count("error:") == 1


def test_the_command_module_imports_nothing_heavy() -> None:
    code = (
        "import sys; import cnntool.cli.unroll, cnntool.cli.app; "
        "print(','.join(m for m in ('numpy', 'numba', 'torch', 'rich') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
