"""Long runs, deselected by default (pyproject: -m "not slow"); run them with `pytest -m slow`.

A LeNet-5 that must actually learn a synthetic task, a float64 gradient-check sweep over every
option spec and a few whole networks, and fifty float64 training steps in lockstep with the
PyTorch twin.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnntool.arith import summarize
from cnntool.engine import build, fit, losses, optim
from cnntool.engine.gradcheck import check_layer
from cnntool.engine.train import evaluate
from cnntool.spec import parse
from tests.engine.specs import OPTION_SPECS

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")]


def _synthetic_digits(n: int, rng: np.random.Generator, prototypes: np.ndarray):
    """Ten classes: a fixed random 28×28 prototype per class, scaled by 0.5–1.5, shifted by up to
    2 pixels and buried in unit Gaussian noise (about as hard for LeNet as MNIST's first epochs)."""
    y = rng.integers(0, 10, n)
    x = prototypes[y] * rng.uniform(0.5, 1.5, (n, 1, 1, 1)) + rng.standard_normal((n, 1, 28, 28))
    for i, (dy, dx) in enumerate(rng.integers(-2, 3, (n, 2))):
        x[i] = np.roll(x[i], (dy, dx), axis=(1, 2))
    return x.astype(np.float32), y


def test_lenet5_learns_a_synthetic_task():
    rng = np.random.default_rng(0)
    prototypes = rng.standard_normal((10, 1, 28, 28))
    x, y = _synthetic_digits(6000, rng, prototypes)
    xv, yv = _synthetic_digits(1000, rng, prototypes)
    model = build("lenet5", seed=0)
    opt = optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    epochs = [e for e in fit(model, x, y, opt, epochs=8, batch_size=64, rng=rng, validation=(xv, yv))
              if e.kind == "epoch"]  # fmt: skip
    assert len(epochs) == 8
    assert epochs[0].loss > 3 * epochs[-1].loss  # chance is ln 10 ≈ 2.30
    assert epochs[-1].loss < 0.25 and epochs[-1].accuracy > 0.92
    val_loss, val_accuracy = evaluate(model, xv, yv)
    assert val_loss < 0.35 and val_accuracy > 0.9


# --- float64 gradient checks beyond the default run's LAYER_SPECS ------------------------------

WHOLE_NETS = {
    "conv_bn_pool_dense": (
        "1x10x10 | conv 3 k3 p1 | batchnorm | relu | maxpool 2 ceil=true | conv 4 k2 | leakyrelu 0.1"
        " | flatten | dense 5 | softmax"
    ),
    "residual_net": (
        "2x8x8 | conv 4 k3 p1 bias=false | batchnorm | relu | res[conv 4 k3 p1 | batchnorm | relu"
        " | conv 4 k3 p1 | batchnorm] | relu | res[conv 6 k3 s2 p1 | batchnorm] | globalavgpool | dense 3"
    ),
    "signal_net": "3x9 | conv 4 k3 | tanh | avgpool 2 p1 ceil=true count_include_pad=false | flatten | dense 3",
    "sequence_net": "5x4 | dense 6 | layernorm | tanh | dense 3 | sigmoid",
    "upsample_convT": "2x3x3 | upsample 2 | convT 3 k3 s2 p1 op=1 | relu6 | adaptiveavgpool 4 | dwconv 2 k2",
}
SWEEP = {**{k: v for k, v in OPTION_SPECS.items() if "dropout" not in k}, **WHOLE_NETS}
SWEEP_CASES = [(name, True) for name in sorted(SWEEP)] + [
    (name, False)
    for name in sorted(SWEEP)
    if any(r.kind == "batchnorm" for r in summarize(SWEEP[name]).layers)
]


@pytest.mark.parametrize(("name", "train"), SWEEP_CASES)
def test_gradients_of_every_option_spec_and_whole_nets(name, train):
    rng = np.random.default_rng(7)
    model = build(SWEEP[name], dtype="float64", seed=3)
    for p in model.parameters():
        p.value += 0.3 * rng.standard_normal(p.value.shape)
    shape = summarize(parse(SWEEP[name])).input_shape
    scale = 10.0 if "relu6" in SWEEP[name] else 1.0  # inputs that reach relu6's cap
    x = scale * rng.standard_normal((2, *shape))
    for check in check_layer(model, x, rng, train=train):
        assert check.rel_error < 1e-6, f"{name}: d{check.name} relative error {check.rel_error:.2e}"


# --- fifty training steps in lockstep with the twin ---------------------------------------------

LOCKSTEP_SPEC = (
    "2x12x12 | conv 6 k3 p1 bias=false | batchnorm | leakyrelu 0.1 | avgpool 3 s2 p1 count_include_pad=false"
    " | res[conv 6 k4 padding=same g2 | batchnorm | relu6] | res[conv 8 k3 s2 p1 | batchnorm]"
    " | maxpool 3 s2 dilation=2 ceil=true p1 | flatten | dense 12 | layernorm | tanh | dense 4"
)


@pytest.mark.torch
def test_fifty_float64_training_steps_match_the_twin(torch, twin):
    rng = np.random.default_rng(5)
    model = build(LOCKSTEP_SPEC, seed=1, dtype="float64")
    tmodel = twin.twin_of(LOCKSTEP_SPEC, model.state_dict()).train()
    opt = optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    topt = torch.optim.Adam(tmodel.parameters(), lr=3e-3, weight_decay=1e-4)
    first = None
    for _ in range(50):
        x = 2 * rng.standard_normal((16, 2, 12, 12))
        y = (x[:, 0, :6].mean(axis=(1, 2)) > 0).astype(np.int64) + 2 * (x[:, 1].mean(axis=(1, 2)) > 0)
        loss, dlogits = losses.cross_entropy(model.forward(x, train=True), y)
        model.backward(dlogits)
        opt.step()
        opt.zero_grad()
        tloss = torch.nn.functional.cross_entropy(tmodel(torch.tensor(x)), torch.tensor(y))
        topt.zero_grad()
        tloss.backward()
        topt.step()
        assert loss == pytest.approx(tloss.item(), rel=1e-9)
        first = loss if first is None else first
    assert loss < first  # it trains, so the comparison covers moving weights, not a fixed point
    tstate = tmodel.state_dict()
    for name, value in model.state_dict().items():
        ref = tstate[name].numpy()
        assert np.abs(value - ref).max() <= 1e-8 * max(1.0, np.abs(ref).max()), name
