"""engine/probe.py: the first convolution's filters and feature maps, checked against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

from cnntool.engine import build
from cnntool.engine.probe import conv_filters, feature_maps, first_conv


@pytest.mark.torch
@pytest.mark.parametrize(
    ("spec", "activation"),
    [
        ("1x9x9 | conv 4 k3 | relu | maxpool 2 | flatten | dense 2", "relu"),
        ("3x8x8 | batchnorm | conv 5 k3 p1 s2 | tanh | flatten | dense 3", "tanh"),
        ("2x6x6 | conv 3 k3 | maxpool 2 | flatten | dense 2", None),
    ],
)
def test_feature_maps_are_torchs_conv_and_activation(torch, spec: str, activation: str | None, rng) -> None:
    model = build(spec, seed=3, dtype="float64")
    sample = rng.standard_normal(model.input_shape)
    label, maps = feature_maps(model, sample)
    index = first_conv(model)
    layer = model.layers[index]
    filt_label, weights = conv_filters(model)
    state = model.state_dict()
    assert filt_label == layer.label and np.array_equal(weights, state[f"{index}.weight"])
    x = torch.from_numpy(sample[None])
    if index:  # the batchnorm in front, in eval mode: running mean 0, running variance 1 at the start
        bn = torch.nn.functional.batch_norm(
            x, torch.from_numpy(state["0.running_mean"]), torch.from_numpy(state["0.running_var"]),
            torch.from_numpy(state["0.weight"]), torch.from_numpy(state["0.bias"]), training=False,
        )  # fmt: skip
        x = bn
    stride = 2 if "s2" in spec else 1
    padding = 1 if "p1" in spec else 0
    y = torch.nn.functional.conv2d(
        x, torch.from_numpy(weights), torch.from_numpy(state[f"{index}.bias"]), stride=stride, padding=padding
    )
    if activation is not None:
        y = getattr(torch, activation)(y)
        assert label == model.layers[index + 1].label
    else:
        assert label == layer.label
    np.testing.assert_allclose(maps, y[0].numpy(), rtol=1e-12, atol=1e-12)
    assert all(lay.pending == 0 for lay in model.layers)  # nothing left behind for a backward


def test_no_convolution_no_pictures() -> None:
    model = build("20 | dense 4 | relu | dense 2")
    assert first_conv(model) is None
    assert conv_filters(model) is None and feature_maps(model, np.zeros(20)) is None
