"""Every device against the CPU engine (numba): every layer's forward and gradients, 20 training
steps of LeNet-5 through fit(), checkpoints across devices, and dropout's device generator.

Devices: "cpu-numpy" (the array-module kernels on NumPy), "strict" (the same kernels bound as the
GPU binds them, on arrays that refuse to mix with NumPy's as CuPy's do: tests/engine/strict_device.py)
and "gpu" (CuPy; marked `gpu`, skipped with the reason where CuPy or a GPU is missing).
Tolerances as the PyTorch parity tests: float64 ≤ 1e-10, float32 ≤ 1e-5, relative to the largest value.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnntool.arith import summarize
from cnntool.engine import build, fit, load, losses, optim
from cnntool.engine.backend import backend_of, unregister
from cnntool.engine.backend_gpu import probe
from cnntool.spec import parse
from tests.engine.specs import INPUT_SCALE, PARITY_SPECS
from tests.engine.strict_device import register_strict
from tests.engine.test_torch_parity import perturb, randomise_running_stats

TOL = {"float64": 1e-10, "float32": 1e-5}
LENET = (
    "1x28x28 | conv 6 k5 p2 | relu | maxpool 2 | conv 16 k5 | relu | maxpool 2 | flatten"
    " | dense 120 | relu | dense 84 | relu | dense 10"
)
NORMS = (
    "2x12x12 | conv 6 k3 p1 | batchnorm | leakyrelu 0.1 | avgpool 3 s2 p1 count_include_pad=false"
    " | res[conv 6 k3 p1 | batchnorm | relu | conv 6 k3 p1] | maxpool 3 s2 dilation=2 ceil=true"
    " | flatten | dense 12 | layernorm | tanh | dense 4"
)

DEVICES = [
    pytest.param("cpu-numpy", id="cpu-numpy"),
    pytest.param("strict", id="strict"),
    pytest.param("gpu", id="gpu", marks=pytest.mark.gpu),
]


@pytest.fixture(params=DEVICES)
def device(request):
    name = request.param
    if name == "gpu":
        found = probe()
        if not found.available:
            pytest.skip(f"needs CuPy and an NVIDIA GPU: {found.reason}")
    if name == "strict":
        register_strict()
        yield name
        unregister("strict")
        return
    yield name


def host(a):
    return backend_of(a).to_numpy(a)


def assert_close(ours, ref, tol, what):
    ours, ref = host(ours), np.asarray(ref)
    assert ours.shape == ref.shape and ours.dtype == ref.dtype, (
        f"{what}: {ours.dtype}{ours.shape} vs {ref.dtype}{ref.shape}"
    )
    scale = max(1.0, float(np.abs(ref).max(initial=0.0)))
    err = float(np.abs(ours.astype(np.float64) - ref.astype(np.float64)).max(initial=0.0)) / scale
    assert err <= tol, f"{what}: relative difference {err:.2e} > {tol:.0e}"


def _input(spec, rng, dtype, n=3, name=""):
    shape = summarize(parse(spec)).input_shape
    return (INPUT_SCALE.get(name, 1.0) * rng.standard_normal((n, *shape))).astype(dtype)


def _pair(spec, dtype, device, seed=5):
    """The CPU engine's model (perturbed, running statistics randomised) and the same on `device`."""
    ref = build(spec, dtype=dtype, seed=seed, device="cpu")
    assert ref.backend.name == "numba"
    rng = np.random.default_rng(seed)
    perturb(ref, rng)
    randomise_running_stats(ref, rng)
    dev = build(spec, dtype=dtype, seed=seed, device=device)
    dev.load_state_dict(ref.state_dict())
    assert dev.device == device
    return ref, dev


