"""Every layer and option against its PyTorch twin (tests/engine/torch_twin.py), a torch module built
from the spec, never from the engine: the same weights, input and upstream gradient give the same
output, input gradient, parameter gradients and running statistics, in training and in eval mode
(float64 ≤ 1e-10, float32 ≤ 1e-5, relative to the largest value)."""

from __future__ import annotations

import numpy as np
import pytest

from cnntool.arith import summarize
from cnntool.engine import build
from cnntool.spec import parse
from cnntool.spec.catalog import LAYERS
from tests.engine.specs import INPUT_SCALE, KNOWN_MISMATCHES, NOT_IN_TWIN, PARITY_SPECS

# torch notes that 'same' with an even kernel copies the input to pad it; the result is what we test.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")

TOL = {"float64": 1e-10, "float32": 1e-5}


def assert_close(ours, theirs, tol, what):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    scale = max(1.0, float(np.abs(theirs).max(initial=0.0)))
    err = float(np.abs(ours.astype(np.float64) - theirs.astype(np.float64)).max(initial=0.0)) / scale
    assert err <= tol, f"{what}: relative difference {err:.2e} > {tol:.0e}"


def perturb(model, rng):
    """Move parameters off their symmetric defaults (batchnorm γ = 1, β = 0) so every one matters."""
    for p in model.parameters():
        p.value += (0.3 * rng.standard_normal(p.value.shape)).astype(p.value.dtype)


def randomise_running_stats(model, rng):
    """Batchnorm running statistics away from (0, 1), so eval mode really uses them (and eps shows)."""
    state = {}
    for name, value in model.state_dict().items():
        if name.endswith("running_mean"):
            value = rng.standard_normal(value.shape).astype(value.dtype)
        elif name.endswith("running_var"):
            value = rng.uniform(0.5, 2.0, value.shape).astype(value.dtype)
        state[name] = np.array(value)
    model.load_state_dict(state)


def compare_with_twin(torch, model, twin, x, tol, train=True, rng=None):
    """One forward/backward in both; compares outputs, dx, every gradient and every buffer."""
    rng = rng or np.random.default_rng(0)
    twin.train(train)
    trainable = {name: p for name, p in twin.named_parameters() if p.requires_grad}
    assert sorted(p.name for p in model.parameters()) == sorted(trainable), "parameter names"
    model.input_grad = True
    xt = torch.tensor(x, requires_grad=True)
    out = model.forward(x, train=train)
    tout = twin(xt)
    assert_close(out, tout, tol, "output")
    upstream = rng.standard_normal(out.shape).astype(out.dtype)
    for p in model.parameters():
        p.grad[...] = 0
    dx = model.backward(upstream)
    tout.backward(torch.tensor(upstream))
    assert_close(dx, xt.grad, tol, "input gradient")
    for p in model.parameters():
        assert_close(p.grad, trainable[p.name].grad, tol, f"gradient of {p.name}")
    tstate = twin.state_dict()
    assert list(model.state_dict()) == list(tstate), "state_dict names and order"
    for name, value in model.state_dict().items():
        assert_close(np.asarray(value), tstate[name], tol, f"state {name}")


def _model_and_twin(twin, name, dtype, rng, seed=5):
    spec = PARITY_SPECS[name]
    model = build(spec, dtype=dtype, seed=seed)
    perturb(model, rng)
    randomise_running_stats(model, rng)
    return model, twin.twin_of(spec, model.state_dict(), dtype)


def _input(spec, rng, dtype, n=3, name=""):
    shape = summarize(parse(spec)).input_shape
    return (INPUT_SCALE.get(name, 1.0) * rng.standard_normal((n, *shape))).astype(dtype)


# No two libraries draw the same dropout mask, so dropout is compared in eval mode only.
CASES = [(name, train) for name in sorted(PARITY_SPECS) for train in (True, False)
         if not (train and "dropout" in name)]  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("name", "train"), CASES)
def test_layer_matches_torch(name, train, dtype, rng, torch, twin):
    model, tmodel = _model_and_twin(twin, name, dtype, rng)
    x = _input(PARITY_SPECS[name], rng, dtype, name=name)
    compare_with_twin(torch, model, tmodel, x, TOL[dtype], train=train, rng=rng)


BATCHNORM_SPECS = sorted(
    name for name, spec in PARITY_SPECS.items() if any(r.kind == "batchnorm" for r in summarize(spec).layers)
)


@pytest.mark.torch
@pytest.mark.parametrize("name", BATCHNORM_SPECS)
def test_batchnorm_eval_after_training_matches_torch(name, rng, torch, twin):
    spec = PARITY_SPECS[name]
    model = build(spec, dtype="float64")
    tmodel = twin.twin_of(spec, model.state_dict()).train()
    for _ in range(3):  # update the running statistics in both
        x = _input(spec, rng, "float64", n=4)
        model.forward(x, train=True)
        tmodel(torch.tensor(x))
    tstate = tmodel.state_dict()
    for key, value in model.state_dict().items():
        assert_close(np.asarray(value), tstate[key], 1e-12, key)
        if key.endswith("num_batches_tracked"):
            assert int(value) == int(tstate[key]) == 3, key
    compare_with_twin(torch, model, tmodel, _input(spec, rng, "float64", n=2), 1e-10, train=False, rng=rng)


