"""The GPU backend: CuPy arrays and the array-module kernels on CuPy. The only module that imports CuPy.

Nothing happens at import. `gpu_backend()` imports CuPy, checks that a CUDA device answers,
builds the Backend of device "gpu" and registers it (engine/backend.py); `probe()` says what is
there without raising (for `cnntool info`). The kernel table is `engine/array_kernels` bound to
CuPy — the code the cpu-numpy backend runs and the tests check against numba — with these entries
bound differently:

- max pool's argmax takes one fused ElementwiseKernel per window tap (the rule of
  `array_kernels.pool.take_max`) instead of a chain of elementwise launches;
- max pool's backward scatters with `scatter_add_sorted` (passes of distinct indices) instead of
  atomics, so that a seeded run gives the same bits every time;
- the LSTM's gate arithmetic is one fused ElementwiseKernel a step, forward and backward (the
  `cell`/`cell_back` hooks of `array_kernels.recurrent`), instead of about fifteen launches.

The ElementwiseKernels (those three and dropout's generator) are the pieces no CPU test runs; the
NumPy code they stand for is tested, and tests/engine/test_device_parity.py runs them against the
CPU engine where a GPU exists (marked `gpu`).
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from typing import Any

from cnntool.engine.backend import Backend, DeviceError, Kernels, get_backend, register, registered

NOT_INSTALLED = "CuPy is not installed"

#: How to get a GPU backend (the message of every "no GPU" error, and docs/devices.md).
INSTALL_HINT = 'pip install "cnntool[gpu]" (CuPy for CUDA 12; with CUDA 13 use: pip install cupy-cuda13x)'

# The argmax rule of array_kernels.pool.take_max, in one pass: a valid tap wins when nothing was
# taken yet, or when it is larger, or NaN, while the best so far is not NaN.
_TAKE_MAX_SOURCE = """
if (valid && (arg < 0 || (best == best && (v > best || v != v)))) {
    best = v;
    arg = flat;
}
"""


@dataclass(frozen=True)
class GpuDevice:
    """One CUDA device as CuPy sees it."""

    index: int
    name: str
    compute_capability: str
    total_memory: int
    free_memory: int


@dataclass(frozen=True)
class GpuProbe:
    """What `probe()` found: `available`, else `reason` says what is missing."""

    available: bool
    reason: str
    cupy_version: str | None = None
    cuda_runtime: str | None = None
    devices: tuple[GpuDevice, ...] = ()


# U[0, 1) as SplitMix64 of (seed, element index): a counter-based generator, so making one per
# dropout call costs nothing (cuRAND's XORWOW initialises 256K states per generator) and the
# device holds no random state (engine/layers/dense.py: Dropout).
_UNIFORM_SOURCE = """
unsigned long long z = seed + (unsigned long long)(i + 1) * 0x9E3779B97F4A7C15ULL;
z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
z = z ^ (z >> 31);
u = (double)(z >> 11) * (1.0 / 9007199254740992.0);
"""


class _CounterUniform:
    """`.random(shape)`: float64 U[0, 1) on the GPU, element k = SplitMix64(seed, k)."""

    def __init__(self, kernel: Any, cupy: Any, seed: int) -> None:
        self._kernel, self._cupy, self._seed = kernel, cupy, seed

    def random(self, shape: Any) -> Any:
        out = self._cupy.empty(shape, dtype=self._cupy.float64)
        self._kernel(self._cupy.uint64(self._seed), out)
        return out


class CupyBackend(Backend):
    """The GPU: CuPy's arrays, copies to the host with `cupy.asnumpy`, a counter-based generator."""

    _uniform: Any = None

    def to_numpy(self, x: Any) -> Any:
        return self.xp.asnumpy(x)

    def rng(self, seed: int) -> Any:
        if self._uniform is None:
            self._uniform = self.xp.ElementwiseKernel(
                "uint64 seed", "float64 u", _UNIFORM_SOURCE, "cnntool_uniform"
            )
        return _CounterUniform(self._uniform, self.xp, seed)

    def synchronize(self) -> None:
        self.xp.cuda.get_current_stream().synchronize()


def _version_text(code: int) -> str:
    """CUDA's 12040 → "12.4"."""
    return f"{code // 1000}.{code % 1000 // 10}"


def probe() -> GpuProbe:
    """Whether the GPU backend can run here, and on what; never raises, imports CuPy only if installed."""
    if importlib.util.find_spec("cupy") is None:
        return GpuProbe(False, NOT_INSTALLED)
    try:
        import cupy
    except Exception as error:  # noqa: BLE001 - a broken CuPy install (a missing CUDA library) is "not usable"
        return GpuProbe(False, f"CuPy is installed but cannot be imported ({error})")
    version = str(cupy.__version__)
    runtime = cupy.cuda.runtime
    try:
        count = runtime.getDeviceCount()
        cuda = _version_text(runtime.runtimeGetVersion())
    except Exception as error:  # noqa: BLE001 - CUDARuntimeError: no driver, no device, driver too old
        return GpuProbe(False, f"CUDA found no usable GPU ({error})", version)
    if count < 1:
        return GpuProbe(False, "CUDA found no GPU", version, cuda)
    devices = []
    for index in range(count):
        props = runtime.getDeviceProperties(index)
        with cupy.cuda.Device(index):
            free, total = runtime.memGetInfo()
        name = props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])
        devices.append(GpuDevice(index, name, f"{props['major']}.{props['minor']}", int(total), int(free)))
    return GpuProbe(True, "", version, cuda, tuple(devices))