# The recurrent layers and the embedding (PARITY_SPECS holds the kinds PyTorch's Sequential twin has).
RECURRENT_SPECS = {
    "rnn_relu_2layers": "6x4 | rnn 5 nonlinearity=relu layers=2",
    "rnn_bidirectional_nobias": "6x4 | rnn 5 bidirectional bias=false",
    "gru_bidirectional_2layers": "6x4 | gru 5 bidirectional layers=2",
    "lstm": "6x4 | lstm 5",
    "lstm_last_dense": "6x4 | lstm 5 return_sequences=false | dense 3",
    "lstm_bidirectional_2layers_dropout": "6x4 | lstm 5 bidirectional layers=2 dropout=0.3",
    "lstm_proj_bidirectional": "6x4 | lstm 5 proj_size=3 bidirectional",
    "lstm_peephole": "6x4 | lstm 5 peephole=true",
    "lstm_bptt": "6x4 | lstm 5 bptt=2",
    "embedding_gru": "6 | embedding 20 4 padding_idx=0 | gru 5 return_sequences=false | dense 2",
}
ALL_SPECS = {**PARITY_SPECS, **RECURRENT_SPECS}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(ALL_SPECS))
def test_layer_forward_and_gradients_equal_the_cpu_engine(name, dtype, device):
    spec, tol = ALL_SPECS[name], TOL[dtype]
    ref, dev = _pair(spec, dtype, device)
    rng = np.random.default_rng(1)
    for train in (True, False):
        if train and "dropout" in name and not dev.backend.host:
            continue  # a device draws its own masks (test_dropout_masks_on_a_device_are_seeded)
        if ref.layers[0].accepts_integers:  # token ids, 0 (the padding id) included
            x = rng.integers(0, 20, (3, *ref.input_shape))
        else:
            x = _input(spec, rng, dtype, name=name)
        ref.input_grad = dev.input_grad = True
        out = ref.forward(x, train=train)
        got = dev.forward(x, train=train)
        assert dev.backend.owns(got), f"output left the device: {type(got)}"
        assert_close(got, out, tol, f"output (train={train})")
        upstream = rng.standard_normal(out.shape).astype(dtype)
        ref.zero_grad()
        dev.zero_grad()
        dx, ref_dx = dev.backward(upstream), ref.backward(upstream)
        if ref_dx is not None:  # an embedding has no input gradient
            assert_close(dx, ref_dx, tol, f"input gradient (train={train})")
        grads = {p.name: p.grad for p in ref.parameters()}
        for p in dev.parameters():
            assert_close(p.grad, grads[p.name], tol, f"gradient of {p.name} (train={train})")
        ref_state = ref.state_dict()
        for key, value in dev.state_dict().items():
            assert_close(value, ref_state[key], tol, f"state {key} (train={train})")


def _glyphs(n, seed):
    rng = np.random.default_rng(seed)
    templates = (np.random.default_rng(42).random((10, 28, 28)) > 0.7).astype(np.float32)
    y = rng.integers(0, 10, n)
    x = templates[y] + 0.5 * rng.standard_normal((n, 28, 28)).astype(np.float32)
    return x[:, None].astype(np.float32), y


def _fit_events(model, x, y, opt, **kwargs):
    return [e for e in fit(model, x, y, opt, rng=np.random.default_rng(3), **kwargs)]


def test_lenet5_training_20_steps_matches_the_cpu_engine(device):
    """Two epochs of 10 steps (SGD with momentum, batch 16) through fit(), with validation: every
    step's loss and accuracy and the final weights equal the numba CPU run within float32 tolerance."""
    x, y = _glyphs(160, 0)
    xv, yv = _glyphs(48, 1)
    runs = []
    for where in ("cpu", device):
        model = build(LENET, seed=0, device=where)
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        runs.append((model, _fit_events(model, x, y, opt, epochs=2, batch_size=16, validation=(xv, yv))))
    (ref, ref_events), (dev, dev_events) = runs
    assert len(dev_events) == len(ref_events) == 22
    for a, b in zip(dev_events, ref_events, strict=True):
        assert (a.kind, a.epoch, a.step) == (b.kind, b.epoch, b.step)
        assert a.loss == pytest.approx(b.loss, rel=1e-5)
        assert a.accuracy == pytest.approx(b.accuracy, abs=1e-9)
    assert dev_events[-1].val_loss == pytest.approx(ref_events[-1].val_loss, rel=1e-5)
    assert dev_events[-1].val_accuracy == pytest.approx(ref_events[-1].val_accuracy, abs=1e-9)
    assert ref_events[-1].loss < ref_events[0].loss  # it learned something, on both
    ref_state = ref.state_dict()
    for key, value in dev.state_dict().items():
        assert_close(value, ref_state[key], 1e-5, key)


