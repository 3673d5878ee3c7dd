"""fit() progress events and the `cnntool export` command."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from cnntool.cli.export import app
from cnntool.engine import build, fit, optim
from cnntool.engine.train import evaluate


def _data(rng, n=96):
    x = rng.standard_normal((n, 1, 6, 6)).astype(np.float32)
    y = (x[:, 0, :3].mean(axis=(1, 2)) > x[:, 0, 3:].mean(axis=(1, 2))).astype(np.int64)
    return x, y


def test_fit_yields_steps_and_epochs_and_learns(rng):
    model = build("1x6x6 | conv 4 k3 | relu | flatten | dense 2", seed=0)
    x, y = _data(rng)
    opt = optim.Adam(model.parameters(), lr=0.02)
    events = list(fit(model, x, y, opt, epochs=8, batch_size=32, rng=rng, validation=(x, y),
                      clip_norm=5.0, scheduler=optim.StepLR(opt, 4, 0.5)))  # fmt: skip
    steps = [e for e in events if e.kind == "step"]
    epochs = [e for e in events if e.kind == "epoch"]
    assert len(steps) == 8 * 3 and len(epochs) == 8
    assert epochs[-1].loss < epochs[0].loss
    assert epochs[-1].val_accuracy > 0.8
    assert opt.lr == pytest.approx(0.02 * 0.25)
    assert evaluate(model, x, y)[1] == pytest.approx(epochs[-1].val_accuracy)


def test_fit_rejects_mismatched_data(rng):
    model = build("4 | dense 2")
    with pytest.raises(ValueError, match="3 samples but y has 2"):
        next(
            fit(
                model,
                np.zeros((3, 4), np.float32),
                np.zeros(2, np.int64),
                optim.SGD(model.parameters()),
                rng=rng,
            )
        )


def test_cli_export_writes_module_and_weights(tmp_path):
    model = build("1x8x8 | conv 2 k3 | relu | flatten | dense 3")
    model.save(tmp_path / "m.npz")
    out = tmp_path / "net.py"
    result = CliRunner().invoke(app, [str(tmp_path / "m.npz"), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert out.exists() and (tmp_path / "net.weights.npz").exists()
    assert '"module"' in result.output


def test_cli_export_never_overwrites_the_saved_model(tmp_path):
    """`export model.npz --out model.py` must not replace model.npz, and existing files need --force."""
    model = build("4 | dense 2")
    saved = tmp_path / "model.npz"
    model.save(saved)
    before = saved.read_bytes()
    out = tmp_path / "model.py"
    assert CliRunner().invoke(app, [str(saved), "--out", str(out)]).exit_code == 0
    assert saved.read_bytes() == before
    again = CliRunner().invoke(app, [str(saved), "--out", str(out)])
    assert again.exit_code == 2 and "already exists" in again.output
    assert CliRunner().invoke(app, [str(saved), "--out", str(out), "--force"]).exit_code == 0


def test_cli_export_bad_file_exits_2(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    result = CliRunner().invoke(app, [str(bad), "--out", str(tmp_path / "x.py")])
    assert result.exit_code == 2
    assert "corrupt or truncated" in result.output
