"""build(spec) against the analysis and PyTorch, whole-network training parity, save/load, export,
and the errors bad input gets. The PyTorch side is the twin built from the spec
(tests/engine/torch_twin.py), never the engine's own export, except where the export is under test."""

from __future__ import annotations

import numpy as np
import pytest

from cnntool.arith import analyze
from cnntool.engine import build, load, losses, optim
from cnntool.engine.export import export, to_torch, torch_source
from cnntool.errors import CnnToolError, ShapeError
from cnntool.spec.parser import parse
from tests.engine.specs import PARITY_SPECS

# torch notes that 'same' with an even kernel copies the input to pad it; the result is what we test.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")

LENET = (
    "1x28x28 | conv 6 k5 p2 | relu | maxpool 2 | conv 16 k5 | relu | maxpool 2 | flatten"
    " | dense 120 | relu | dense 84 | relu | dense 10"
)
SMALL_ALEXNET = (
    "3x63x63 | conv 16 k11 s4 p2 | relu | maxpool 3 s2 | conv 32 k5 p2 | relu | maxpool 3 s2"
    " | conv 48 k3 p1 | relu | conv 32 k3 p1 | relu | maxpool 3 s2 ceil=true | adaptiveavgpool 2"
    " | flatten | dropout | dense 64 | relu | dense 10"
)
RESNET_BLOCKS = (
    "3x16x16 | conv 8 k3 p1 bias=false | batchnorm | relu"
    " | res[conv 8 k3 p1 bias=false | batchnorm | relu | conv 8 k3 p1 bias=false | batchnorm] | relu"
    " | res[conv 16 k3 s2 p1 bias=false | batchnorm | relu | conv 16 k3 p1 bias=false | batchnorm] | relu"
    " | globalavgpool | dense 10"
)
NETS = [
    LENET,
    SMALL_ALEXNET,
    RESNET_BLOCKS,
    "lenet5",
    "3x32x32 | dwconv k3 p1 bias=false | conv 10 k1 bias=false",
]


def _analyze(spec):
    # Long spec text goes through the parser directly (a path check on it can hit ENAMETOOLONG).
    return analyze(parse(spec) if "|" in spec else spec)


@pytest.mark.parametrize("spec", NETS)
def test_build_matches_analysis_params_and_shapes(spec):
    model = build(spec)  # asserts every layer's real output shape equals the analysis'
    summary = _analyze(spec)
    assert sum(p.value.size for p in model.parameters()) == summary.trainable_params
    x = np.zeros((2, *summary.input_shape), dtype=np.float32)
    assert model.forward(x).shape == (2, *summary.output_shape)


