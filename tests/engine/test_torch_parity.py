"""Every layer against PyTorch: the same weights, input and upstream gradient give the same output,
input gradient, parameter gradients and running statistics (float64 ≤ 1e-10, float32 ≤ 1e-5)."""

from __future__ import annotations

import numpy as np
import pytest

from cnntool.engine import build
from cnntool.engine.export import to_torch
from tests.engine.specs import LAYER_SPECS

torch = pytest.importorskip("torch", reason="PyTorch is the reference oracle for these tests")
pytestmark = pytest.mark.torch

TOL = {"float64": 1e-10, "float32": 1e-5}


def assert_close(ours, theirs, tol, what):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    scale = max(1.0, float(np.abs(theirs).max(initial=0.0)))
    err = float(np.abs(ours.astype(np.float64) - theirs.astype(np.float64)).max(initial=0.0)) / scale
    assert err <= tol, f"{what}: relative difference {err:.2e} > {tol:.0e}"


def compare_with_torch(model, x, tol, train=True, rng=None):
    """One forward/backward in both; compares outputs, dx, every gradient and every buffer."""
    rng = rng or np.random.default_rng(0)
    tmodel = to_torch(model).train(train)
    model.input_grad = True
    xt = torch.tensor(x, requires_grad=True)
    out = model.forward(x, train=train)
    tout = tmodel(xt)
    assert_close(out, tout, tol, "output")
    upstream = rng.standard_normal(out.shape).astype(out.dtype)
    model.zero_grad()
    dx = model.backward(upstream)
    tout.backward(torch.tensor(upstream))
    assert_close(dx, xt.grad, tol, "input gradient")
    tparams = dict(tmodel.named_parameters())
    for p in model.parameters():
        assert_close(p.grad, tparams[p.name].grad, tol, f"gradient of {p.name}")
    tstate = tmodel.state_dict()
    for name, value in model.state_dict().items():
        assert_close(np.asarray(value), tstate[name], tol, f"state {name}")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(LAYER_SPECS))
def test_layer_matches_torch(name, dtype, rng):
    model = build(LAYER_SPECS[name], dtype=dtype, seed=5)
    for p in model.parameters():
        p.value += (0.3 * rng.standard_normal(p.value.shape)).astype(dtype)
    x = rng.standard_normal((3, *model.input_shape)).astype(dtype)
    compare_with_torch(model, x, TOL[dtype], rng=rng)


@pytest.mark.parametrize("name", ["batchnorm1d", "batchnorm2d", "residual_projection"])
def test_batchnorm_eval_after_training_matches_torch(name, rng):
    model = build(LAYER_SPECS[name], dtype="float64")
    tmodel = to_torch(model).train()
    for _ in range(3):  # update the running statistics in both
        x = rng.standard_normal((4, *model.input_shape))
        model.forward(x, train=True)
        tmodel(torch.tensor(x))
    tstate = tmodel.state_dict()
    for key, value in model.state_dict().items():
        assert_close(np.asarray(value), tstate[key], 1e-12, key)
    compare_with_torch(model, rng.standard_normal((2, *model.input_shape)), 1e-10, train=False, rng=rng)


def test_dropout_is_inverted_and_seeded():
    model = build("1000 | dropout 0.25", seed=7)
    x = np.ones((4, 1000), dtype=np.float32)
    out = model.forward(x, train=True)
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 0.03
    np.testing.assert_array_equal(model.forward(x, train=False), x)
    again = build("1000 | dropout 0.25", seed=7).forward(x, train=True)
    np.testing.assert_array_equal(out, again)
    # torch's Dropout in eval is the identity too
    tmodel = to_torch(model).eval()
    np.testing.assert_array_equal(tmodel(torch.tensor(x)).numpy(), x)
