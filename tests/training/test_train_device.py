"""`cnntool train --device`: the GPU without CuPy is one error line that writes nothing; cpu-numpy
trains as cpu does; a run resumes bit for bit on a device whose arrays refuse NumPy's (the strict
stand-in of tests/engine/strict_device.py, dropout drawn on the device included) and moves between
devices when resumed."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from cnntool.cli.app import app
from cnntool.engine import backend as backend_module
from cnntool.engine.backend import backend_of, unregister
from cnntool.training.config import RunConfig
from cnntool.training.session import Session
from tests.engine.strict_device import register_strict

XO = "1x9x9 | conv 4 k3 | relu | maxpool 2 ceil=true | flatten | dense 2"
runner = CliRunner()
HINT = 'pip install "cnntool[gpu]" (CuPy for CUDA 12; with CUDA 13 use: pip install cupy-cuda13x)'
SPEC = "1x9x9 | conv 4 k3 | relu | maxpool 2 ceil=true | flatten | dropout 0.3 | dense 2"
CONFIG = RunConfig(spec=SPEC, data="xo", optim="sgd", lr=0.05, momentum=0.9, epochs=3, augment=("shift",),
                   limit=200, batch=16)  # fmt: skip


@pytest.fixture
def strict():
    register_strict()
    yield "strict"
    unregister("strict")


def test_train_on_the_gpu_without_cupy_is_one_line_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    backend_module.unregister("gpu")
    out = tmp_path / "run"
    result = runner.invoke(
        app, ["train", XO, "--data", "xo", "--epochs", "1", "--out", str(out), "--device", "gpu"]
    )
    assert result.exit_code == 2 and result.stdout == ""
    assert (
        result.stderr
        == f"error: the gpu device needs CuPy, which is not installed; install it with: {HINT}\n"
    )
    assert not out.exists()


def _end(*args: str) -> dict:
    result = runner.invoke(app, ["train", XO, "--data", "xo", "--epochs", "2", "--optim", "sgd", "--lr", "0.05",
                                 "--json", *args])  # fmt: skip
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()][-1]


def test_cpu_numpy_trains_as_the_cpu_does(tmp_path):
    cpu = _end("--out", str(tmp_path / "cpu"))
    numpy_run = _end("--out", str(tmp_path / "np"), "--device", "cpu-numpy")
    assert numpy_run["status"] == cpu["status"] == "finished"
    assert numpy_run["val_loss"] == pytest.approx(cpu["val_loss"], rel=1e-5)
    assert numpy_run["confusion"]["counts"] == cpu["confusion"]["counts"]


def _train(session: Session, epochs: int | None = None) -> None:
    for event in session.train():
        if epochs is not None and event.kind == "epoch" and event.epoch == epochs:
            break


def test_a_run_on_a_device_resumes_bit_for_bit(tmp_path, strict):
    whole = Session.start(CONFIG, device=strict)
    _train(whole)
    first = Session.start(CONFIG, device=strict)
    _train(first, epochs=1)
    first.save(tmp_path / "last.npz")
    resumed = Session.restore(CONFIG, tmp_path / "last.npz", device=strict)
    assert resumed.model.device == "strict" and resumed.epochs_done == 1
    _train(resumed)
    assert [r.val_loss for r in resumed.history] == [r.val_loss for r in whole.history]
    for name, value in whole.model.state_dict().items():
        mine = resumed.model.state_dict()[name]
        np.testing.assert_array_equal(
            backend_of(mine).to_numpy(mine), backend_of(value).to_numpy(value), name
        )


def test_a_cpu_run_continues_on_another_device(tmp_path, strict):
    config = RunConfig(spec=XO, data="xo", optim="sgd", lr=0.05, momentum=0.9, epochs=3, limit=200, batch=16)
    whole = Session.start(config)
    _train(whole)
    first = Session.start(config)
    _train(first, epochs=1)
    first.save(tmp_path / "last.npz")
    moved = Session.restore(config, tmp_path / "last.npz", device=strict)
    _train(moved)
    assert moved.model.device == "strict" and moved.epochs_done == 3
    for a, b in zip(moved.history, whole.history, strict=True):
        assert a.val_loss == pytest.approx(b.val_loss, rel=1e-5)
