"""A Dataset plugs into the engine as it is: its input_spec starts the spec, its loss names the loss."""

from __future__ import annotations

import numpy as np

from cnntool.data import load
from cnntool.engine import losses, optim
from cnntool.engine.builder import build
from cnntool.engine.train import fit


def test_a_small_cnn_learns_x_versus_o() -> None:
    ds = load("xo", seed=0)
    model = build(
        f"{ds.input_spec} | conv 4 k3 | relu | maxpool 2 | flatten | dense {ds.num_classes}", seed=0
    )
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    events = fit(model, ds.x_train, ds.y_train, optimizer, epochs=4, batch_size=32, rng=np.random.default_rng(0),
                 loss_fn=getattr(losses, ds.loss), validation=(ds.x_val, ds.y_val))  # fmt: skip
    epochs = [e for e in events if e.kind == "epoch"]
    assert epochs[-1].val_accuracy >= 0.95  # chance is 0.5: noise, shifts and thickness do not fool it
    assert epochs[-1].val_loss < epochs[0].loss