@pytest.mark.torch
@pytest.mark.parametrize("spec", NETS)
def test_engine_torch_and_analysis_agree_layer_by_layer(spec, torch, twin):
    model = build(spec)
    tmodel = twin.twin_of(spec, model.state_dict(), "float32").eval()
    shapes = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: shapes.append(tuple(out.shape[1:])))
             for name, m in tmodel.named_modules() if name and "." not in name]  # fmt: skip
    summary = _analyze(spec)
    x = np.random.default_rng(0).standard_normal((2, *summary.input_shape)).astype(np.float32)
    out = tmodel(torch.tensor(x))
    for h in hooks:
        h.remove()
    assert shapes == [node.output_shape for node in summary.nodes]
    np.testing.assert_allclose(model.forward(x), out.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert list(model.state_dict()) == list(tmodel.state_dict())


def test_state_dict_names_follow_torch_sequential():
    names = list(build(LENET).state_dict())
    assert names == ["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias",
                     "11.weight", "11.bias"]  # fmt: skip
    res = list(build(RESNET_BLOCKS).state_dict())
    assert (
        "3.body.0.weight" in res
        and "5.shortcut.0.weight" in res
        and "5.shortcut.1.num_batches_tracked" in res
    )


@pytest.mark.torch
def test_lenet_training_matches_torch_after_10_steps(torch, twin):
    rng = np.random.default_rng(0)
    model = build(LENET, seed=0)
    tmodel = twin.twin_of(LENET, model.state_dict(), "float32").train()
    x = rng.standard_normal((16, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 16)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.05, momentum=0.9)
    for _ in range(10):
        loss, dlogits = losses.cross_entropy(model.forward(x, train=True), y)
        model.backward(dlogits)
        opt.step()
        opt.zero_grad()
        tloss = torch.nn.functional.cross_entropy(tmodel(torch.tensor(x)), torch.tensor(y))
        topt.zero_grad()
        tloss.backward()
        topt.step()
        assert loss == pytest.approx(tloss.item(), rel=1e-5)
    tstate = tmodel.state_dict()
    for name, value in model.state_dict().items():
        ref = tstate[name].numpy()
        assert np.abs(value - ref).max() <= 1e-5 * max(1.0, np.abs(ref).max()), name


# Batchnorm (running statistics), layernorm, residual projections, leaky slope, pooling options.
TRAIN_NETS = {
    "resnet_blocks": RESNET_BLOCKS,
    "norms_and_pools": (
        "2x12x12 | conv 6 k3 p1 | batchnorm | leakyrelu 0.1 | avgpool 3 s2 p1 count_include_pad=false"
        " | conv 8 k2 padding=same g2 | relu6 | maxpool 3 s2 dilation=2 ceil=true | flatten | dense 12"
        " | layernorm | tanh | dense 4"
    ),
}


@pytest.mark.torch
@pytest.mark.parametrize("net", sorted(TRAIN_NETS))
def test_float64_training_steps_match_torch(net, torch, twin):
    """Five SGD steps (momentum, weight decay) in float64: every loss, weight and running statistic."""
    spec, rng = TRAIN_NETS[net], np.random.default_rng(4)
    model = build(spec, seed=2, dtype="float64")
    tmodel = twin.twin_of(spec, model.state_dict()).train()
    x = 2 * rng.standard_normal((8, *_analyze(spec).input_shape))
    y = rng.integers(0, _analyze(spec).output_shape[0], 8)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    for _ in range(5):
        loss, dlogits = losses.cross_entropy(model.forward(x, train=True), y)
        model.backward(dlogits)
        opt.step()
        opt.zero_grad()
        tloss = torch.nn.functional.cross_entropy(tmodel(torch.tensor(x)), torch.tensor(y))
        topt.zero_grad()
        tloss.backward()
        topt.step()
        assert loss == pytest.approx(tloss.item(), rel=1e-11)
    tstate = tmodel.state_dict()
    assert list(model.state_dict()) == list(tstate)
    for name, value in model.state_dict().items():
        ref = tstate[name].numpy()
        assert np.abs(value - ref).max() <= 1e-10 * max(1.0, np.abs(ref).max()), name


def test_training_reduces_the_loss():
    rng = np.random.default_rng(1)
    model = build("2x6x6 | conv 4 k3 | relu | flatten | dense 2", seed=1)
    x = rng.standard_normal((32, 2, 6, 6)).astype(np.float32)
    y = (x[:, 0].mean(axis=(1, 2)) > 0).astype(np.int64)
    opt = optim.Adam(model.parameters(), lr=0.01)
    first = None
    for _ in range(60):
        loss, d = losses.cross_entropy(model.forward(x, train=True), y)
        first = first if first is not None else loss
        model.backward(d)
        opt.step()
        opt.zero_grad()
    assert loss < 0.5 * first


# --- save / load -------------------------------------------------------------------------------


def _trained(spec=RESNET_BLOCKS):
    rng = np.random.default_rng(2)
    model = build(spec, seed=3)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = rng.standard_normal((4, *model.input_shape)).astype(np.float32)
    loss, d = losses.cross_entropy(model.forward(x, train=True), np.array([0, 1, 2, 3]))
    model.backward(d)
    opt.step()
    return model, opt, x


def test_save_load_round_trip(tmp_path):
    model, opt, x = _trained()
    path = tmp_path / "m.npz"
    model.save(path, optimizer=opt)
    back = load(path)
    assert back.spec == model.spec and back.dtype == model.dtype
    for (k, a), (k2, b) in zip(model.state_dict().items(), back.state_dict().items(), strict=True):
        assert k == k2
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(back.forward(x), model.forward(x))
    assert back.optimizer_class == "SGD"
    opt2 = optim.SGD(back.parameters(), lr=0.01, momentum=0.9)
    opt2.load_state_dict(back.optimizer_state)
    np.testing.assert_array_equal(opt2.state[0]["momentum_buffer"], opt.state[0]["momentum_buffer"])


def test_save_is_atomic(tmp_path, monkeypatch):
    model, _, _ = _trained(LENET)
    path = tmp_path / "m.npz"
    model.save(path)
    good = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_load_refuses_corrupt_and_mismatched_files(tmp_path):
    model, _, _ = _trained(LENET)
    path = tmp_path / "m.npz"
    model.save(path)
    truncated = tmp_path / "t.npz"
    truncated.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CnnToolError, match="corrupt or truncated"):
        load(truncated)
    with pytest.raises(CnnToolError, match="no such model file"):
        load(tmp_path / "missing.npz")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["state/3.weight"] = np.zeros((16, 6, 3, 3), dtype=np.float32)
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(
        CnnToolError, match=r"'3.weight' expected float32\(16, 6, 5, 5\), found float32\(16, 6, 3, 3\)"
    ):
        load(bad)
    del arrays["state/3.weight"]
    np.savez(bad, **arrays)
    with pytest.raises(CnnToolError, match="'3.weight' is missing"):
        load(bad)


