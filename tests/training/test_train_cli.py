"""`cnntool train`: bad input exits 2 with one line and writes nothing; a NaN loss stops the run and keeps
the last good epoch; --json lines validate against docs/schemas/train.schema.json."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from typer.testing import CliRunner

from cnntool.cli.app import app
from cnntool.engine.builder import load

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "schemas"
XO = "1x9x9 | conv 4 k3 | relu | maxpool 2 ceil=true | flatten | dense 2"
runner = CliRunner()
WIDE = {"COLUMNS": "200"}


def _validator(name: str) -> Draft202012Validator:
    registry = Registry().with_resources(
        (p.name, Resource.from_contents(json.loads(p.read_text()))) for p in SCHEMAS.glob("*.schema.json")
    )
    return Draft202012Validator(registry.contents(f"{name}.schema.json"), registry=registry)


def _one_error_line(result, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def test_json_lines_validate_and_say_what_was_trained(tmp_path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(app, ["train", XO, "--data", "xo", "--epochs", "2", "--optim", "sgd", "--lr", "0.05",
                                 "--momentum", "0.9", "--out", str(out), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    validator = _validator("train")
    for record in records:
        errors = list(validator.iter_errors(record))
        assert not errors, errors[0].message
    assert [r["event"] for r in records] == ["start", "epoch", "epoch", "end"]
    start, end = records[0], records[-1]
    # 4 filters · 9 weights + 4 biases; 4 maps of 4×4 after pooling → 64 · 2 + 2
    assert start["params"] == 4 * 9 + 4 + 64 * 2 + 2
    assert start["input_shape"] == [1, 9, 9] and start["train_samples"] == 800 and start["val_samples"] == 200
    assert end["status"] == "finished" and end["epochs_completed"] == 2
    counts = np.array(end["confusion"]["counts"])
    assert counts.sum() == 200 and end["confusion"]["accuracy"] == pytest.approx(np.trace(counts) / 200)
    assert end["val_accuracy"] == pytest.approx(end["confusion"]["accuracy"])
    assert end["val_accuracy"] >= 0.98
    for name in ("spec.txt", "config.json", "metrics.csv", "model.npz", "last.npz"):
        assert (out / name).is_file(), name
    assert (out / "spec.txt").read_text().strip() == XO
    assert load(out / "model.npz").spec == XO


def test_unknown_dataset_suggests_the_closest(tmp_path) -> None:
    result = runner.invoke(
        app, ["train", XO, "--data", "fashon-mnist", "--out", str(tmp_path / "r")], env=WIDE
    )
    _one_error_line(result, "unknown dataset 'fashon-mnist'", "did you mean 'fashion-mnist'")
    assert not (tmp_path / "r").exists()


def test_spec_input_that_is_not_the_datasets_names_both_shapes_and_the_fix(tmp_path) -> None:
    result = runner.invoke(app, ["train", "lenet5", "--data", "xo", "--out", str(tmp_path / "r")], env=WIDE)
    _one_error_line(result, "1x28x28", "1x9x9", "start the spec with 1x9x9")
    assert not (tmp_path / "r").exists()


def test_last_layer_that_is_not_the_number_of_classes_names_the_fix(tmp_path) -> None:
    spec = "1x9x9 | conv 4 k3 | relu | flatten | dense 10"
    result = runner.invoke(app, ["train", spec, "--data", "xo", "--out", str(tmp_path / "r")], env=WIDE)
    _one_error_line(result, "output is 10", "2 classes", "dense 2")


def test_an_existing_run_is_never_overwritten_without_force(tmp_path) -> None:
    out = tmp_path / "run"
    args = ["train", XO, "--data", "xo", "--epochs", "1", "--out", str(out), "--quiet"]
    assert runner.invoke(app, args).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _one_error_line(runner.invoke(app, args, env=WIDE), str(out), "earlier run")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    again = runner.invoke(app, [*args, "--force", "--seed", "3"])
    assert again.exit_code == 0, again.output
    assert (out / "model.npz").read_bytes() != before["model.npz"]


def test_a_folder_that_is_not_a_run_is_never_taken_over(tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["train", XO, "--data", "xo", "--out", str(tmp_path), "--force"], env=WIDE)
    _one_error_line(result, "not a cnntool run folder")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_batch_over_the_budget_is_refused_before_training(tmp_path) -> None:
    # 1x512x512 conv 64 k3 p1: 64·512·512 activations + the im2col buffer per sample, × 65,536 samples
    spec = "1x9x9 | conv 512 k3 p1 | relu | flatten | dense 2"
    result = runner.invoke(app, ["train", spec, "--data", "xo", "--batch", "65536", "--out", str(tmp_path / "r")],
                           env=WIDE)  # fmt: skip
    _one_error_line(result, "a batch of 65,536 samples", "bytes of one batch's activations", "--batch")
    assert not (tmp_path / "r").exists()


def test_resume_refuses_new_settings_and_a_finished_run(tmp_path) -> None:
    out = tmp_path / "run"
    assert (
        runner.invoke(app, ["train", XO, "--data", "xo", "--epochs", "1", "--out", str(out), "-q"]).exit_code
        == 0
    )
    _one_error_line(runner.invoke(app, ["train", "--resume", str(out), "--lr", "0.1"], env=WIDE), "--lr")
    _one_error_line(runner.invoke(app, ["train", "--resume", str(out)], env=WIDE), "finished all 1 epochs",
                    "--epochs 6")  # fmt: skip
    _one_error_line(
        runner.invoke(app, ["train", "--resume", str(tmp_path / "nope")], env=WIDE), "no such run folder"
    )


def test_a_nan_loss_stops_naming_epoch_and_batch_and_keeps_the_last_good_epoch(tmp_path, monkeypatch) -> None:
    from cnntool.training import data as run_data

    real = run_data.task_functions
    calls_per_epoch = 800 // 32 + -(-200 // 32)  # 25 training batches, then 7 validation batches

    def poisoned(ds):
        loss, accuracy = real(ds)
        calls = [0]

        def loss_fn(out, y):
            value, grad = loss(out, y)
            if out.shape[0] > 2:  # training and validation batches (the warm-up uses 2 samples)
                calls[0] += 1
                if calls[0] == calls_per_epoch + 3:  # epoch 2, batch 3
                    return math.nan, grad
            return value, grad

        return loss_fn, accuracy

    monkeypatch.setattr(run_data, "task_functions", poisoned)
    out = tmp_path / "run"
    result = runner.invoke(app, ["train", XO, "--data", "xo", "--epochs", "3", "--out", str(out)], env=WIDE)
    line = _one_error_line(result, "epoch 2, batch 3", "Lower the learning rate", "epoch 1 are kept")
    assert "nan" in line
    kept = load(out / "model.npz")  # loadable, and the weights of epoch 1
    assert all(np.isfinite(v).all() for v in kept.state_dict().values())
    assert len((out / "metrics.csv").read_text().splitlines()) == 2  # header + epoch 1
