"""The GPU backend: CuPy arrays and the array-module kernels on CuPy. The only module that imports CuPy.

Nothing happens at import. `gpu_backend()` imports CuPy, checks that a CUDA device answers,
builds the Backend of device "gpu" and registers it (engine/backend.py); `probe()` says what is
there without raising (for `cnntool info`). The kernel table is `engine/array_kernels` bound to
CuPy — the code the cpu-numpy backend runs and the tests check against numba — with two entries
bound differently:

- max pool's argmax takes one fused ElementwiseKernel per window tap (`_TAKE_MAX`, the same rule
  as `array_kernels.pool.take_max`) instead of a chain of five elementwise launches;
- max pool's backward scatters with `scatter_add_sorted` (passes of distinct indices) instead of
  atomics, so that a seeded run gives the same bits every time.

The fused kernel is the one piece of this table that no CPU test runs: tests/engine/test_gpu.py
checks it (and everything else here) against the CPU engine where a GPU exists.
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


def _kernels(cupy: Any) -> Kernels:
    from cnntool.engine import array_kernels
    from cnntool.engine.array_kernels import pool

    take_max = cupy.ElementwiseKernel(
        "T v, int64 flat, bool valid", "T best, int64 arg", _TAKE_MAX_SOURCE, "cnntool_take_max"
    )

    def tap_update(v: Any, best: Any, arg: Any, flat: Any, valid: Any) -> tuple[Any, Any]:
        take_max(v, flat, True if valid is None else valid, best, arg)
        return best, arg

    table = array_kernels.table(cupy)
    table["maxpool_forward"] = functools.partial(pool.maxpool_forward, cupy, tap_update=tap_update)
    table["maxpool_backward"] = functools.partial(
        pool.maxpool_backward, cupy, scatter=functools.partial(pool.scatter_add_sorted, cupy)
    )
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