def unavailable_message(found: GpuProbe) -> str:
    """One line: what is missing for the GPU device, and how to get it."""
    if found.reason == NOT_INSTALLED:
        return f"the gpu device needs CuPy, which is not installed; install it with: {INSTALL_HINT}"
    if found.cupy_version is None:
        return (
            f"the gpu device cannot run: {found.reason}; reinstall it for your CUDA version: {INSTALL_HINT}"
        )
    return (
        f"the gpu device cannot run: CuPy {found.cupy_version} is installed but {found.reason}. Check the "
        f"NVIDIA driver (nvidia-smi) and that the CuPy wheel matches its CUDA version: {INSTALL_HINT}"
    )


# The LSTM's gate arithmetic of one step, one thread per (row, unit): the pre-activations are
# hg + x_t + bias (four gates, H apart in a row of 4H), then σ, tanh, the cell and m = o·tanh(c).
_LSTM_CELL_SOURCE = """
const ptrdiff_t j = i % H, row = (i / H) * 4 * H + j;
const T ai = hg[row] + x[row] + bias[j];
const T af = hg[row + H] + x[row + H] + bias[j + H];
const T ag = hg[row + 2 * H] + x[row + 2 * H] + bias[j + 2 * H];
const T ao = hg[row + 3 * H] + x[row + 3 * H] + bias[j + 3 * H];
const T gi = 1 / (1 + exp(-ai)), gf = 1 / (1 + exp(-af)), gg = tanh(ag), go = 1 / (1 + exp(-ao));
c = gf * c_prev + gi * gg;
tanh_c = tanh(c);
m = go * tanh_c;
gates[row] = gi;
gates[row + H] = gf;
gates[row + 2 * H] = gg;
gates[row + 3 * H] = go;
"""

# Its backward: dL/d(pre-activations) of the four gates and dL/dc_{t-1}, from dm = dL/dm_t and dc = dL/dc_t.
_LSTM_CELL_BACK_SOURCE = """
const ptrdiff_t row = (i / H) * 4 * H + i % H;
const T gi = gates[row], gf = gates[row + H], gg = gates[row + 2 * H], go = gates[row + 3 * H];
const T dct = dc + dm * go * (1 - tanh_c * tanh_c);
dgates[row] = dct * gg * gi * (1 - gi);
dgates[row + H] = dct * c_prev * gf * (1 - gf);
dgates[row + 2 * H] = dct * gi * (1 - gg * gg);
dgates[row + 3 * H] = dm * tanh_c * go * (1 - go);
dc_prev = dct * gf;
"""


def _lstm_cells(cupy: Any) -> tuple[Any, Any]:
    """The fused LSTM step kernels, behind array_kernels.recurrent's `cell` and `cell_back` hooks."""
    forward = cupy.ElementwiseKernel(
        "raw T hg, raw T x, raw T bias, T c_prev, int64 H", "T c, T tanh_c, T m, raw T gates",
        _LSTM_CELL_SOURCE, "cnntool_lstm_cell",
    )  # fmt: skip
    backward = cupy.ElementwiseKernel(
        "raw T gates, T c_prev, T tanh_c, T dm, T dc, int64 H", "raw T dgates, T dc_prev",
        _LSTM_CELL_BACK_SOURCE, "cnntool_lstm_cell_back",
    )  # fmt: skip

    def cell(hg, x, bias, c_prev, gates, c, tanh_c, m):
        forward(hg, x, bias, c_prev, c_prev.shape[1], c, tanh_c, m, gates)

    def cell_back(gates, c_prev, tanh_c, dm, dc, dgates, dc_prev):
        backward(gates, c_prev, tanh_c, dm, dc, c_prev.shape[1], dgates, dc_prev)

    return cell, cell_back


def _kernels(cupy: Any) -> Kernels:
    from cnntool.engine import array_kernels
    from cnntool.engine.array_kernels import pool, recurrent

    take_max = cupy.ElementwiseKernel(
        "T v, int64 flat, bool valid", "T best, int64 arg", _TAKE_MAX_SOURCE, "cnntool_take_max"
    )

    def tap_update(v: Any, best: Any, arg: Any, flat: Any, valid: Any) -> tuple[Any, Any]:
        take_max(v, flat, True if valid is None else valid, best, arg)
        return best, arg

    cell, cell_back = _lstm_cells(cupy)
    table = array_kernels.table(cupy)
    table["maxpool_forward"] = functools.partial(pool.maxpool_forward, cupy, tap_update=tap_update)
    table["maxpool_backward"] = functools.partial(
        pool.maxpool_backward, cupy, scatter=functools.partial(pool.scatter_add_sorted, cupy)
    )
    table["lstm_forward"] = functools.partial(recurrent.lstm_forward, cupy, cell=cell)
    table["lstm_backward"] = functools.partial(recurrent.lstm_backward, cupy, cell_back=cell_back)
    return Kernels(**table)


def gpu_backend() -> Backend:
    """The GPU backend, registered on first use; DeviceError saying what is missing when it cannot run."""
    if "gpu" in registered():
        return get_backend("gpu")
    found = probe()
    if not found.available:
        raise DeviceError(unavailable_message(found))
    import cupy

    backend = CupyBackend("cupy", "gpu", cupy, functools.partial(_kernels, cupy), array_type=cupy.ndarray)
    register(backend)
    return backend