# --- export ------------------------------------------------------------------------------------


@pytest.mark.torch
def test_export_writes_a_module_that_loads_strictly(tmp_path, torch):
    import importlib.util

    model, _, x = _trained()
    source, weights = export(model, tmp_path / "net.py")
    assert weights.exists() and "nn.Sequential(" in source.read_text()
    spec = importlib.util.spec_from_file_location("net", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tmodel = module.load_model()
    np.testing.assert_allclose(
        tmodel(torch.tensor(x)).detach().numpy(), model.forward(x), rtol=1e-4, atol=1e-5
    )


@pytest.mark.torch
def test_trainable_false_is_frozen_in_the_exported_module_too(tmp_path, torch):
    """trainable=false layers keep requires_grad=False in PyTorch: in the written file and in to_torch()."""
    import importlib.util

    spec = "1x8x8 | conv 2 k3 trainable=false | res[ conv 2 k3 p1 | batchnorm trainable=false ] | flatten | dense 3"
    model = build(spec, seed=0)
    frozen = {"0.weight", "0.bias", "1.body.1.weight", "1.body.1.bias"}  # the two frozen layers' parameters
    live = {name for name, p in to_torch(model).named_parameters() if not p.requires_grad}
    source, _ = export(model, tmp_path / "frozen.py")
    loader = importlib.util.spec_from_file_location("frozen", source)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    written = {name for name, p in module.load_model().named_parameters() if not p.requires_grad}
    assert live == written == frozen


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(PARITY_SPECS))
def test_exported_module_matches_the_twin(name, torch, twin):
    """The exporter reads the engine's layers; the twin reads the spec: both must compute the same."""
    spec = PARITY_SPECS[name]
    model = build(spec, seed=1, dtype="float64")
    x = torch.tensor(np.random.default_rng(2).standard_normal((2, *_analyze(spec).input_shape)))
    exported = to_torch(model).eval()
    assert list(exported.state_dict()) == list(model.state_dict())
    np.testing.assert_allclose(
        exported(x).detach().numpy(),
        twin.twin_of(spec, model.state_dict()).eval()(x).detach().numpy(),
        rtol=1e-12,
        atol=1e-12,
    )