def test_batchnorm_specs_are_found():
    assert {"batchnorm1d", "batchnorm2d", "residual_projection", "batchnorm1d_signal"} <= set(BATCHNORM_SPECS)


def test_dropout_is_inverted_and_seeded():
    model = build("1000 | dropout 0.25", seed=7)
    x = np.ones((4, 1000), dtype=np.float32)
    out = model.forward(x, train=True)
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 0.03
    np.testing.assert_array_equal(model.forward(x, train=False), x)
    again = build("1000 | dropout 0.25", seed=7).forward(x, train=True)
    np.testing.assert_array_equal(out, again)


@pytest.mark.torch
def test_dropout_in_eval_is_the_identity_as_torch(torch, twin):
    model = build("1000 | dropout 0.25", seed=7)
    x = np.ones((4, 1000), dtype=np.float32)
    tmodel = twin.twin_of("1000 | dropout 0.25", model.state_dict(), "float32").eval()
    np.testing.assert_array_equal(tmodel(torch.tensor(x)).numpy(), x)
    np.testing.assert_array_equal(model.forward(x, train=False), x)


# --- the oracle itself ------------------------------------------------------------------------

# Options that change values but not shapes: if the twin dropped one, engine and twin could agree
# on the wrong answer. Each pair differs in that option only and must give different outputs.
VALUE_ONLY_OPTIONS = {
    "count_include_pad": ("2x7x7 | avgpool 3 s2 p1 count_include_pad=false", "2x7x7 | avgpool 3 s2 p1"),
    "slope": ("2x3x3 | leakyrelu slope=0.2", "2x3x3 | leakyrelu"),
    "maxpool dilation": ("2x8x8 | maxpool 2 s4 dilation=2", "2x8x8 | maxpool 2 s4"),
    "conv dilation": ("2x9x9 | conv 2 k2 s4 d2", "2x9x9 | conv 2 k2 s4"),
    "affine": ("3x4x4 | conv 3 k1 | batchnorm affine=false", "3x4x4 | conv 3 k1 | batchnorm"),
}


@pytest.mark.torch
@pytest.mark.parametrize("option", sorted(VALUE_ONLY_OPTIONS))
def test_twin_honours_options_that_keep_the_shape(option, rng, torch, twin):
    with_option, without = VALUE_ONLY_OPTIONS[option]
    a, b = twin.build_twin(with_option), twin.build_twin(without)
    shared = {k: v for k, v in a.state_dict().items() if k in b.state_dict()}
    b.load_state_dict(shared, strict=False)
    if option == "affine":  # γ, β away from (1, 0), where the affine step would be the identity
        with torch.no_grad():
            b[1].weight.uniform_(2.0, 3.0)
    x = torch.tensor(_input(with_option, rng, "float64"))
    ya, yb = a.train()(x), b.train()(x)
    assert ya.shape == yb.shape
    assert (ya - yb).abs().max().item() > 1e-3


def test_specs_cover_every_kind_and_option():
    """Every kind the twin builds, and every option of it (except `trainable`, a known mismatch
    below), is written out in at least one parity spec, so a new option gets a spec too."""
    given: dict[str, set[str]] = {}
    for spec in PARITY_SPECS.values():
        for layer in parse(spec).leaves():
            given.setdefault(layer.kind, set()).update(layer.given)
    for definition in LAYERS:
        if definition.kind in NOT_IN_TWIN:
            continue
        assert definition.kind in given, f"no parity spec has a '{definition.kind}' layer"
        options = {o.name for o in definition.opts} - {"trainable"}
        missing = options - given[definition.kind]
        assert not missing, f"no parity spec gives '{definition.kind}' the option(s) {sorted(missing)}"


# --- cases the engine once got wrong (found by the twin): softmax axis, sequence batchnorm, frozen layers ---


@pytest.mark.torch
def test_softmax_on_a_sequence_is_over_the_features(rng, torch, twin):
    spec = KNOWN_MISMATCHES["softmax_sequence"]
    model = build(spec, dtype="float64")
    compare_with_twin(torch, model, twin.twin_of(spec, model.state_dict()), _input(spec, rng, "float64"),
                      1e-10, rng=rng)  # fmt: skip


@pytest.mark.torch
def test_batchnorm_on_a_sequence_normalises_the_features(rng, torch, twin):
    spec = KNOWN_MISMATCHES["batchnorm_sequence"]
    model = build(spec, dtype="float64")
    compare_with_twin(torch, model, twin.twin_of(spec, model.state_dict()), _input(spec, rng, "float64"),
                      1e-10, rng=rng)  # fmt: skip


@pytest.mark.torch
def test_frozen_layer_is_not_trained(rng, torch, twin):
    spec = KNOWN_MISMATCHES["frozen_conv"]
    model = build(spec, dtype="float64")
    compare_with_twin(torch, model, twin.twin_of(spec, model.state_dict()), _input(spec, rng, "float64"),
                      1e-10, rng=rng)  # fmt: skip


@pytest.mark.torch
def test_twin_freezes_a_layer_with_trainable_false(twin):
    tmodel = twin.build_twin(KNOWN_MISMATCHES["frozen_conv"])
    assert [name for name, p in tmodel.named_parameters() if p.requires_grad] == ["2.weight", "2.bias"]
    assert (
        sum(p.numel() for p in tmodel.parameters() if p.requires_grad)
        == summarize(KNOWN_MISMATCHES["frozen_conv"]).trainable_params
    )
