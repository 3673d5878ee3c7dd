"""Device plumbing on a CPU: which kernels NumPy arrays get, device names and their errors, the GPU
probe's messages (with a stand-in CuPy), CNNTOOL_BACKEND / CNNTOOL_DEVICE, and that the CPU never
imports CuPy."""

from __future__ import annotations

import dataclasses
import importlib.machinery
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from cnntool import config
from cnntool.engine import backend as backend_module
from cnntool.engine import backend_gpu, build, devices
from cnntool.engine.backend import (
    NUMBA,
    NUMPY,
    DeviceError,
    backend_of,
    compute_scope,
    get_backend,
    host_default,
)
from cnntool.errors import CnnToolError

ROOT = Path(__file__).resolve().parents[2]
LENET = (
    "1x28x28 | conv 6 k5 p2 | relu | maxpool 2 | conv 16 k5 | relu | maxpool 2 | flatten"
    " | dense 120 | relu | dense 84 | relu | dense 10"
)


def _counting(monkeypatch, backend):
    """Count the calls of `backend`'s im2col (its kernel table, wrapped)."""
    calls = []
    table = backend.kernels

    def im2col(*args, **kwargs):
        calls.append(1)
        return table.im2col(*args, **kwargs)

    monkeypatch.setattr(backend, "_kernels", dataclasses.replace(table, im2col=im2col))
    return calls


def test_a_cpu_and_a_cpu_numpy_model_each_run_their_own_kernels(monkeypatch):
    numba_calls, numpy_calls = _counting(monkeypatch, NUMBA), _counting(monkeypatch, NUMPY)
    x = np.random.default_rng(0).standard_normal((2, 1, 28, 28)).astype(np.float32)
    on_numba, on_numpy = build(LENET, seed=0, device="cpu"), build(LENET, seed=0, device="cpu-numpy")
    numba_calls.clear(), numpy_calls.clear()  # the builds' shape checks ran on their own devices too
    a = on_numpy.forward(x, train=True)
    assert (len(numba_calls), len(numpy_calls)) == (0, 2)
    b = on_numba.forward(x, train=True)
    assert (len(numba_calls), len(numpy_calls)) == (2, 2)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    on_numpy.backward(np.ones_like(a))
    assert len(numba_calls) == 2  # backward too, and nothing leaks out of the model's scope
    assert backend_of(x) is host_default() is NUMBA


def test_compute_scope_sets_the_host_kernels_and_restores_them():
    x = np.zeros(3)
    with compute_scope(NUMPY):
        assert backend_of(x) is NUMPY
        with compute_scope(NUMBA):
            assert backend_of(x) is NUMBA
        assert backend_of(x) is NUMPY
    assert backend_of(x) is NUMBA
    with pytest.raises(RuntimeError), compute_scope(NUMPY):
        raise RuntimeError("boom")
    assert backend_of(x) is NUMBA


def test_model_device_names():
    assert build("4 | dense 2").device == "cpu"
    model = build("4 | dense 2", device="cpu-numpy")
    assert model.device == "cpu-numpy" and model.backend is NUMPY
    assert model.to("cpu").device == "cpu"
    assert get_backend("cpu") is NUMBA and get_backend("cpu-numpy") is NUMPY


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("tpu", "device 'tpu' is not a device; choose one of: auto, cpu, cpu-numpy, gpu"),
        ("gpus", "(did you mean 'gpu'?)"),
        ("cpu_numpy", "(did you mean 'cpu-numpy'?)"),
    ],
)
def test_unknown_device_names_are_refused_with_the_choices(name, message):
    with pytest.raises(DeviceError) as error:
        build("4 | dense 2", device=name)
    assert message in str(error.value)
    assert isinstance(error.value, CnnToolError)


def test_device_names_are_case_insensitive_and_auto_is_the_cpu_without_a_gpu(monkeypatch):
    assert devices.resolve_device("CPU-NumPy") == "cpu-numpy"
    monkeypatch.setattr(devices, "probe", lambda: backend_gpu.GpuProbe(False, "no"))
    assert devices.resolve_device("auto") == "cpu"
    assert build("4 | dense 2", device="auto").device == "cpu"
    monkeypatch.setattr(devices, "probe", lambda: backend_gpu.GpuProbe(True, ""))
    assert devices.resolve_device("auto") == "gpu"


