"""`cnntool experiment`: variants share the seed and the data; the lecture's effects show in the numbers
(vanishing gradients through 8 sigmoid layers, a too-large initialisation diverging)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from typer.testing import CliRunner

from cnntool.cli.app import app
from cnntool.training.experiments import EXPERIMENTS, run_experiment

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _validate(data) -> None:
    schemas = ROOT / "docs" / "schemas"
    reg = Registry().with_resources(
        (p.name, Resource.from_contents(json.loads(p.read_text()))) for p in schemas.glob("*.schema.json")
    )
    errors = list(
        Draft202012Validator(reg.contents("experiment.schema.json"), registry=reg).iter_errors(data)
    )
    assert not errors, errors[0].message


def _result(name: str, **kwargs):
    *_, done = run_experiment(name, quick=True, **kwargs)
    return done.result


@pytest.mark.parametrize("name", ["dropout", "augmentation"])
def test_image_experiments_run_quick_and_validate(name) -> None:
    result = runner.invoke(app, ["experiment", name, "--quick", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    _validate(data)
    assert [v["name"] for v in data["variants"]] == [v.name for v in EXPERIMENTS[name].variants]
    assert all(v["status"] == "finished" and len(v["history"]) == 2 for v in data["variants"])
    assert data["seed"] == 0 and data["data"] == "shapes"


def test_dropout_variants_differ_only_by_the_dropout_layers() -> None:
    result = _result("dropout")
    plain, dropped = (v.spec for v in result.variants)
    assert dropped.replace(" | dropout 0.5", "") == plain
    assert result.variants[0].params == result.variants[1].params  # dropout has no parameters


def test_depth_measures_the_vanishing_gradient_at_initialisation() -> None:
    result = _result("depth")
    _validate(result.to_json())
    shallow, deep, normed = (v.gradient_norms["at_init"] for v in result.variants)
    # through 8 sigmoid layers (σ' ≤ 1/4 each) the first layer's gradient is orders of magnitude smaller
    assert deep["first"] < 1e-4 * deep["last"]
    assert shallow["first"] > 1e-2 * shallow["last"]
    assert normed["first"] > 1e3 * deep["first"]  # batch norm restores the scale


def test_a_too_large_initialisation_diverges_and_is_reported_not_raised() -> None:
    result = _result("init")
    by_name = {v.name: v for v in result.variants}
    large = by_name["too large N(0, 1)"]
    assert large.status == "diverged" and large.message.startswith("diverged at epoch 1, batch")
    small = by_name["too small N(0, 0.01²)"]
    assert small.gradient_norms["at_init"]["first"] < 1e-6  # the signal vanished before it reached the loss
    assert by_name["He"].status == "finished"


def test_experiments_on_another_dataset_adapt_input_and_outputs() -> None:
    result = _result("init", data="xo")
    assert result.variants[0].spec.startswith("1x9x9 | flatten") and result.variants[0].spec.endswith(
        "dense 2"
    )


def test_a_cnn_experiment_refuses_sequences() -> None:
    out = runner.invoke(app, ["experiment", "dropout", "--data", "adding", "--quick"], env={"COLUMNS": "200"})
    assert out.exit_code == 2 and "needs image data" in out.stderr


def test_rnn_vs_lstm_quick_records_gradient_norms_per_time_step() -> None:
    result = _result("rnn-vs-lstm")
    _validate(result.to_json())
    rnn, lstm = result.variants
    assert len(rnn.gradient_norms["at_init"]) == 50 and len(lstm.gradient_norms["trained"]) == 50


@pytest.mark.slow
def test_rnn_vs_lstm_the_lstm_solves_the_adding_problem_and_the_rnn_does_not() -> None:
    *_, done = run_experiment("rnn-vs-lstm")
    rnn, lstm = done.result.variants
    assert lstm.final.val_loss < 0.01
    assert rnn.final.val_loss > 0.1  # predicting the mean scores 1/6