def test_export_refuses_what_torch_cannot_express():
    model = build("2x8x8 | conv 3 k4 s2 p1")
    assert "padding=(1, 1)" in torch_source(model)
    with pytest.raises(CnnToolError, match=r"must be a \.py file"):
        export(model, "model.txt")
    model.layers[0].padding = ((0, 1), (1, 1))
    with pytest.raises(CnnToolError, match="asymmetric padding"):
        torch_source(model)


# --- bad input ----------------------------------------------------------------------------------


def test_bad_input_names_layer_and_shape():
    model = build(LENET)
    with pytest.raises(ShapeError, match=r"model input: expected \(N, 1, 28, 28\), got \(28, 28\)"):
        model.forward(np.zeros((28, 28), dtype=np.float32))
    with pytest.raises(ShapeError, match=r"expected \(N, 1, 28, 28\), got \(2, 3, 28, 28\)"):
        model.forward(np.zeros((2, 3, 28, 28), dtype=np.float32))
    x = np.zeros((2, 1, 28, 28), dtype=np.float32)
    x[0, 0, 3, 3] = np.nan
    with pytest.raises(ValueError, match="1 NaN or infinite"):
        model.forward(x, check=True)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 10\)"):
        losses.cross_entropy(np.zeros((2, 10), dtype=np.float32), np.array([3, 10]))
    conv = model.layers[0]
    with pytest.raises(
        ShapeError,
        match=r"layer 1 \(conv 6 k5 p2\): expected 1 input channels, got input of shape \(1, 3, 8, 8\)",
    ):
        conv.forward(np.zeros((1, 3, 8, 8), dtype=np.float32))
    with pytest.raises(ShapeError, match=r"layer 8 \(dense 120\): expected input \(N, 400\)"):
        model.layers[7].forward(np.zeros((2, 399), dtype=np.float32))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        build(LENET).backward(np.zeros((2, 10), dtype=np.float32))


def test_float64_is_selectable():
    model = build(LENET, dtype="float64")
    assert all(p.value.dtype == np.float64 for p in model.parameters())
    assert model.forward(np.zeros((1, 1, 28, 28))).dtype == np.float64
    with pytest.raises(ValueError, match="not supported"):
        build(LENET, dtype="int32")


FUSED_SPEC = (
    "2x7x6 | conv 3 k3 p1 | relu | conv 4 k2 bias=false | relu6 | conv 3 k3 p1 | leakyrelu slope=0.2"
    " | conv 2 k1 | tanh | flatten | dense 9 | sigmoid | dense 5 | leakyrelu slope=0.1 | dense 3"
)


@pytest.mark.parametrize("train", [True, False])
def test_fused_bias_activation_equals_layer_by_layer(train, rng):
    """Sequential fuses conv + activation into one kernel; outputs and gradients are unchanged."""
    model = build(FUSED_SPEC, dtype="float64", seed=3)
    model.input_grad = True
    x = 2 * rng.standard_normal((3, 2, 7, 6))
    dout = rng.standard_normal((3, 3))
    out = model.forward(x, train=train)
    model.zero_grad()
    dx = model.backward(dout)
    grads = [p.grad.copy() for p in model.parameters()]
    h = x  # the same layers one at a time: nothing fused
    for layer in model.layers:
        h = layer.forward(h, train)
    np.testing.assert_allclose(out, h, rtol=1e-13, atol=1e-13)
    model.zero_grad()
    d = dout
    for layer in reversed(model.layers):
        d = layer.backward(d)
    np.testing.assert_allclose(dx, d, rtol=1e-13, atol=1e-13)
    for g, p in zip(grads, model.parameters(), strict=True):
        np.testing.assert_allclose(g, p.grad, rtol=1e-13, atol=1e-13)