def _no_cupy(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # find_spec → None: as if not installed
    backend_module.unregister("gpu")


def test_gpu_without_cupy_says_what_to_install(monkeypatch):
    _no_cupy(monkeypatch)
    found = backend_gpu.probe()
    assert (found.available, found.reason, found.cupy_version) == (False, "CuPy is not installed", None)
    expected = (
        'the gpu device needs CuPy, which is not installed; install it with: pip install "cnntool[gpu]" '
        "(CuPy for CUDA 12; with CUDA 13 use: pip install cupy-cuda13x)"
    )
    for call in (
        lambda: build("4 | dense 2", device="gpu"),
        lambda: build("4 | dense 2").to("gpu"),
        lambda: devices.resolve_device("gpu"),
    ):
        with pytest.raises(DeviceError) as error:
            call()
        assert str(error.value) == expected


def _fake_cupy(monkeypatch, count=None, error=None):
    """A stand-in `cupy` module: CUDA reports `count` devices (an H100) or raises `error`."""
    runtime = types.SimpleNamespace()

    def device_count():
        if error is not None:
            raise error
        return count

    runtime.getDeviceCount = device_count
    runtime.runtimeGetVersion = lambda: 12040
    runtime.getDeviceProperties = lambda i: {"name": b"NVIDIA H100 80GB HBM3", "major": 9, "minor": 0}
    runtime.memGetInfo = lambda: (70 * 2**30, 80 * 2**30)

    class Device:
        def __init__(self, index):
            self.index = index

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    cupy = types.ModuleType("cupy")
    cupy.__spec__ = importlib.machinery.ModuleSpec("cupy", None)
    cupy.__version__ = "13.6.0"
    cupy.cuda = types.SimpleNamespace(runtime=runtime, Device=Device)
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    backend_module.unregister("gpu")
    return cupy


def test_cupy_without_a_gpu_names_the_cuda_error(monkeypatch):
    _fake_cupy(monkeypatch, error=RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected"))
    found = backend_gpu.probe()
    assert not found.available and found.cupy_version == "13.6.0"
    with pytest.raises(DeviceError) as error:
        devices.resolve_device("gpu")
    assert str(error.value) == (
        "the gpu device cannot run: CuPy 13.6.0 is installed but CUDA found no usable GPU (cudaErrorNoDevice: "
        "no CUDA-capable device is detected). Check the NVIDIA driver (nvidia-smi) and that the CuPy wheel "
        'matches its CUDA version: pip install "cnntool[gpu]" (CuPy for CUDA 12; with CUDA 13 use: pip install '
        "cupy-cuda13x)"
    )
    assert devices.resolve_device("auto") == "cpu"
    _fake_cupy(monkeypatch, count=0)
    assert backend_gpu.probe().reason == "CUDA found no GPU"


def test_probe_reports_the_gpus_cuda_sees(monkeypatch):
    _fake_cupy(monkeypatch, count=2)
    found = backend_gpu.probe()
    assert found.available and found.reason == "" and found.cuda_runtime == "12.4"
    assert found.devices == tuple(
        backend_gpu.GpuDevice(i, "NVIDIA H100 80GB HBM3", "9.0", 80 * 2**30, 70 * 2**30) for i in range(2)
    )
    gpu = {s.device: s for s in devices.statuses()}["gpu"]
    assert (
        gpu.available and gpu.detail == "NVIDIA H100 80GB HBM3 (80.0 GiB), NVIDIA H100 80GB HBM3 (80.0 GiB)"
    )


def test_cnntool_device_sets_the_default_device(monkeypatch):
    monkeypatch.setattr(config, "DEVICE", "cpu-numpy")
    assert build("4 | dense 2").device == "cpu-numpy"
    assert build("4 | dense 2", device="cpu").device == "cpu"  # an explicit device wins
    monkeypatch.setattr(config, "DEVICE", "gpux")
    with pytest.raises(
        DeviceError, match=r"CNNTOOL_DEVICE 'gpux' is not a device; .*\(did you mean 'gpu'\?\)"
    ):
        build("4 | dense 2")


def test_a_bad_cnntool_backend_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(config, "BACKEND", "cuda")
    monkeypatch.setattr(backend_module, "_host_default", None)
    with pytest.raises(DeviceError, match=r"CNNTOOL_BACKEND='cuda': expected numba \(the default\) or numpy"):
        build("4 | dense 2")
    monkeypatch.setattr(config, "BACKEND", "numpy")
    monkeypatch.setattr(backend_module, "_host_default", None)
    assert host_default() is NUMPY and build("4 | dense 2").device == "cpu-numpy"


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=environment
    )


NO_NUMBA = f"""
import sys
import numpy as np
from cnntool.engine import build, fit, optim
from cnntool.engine.backend import backend_of
model = build({LENET!r}, seed=0)
rng = np.random.default_rng(0)
x, y = rng.standard_normal((32, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 32)
events = list(fit(model, x, y, optim.SGD(model.parameters(), lr=0.05), batch_size=16, rng=rng))
print(model.device, backend_of(x).name, round(events[-1].loss, 3), "numba" in sys.modules)
"""


def test_cnntool_backend_numpy_trains_without_importing_numba():
    result = _run(NO_NUMBA, CNNTOOL_BACKEND="numpy")
    assert result.returncode == 0, result.stderr
    device, kernels, loss, numba_imported = result.stdout.split()
    assert (device, kernels, numba_imported) == ("cpu-numpy", "numpy", "False")
    assert 0 < float(loss) < 10


NO_CUPY = f"""
import sys

class Refuse:
    tried = []
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("cupy", "cupyx", "cupy_backends"):
            Refuse.tried.append(name)
            raise ImportError("the CPU must not import " + name)
        return None

sys.meta_path.insert(0, Refuse())
import numpy as np
from cnntool.engine import build, fit, load, optim
from cnntool.engine.devices import resolve_device
rng = np.random.default_rng(0)
x, y = rng.standard_normal((16, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 16)
for device in ("cpu", "cpu-numpy", None):
    model = build({LENET!r} + " | dropout 0.1", seed=0, device=device)
    list(fit(model, x, y, optim.Adam(model.parameters()), batch_size=8, rng=rng, clip_norm=1.0))
    model.save(sys.argv[1])
    load(sys.argv[1], device="cpu-numpy").to("cpu")
    rnn = build("12x6 | lstm 8 return_sequences=false | dense 10", seed=0, device=device)
    seq = rng.standard_normal((16, 12, 6)).astype(np.float32)
    list(fit(rnn, seq, y, optim.SGD(rnn.parameters(), lr=0.1), batch_size=8, rng=rng))
print(resolve_device("cpu"), resolve_device(None), Refuse.tried, [m for m in sys.modules if m.startswith("cupy")])
"""


def test_the_cpu_never_imports_cupy(tmp_path):
    """Building, training, saving, loading and moving between the CPU devices import no CuPy: a
    finder that refuses cupy/cupyx would turn any attempt into an error (CuPy need not be installed)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", NO_CUPY, str(tmp_path / "m.npz")], capture_output=True, text=True, cwd=ROOT,
        env=environment,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["cpu", "cpu", "[]", "[]"]
