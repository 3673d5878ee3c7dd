"""Float64 centred-difference gradient checks of every layer (input and parameters) and every loss."""

from __future__ import annotations

import numpy as np
import pytest

from cnntool.engine import build, losses
from cnntool.engine.gradcheck import check_layer, check_loss, rel_error
from cnntool.engine.layers.dense import Dropout
from tests.engine.specs import LAYER_SPECS

TOL = 1e-6


def _perturb(model, rng):
    """Move parameters off their symmetric defaults (batchnorm γ = 1, β = 0) so every gradient matters."""
    for p in model.parameters():
        p.value += 0.3 * rng.standard_normal(p.value.shape)


# Eval mode differs from training only in batchnorm (running statistics are constants).
CASES = [(name, True) for name in sorted(LAYER_SPECS)] + [
    (name, False) for name in ("batchnorm1d", "batchnorm2d", "residual_projection")
]


@pytest.mark.parametrize(("name", "train"), CASES)
def test_layer_gradients(name, train, rng):
    model = build(LAYER_SPECS[name], dtype="float64", seed=3)
    _perturb(model, rng)
    if not train:
        for layer in _walk(model):
            if hasattr(layer, "_buffers") and "running_var" in layer._buffers:
                layer._buffers["running_mean"][...] = rng.standard_normal(layer.num_features)
                layer._buffers["running_var"][...] = rng.uniform(0.5, 2.0, layer.num_features)
    x = rng.standard_normal((2, *model.input_shape))
    for check in check_layer(model, x, rng, train=train):
        assert check.rel_error < TOL, f"{name}: d{check.name} relative error {check.rel_error:.2e}"


def _walk(layer):
    yield layer
    for attr in ("layers",):
        for sub in getattr(layer, attr, []):
            yield from _walk(sub)
    for attr in ("body", "shortcut"):
        if hasattr(layer, attr):
            yield from _walk(getattr(layer, attr))


def test_dropout_gradient_with_a_fixed_mask(rng):
    layer = Dropout(0.4, rng=np.random.default_rng(0))
    forward = layer.forward

    def reseeded(x, train=False):
        layer.rng = np.random.default_rng(0)  # the same mask every call, as the check needs
        return forward(x, train)

    layer.forward = reseeded
    for check in check_layer(layer, rng.standard_normal((3, 5)), rng):
        assert check.rel_error < TOL


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_gradient(smoothing, rng):
    logits = rng.standard_normal((4, 5))
    labels = np.array([0, 4, 2, 2])
    assert check_loss(losses.cross_entropy, logits, labels, label_smoothing=smoothing) < TOL


def test_mse_and_bce_gradients(rng):
    assert check_loss(losses.mse, rng.standard_normal((3, 4)), rng.standard_normal((3, 4))) < TOL
    assert (
        check_loss(losses.bce_with_logits, 3 * rng.standard_normal((3, 4)), rng.uniform(0, 1, (3, 4))) < TOL
    )


def test_gradcheck_catches_a_wrong_gradient(rng):
    model = build("4 | dense 3", dtype="float64")
    backward = model.layers[0].backward
    model.layers[0].backward = lambda dout: 1.5 * backward(dout)
    errors = {c.name: c.rel_error for c in check_layer(model, rng.standard_normal((2, 4)), rng)}
    assert errors["x"] > 0.1


def test_gradcheck_refuses_float32(rng):
    model = build("4 | dense 3")
    with pytest.raises(ValueError, match="float64"):
        check_layer(model, rng.standard_normal((2, 4)).astype(np.float32), rng)


def test_rel_error_is_zero_for_equal_and_zero_arrays():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.ones(3), np.ones(3)) == 0.0