def test_norms_residual_sgd_and_clipping_train_as_on_the_cpu(device):
    """Batchnorm running statistics, a residual block, layernorm, pooling options; SGD (Nesterov,
    weight decay) with gradient clipping; 10 steps through fit(), float64 (so the comparison is to
    1e-10). Not Adam: it divides the rounding noise of the zero gradient of a bias before a
    batchnorm by its own square root, which no two summation orders agree on."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((40, 2, 12, 12))
    y = rng.integers(0, 4, 40)
    runs = []
    for where in ("cpu", device):
        model = build(NORMS, seed=2, dtype="float64", device=where)
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)
        events = _fit_events(model, x, y, opt, epochs=2, batch_size=8, clip_norm=0.5)
        runs.append((model, opt, events))
    (ref, ref_opt, ref_events), (dev, dev_opt, dev_events) = runs
    for a, b in zip(dev_events, ref_events, strict=True):
        assert a.loss == pytest.approx(b.loss, rel=1e-10)
    ref_state = ref.state_dict()
    for key, value in dev.state_dict().items():
        assert_close(value, ref_state[key], 1e-10, key)
    ref_opt_state = ref_opt.state_dict()
    for key, value in dev_opt.state_dict().items():
        assert_close(value, ref_opt_state[key], 1e-10, f"optimizer {key}")


def test_checkpoints_cross_devices_with_identical_arrays(device, tmp_path):
    """device → file → CPU → file → device: every array (weights, buffers, optimizer state) bit for bit."""
    rng = np.random.default_rng(4)
    model = build(NORMS, seed=1, device=device)
    opt = optim.Adam(model.parameters(), lr=0.01)
    x, y = rng.standard_normal((8, 2, 12, 12)).astype(np.float32), rng.integers(0, 4, 8)
    for _ in range(2):  # moments, step counts and running statistics that are not their initial values
        _, d = losses.cross_entropy(model.forward(x, train=True), y)
        model.backward(d)
        opt.step()
        opt.zero_grad()
    model.save(tmp_path / "device.npz", optimizer=opt)
    cpu = load(tmp_path / "device.npz", device="cpu")
    assert cpu.device == "cpu" and cpu.optimizer_class == "Adam"
    original = {k: host(v) for k, v in model.state_dict().items()}
    for key, value in cpu.state_dict().items():
        assert type(value) is np.ndarray
        np.testing.assert_array_equal(value, original[key], err_msg=key)
    cpu_opt = optim.Adam(cpu.parameters(), lr=0.01)
    cpu_opt.load_state_dict(cpu.optimizer_state)
    cpu.save(tmp_path / "cpu.npz", optimizer=cpu_opt)
    back = load(tmp_path / "cpu.npz", device=device)
    assert back.device == device
    back_opt = optim.Adam(back.parameters(), lr=0.01)
    back_opt.load_state_dict(back.optimizer_state)
    for key, value in back.state_dict().items():
        assert back.backend.owns(value), key
        np.testing.assert_array_equal(host(value), original[key], err_msg=key)
    saved = {k: host(v) for k, v in opt.state_dict().items()}
    for key, value in back_opt.state_dict().items():
        np.testing.assert_array_equal(host(value), saved[key], err_msg=key)
    # ... and the moved model and optimizer keep training on the device.
    _, d = losses.cross_entropy(back.forward(x, train=True), y)
    back.backward(d)
    back_opt.step()
    assert all(back.backend.owns(p.value) for p in back.parameters())


def test_model_to_moves_every_array_and_back(device):
    model = build(NORMS, seed=1, device="cpu")
    before = {k: np.array(v) for k, v in model.state_dict().items()}
    model.to(device)
    assert model.device == device
    assert all(model.backend.owns(v) for v in model.state_dict().values())
    assert all(model.backend.owns(p.grad) for p in model.parameters())
    model.to("cpu")
    assert model.device == "cpu"
    for key, value in model.state_dict().items():
        assert type(value) is np.ndarray
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_dropout_masks_on_a_device_are_seeded(device):
    x = np.ones((4, 1000), dtype=np.float32)
    first, second = (build("1000 | dropout 0.25", seed=7, device=device) for _ in range(2))
    a, b = host(first.forward(x, train=True)), host(second.forward(x, train=True))
    np.testing.assert_array_equal(a, b)  # the same seed, the same masks: run to run
    assert set(np.unique(a)) == {np.float32(0.0), np.float32(1 / 0.75)}
    assert abs((a == 0).mean() - 0.25) < 0.03
    assert not np.array_equal(host(first.forward(x, train=True)), a)  # a new mask every step
    cpu = host(build("1000 | dropout 0.25", seed=7, device="cpu").forward(x, train=True))
    # The CPU draws from the build's generator; a device from its own one (docs/devices.md).
    assert np.array_equal(a, cpu) == first.backend.host
    np.testing.assert_array_equal(host(first.forward(x, train=False)), x)  # eval: the identity


def test_lengths_initial_state_and_state_gradients_equal_the_cpu_engines(device):
    """Variable lengths, a given initial state, the final state returned and its gradient fed back."""
    spec = "7x3 | lstm 4 layers=2 bidirectional"
    ref, dev = _pair(spec, "float64", device)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 7, 3))
    lengths = np.array([7, 2, 5])
    state = (rng.standard_normal((4, 3, 4)), rng.standard_normal((4, 3, 4)))
    results = []
    for model in (ref, dev):
        model.input_grad = True
        out, (h, c) = model.forward(x, train=True, state=state, lengths=lengths, return_state=True)
        dx = model.backward(np.ones(out.shape), dstate=(np.full(h.shape, 0.5), np.full(c.shape, -0.25)))
        results.append((out, h, c, dx, *model.state_grad, {p.name: p.grad for p in model.parameters()}))
    (*ref_arrays, ref_grads), (*dev_arrays, dev_grads) = results
    for what, a, b in zip(("output", "h_n", "c_n", "dx", "dh0", "dc0"), dev_arrays, ref_arrays, strict=True):
        assert_close(a, b, 1e-10, what)
    for name, grad in dev_grads.items():
        assert_close(grad, ref_grads[name], 1e-10, name)


def test_lstm_training_20_steps_matches_the_cpu_engine(device):
    """A stacked, bidirectional LSTM classifier, 20 SGD steps through fit() with gradient clipping
    (float32): every loss and the final weights as on the CPU."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((80, 12, 6)).astype(np.float32)
    y = rng.integers(0, 4, 80)
    runs = []
    for where in ("cpu", device):
        model = build(
            "12x6 | lstm 16 | lstm 10 bidirectional return_sequences=false | dense 4", seed=3, device=where
        )
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        runs.append((model, _fit_events(model, x, y, opt, epochs=4, batch_size=16, clip_norm=1.0)))
    (ref, ref_events), (dev, dev_events) = runs
    assert len(dev_events) == len(ref_events) == 24  # 20 steps and 4 epoch events
    for a, b in zip(dev_events, ref_events, strict=True):
        assert a.loss == pytest.approx(b.loss, rel=1e-5)
    assert ref_events[-1].loss < ref_events[0].loss
    ref_state = ref.state_dict()
    for key, value in dev.state_dict().items():
        assert_close(value, ref_state[key], 1e-5, key)
