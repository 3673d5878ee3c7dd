"""The engine's one seam between layers and devices: array module, kernel table, random numbers.

A layer never imports numpy's kernels or a GPU library itself. At call time it asks
`backend_of(x)` for the backend that owns its input, and uses that backend's `xp` (the
array module) and `kernels` (im2col/col2im, pooling, bias+activation, batch normalisation,
the recurrent time loops, large matmuls). Three backends exist (docs/devices.md):

- "cpu": NumPy arrays, the numba kernels of `engine/kernels/` (the default);
- "cpu-numpy": NumPy arrays, the array-module kernels of `engine/array_kernels/` on NumPy
  (for machines without numba, and the yardstick of the GPU's table);
- "gpu": CuPy arrays, the same array-module kernels on CuPy, built and registered by
  `engine/backend_gpu.py`, the only module that imports CuPy (lazily).

NumPy arrays cannot tell which of the two CPU tables they want, so the choice for them is
the process's default (CNNTOOL_BACKEND=numba or numpy), overridden for the duration of a
model's own calls by the model's device (`compute_scope(model.backend)`), so a "cpu" and a
"cpu-numpy" model can live in one process. Random generators, finiteness checks and the
conversion to NumPy for saving go through the backend too, so they follow the arrays.

The BLAS thread limit is scoped here as well: numba's parallel kernels and a multi-threaded
BLAS fight over the cores (measured 10× slower on 2 cores, see benchmarks/engine.py), so
numba-backed engine calls run inside `compute_scope()`, which limits the BLAS (threadpoolctl)
for their duration only. Importing the engine changes nothing in the process.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from cnntool import config
from cnntool.errors import CnnToolError, InputError


@dataclass(frozen=True)
class Kernels:
    """The kernel table: every function a layer may call for heavy lifting (see kernels/*.py)."""

    im2col: Callable[..., Any]
    col2im: Callable[..., Any]
    maxpool_forward: Callable[..., Any]
    maxpool_backward: Callable[..., Any]
    avgpool_forward: Callable[..., Any]
    avgpool_backward: Callable[..., Any]
    bias_act: Callable[..., Any]
    batchnorm_stats: Callable[..., Any]
    batchnorm_forward: Callable[..., Any]
    batchnorm_backward: Callable[..., Any]
    # recurrent time loops: one recurrent matmul and one fused gate pass per step (kernels/recurrent.py)
    lstm_forward: Callable[..., Any]
    lstm_backward: Callable[..., Any]
    gru_forward: Callable[..., Any]
    gru_backward: Callable[..., Any]
    rnn_forward: Callable[..., Any]
    rnn_backward: Callable[..., Any]
    # large all-steps matmuls, split by rows over threads (kernels/gemm.py)
    matmul: Callable[..., Any]
    matmul_tn: Callable[..., Any]


class DeviceError(CnnToolError):
    """A device that cannot run here: says what is missing and how to get it."""


@dataclass(eq=False)
class Backend:
    """One device: `xp` (its array module), its kernel table (loaded on first use) and helpers.

    `limits_blas`: its kernels run on numba's threads, so engine calls limit the BLAS's
    (compute_scope). A GPU backend subclasses this and overrides `to_numpy`, `rng` and
    `synchronize` (engine/backend_gpu.py).
    """

    name: str
    device: str
    xp: ModuleType
    load_kernels: Callable[[], Kernels] = field(repr=False)
    array_type: type = field(repr=False, default=np.ndarray)
    limits_blas: bool = field(repr=False, default=False)
    _kernels: Kernels | None = field(default=None, repr=False)

    @property
    def host(self) -> bool:
        """Whether its arrays are NumPy arrays in the host's memory."""
        return self.array_type is np.ndarray

    @property
    def kernels(self) -> Kernels:
        if self._kernels is None:
            self._kernels = self.load_kernels()
        return self._kernels

    def owns(self, x: object) -> bool:
        return isinstance(x, self.array_type)

    def asarray(self, x: object, dtype: object = None) -> Any:
        """A C-contiguous array on this device (kernels index it directly); 0-d stays 0-d."""
        a = self.xp.asarray(x, dtype=dtype)
        return a if a.flags.c_contiguous else self.xp.ascontiguousarray(a)

    def to_numpy(self, x: Any) -> np.ndarray:
        """A NumPy copy on the host (for saving, printing, comparing)."""
        return np.asarray(x)

    def all_finite(self, x: Any) -> bool:
        return bool(self.xp.isfinite(x).all())

    def rng(self, seed: int) -> Any:
        """A generator of this device seeded with `seed`, with `.random(shape)` → U[0, 1) on the
        device (dropout draws one per call, so it must be cheap to make)."""
        return np.random.default_rng(seed)

    def synchronize(self) -> None:
        """Wait until the device has finished the work queued so far (timings; a no-op on the host)."""


def _numba_kernels() -> Kernels:
    try:
        from cnntool.engine.kernels import act, conv, gemm, norm, pool, recurrent
    except ImportError as error:
        raise DeviceError(
            f"the CPU's numba kernels cannot be loaded ({error}): install numba (pip install numba), "
            "or set CNNTOOL_BACKEND=numpy to run the CPU on NumPy kernels"
        ) from None

    return Kernels(
        im2col=conv.im2col,
        col2im=conv.col2im,
        maxpool_forward=pool.maxpool_forward,
        maxpool_backward=pool.maxpool_backward,
        avgpool_forward=pool.avgpool_forward,
        avgpool_backward=pool.avgpool_backward,
        bias_act=act.bias_act,
        batchnorm_stats=norm.batchnorm_stats,
        batchnorm_forward=norm.batchnorm_forward,
        batchnorm_backward=norm.batchnorm_backward,
        lstm_forward=recurrent.lstm_forward,
        lstm_backward=recurrent.lstm_backward,
        gru_forward=recurrent.gru_forward,
        gru_backward=recurrent.gru_backward,
        rnn_forward=recurrent.rnn_forward,
        rnn_backward=recurrent.rnn_backward,
        matmul=gemm.matmul,
        matmul_tn=gemm.matmul_tn,
    )


def _numpy_kernels() -> Kernels:
    from cnntool.engine import array_kernels

    return Kernels(**array_kernels.table(np))


#: The CPU with the numba kernels (device "cpu").
NUMBA = Backend("numba", "cpu", np, _numba_kernels, limits_blas=True)
#: The CPU with the array-module kernels on NumPy (device "cpu-numpy").
NUMPY = Backend("numpy", "cpu-numpy", np, _numpy_kernels)
_BACKENDS: dict[str, Backend] = {"cpu": NUMBA, "cpu-numpy": NUMPY}
_HOST_CHOICES = {"numba": NUMBA, "numpy": NUMPY}
_host_default: Backend | None = None


def host_default() -> Backend:
    """The CPU backend NumPy arrays use outside a model's calls: CNNTOOL_BACKEND (numba or numpy)."""
    global _host_default
    if _host_default is None:
        choice = config.BACKEND
        if choice not in _HOST_CHOICES:
            raise DeviceError(f"CNNTOOL_BACKEND={choice!r}: expected numba (the default) or numpy")
        _host_default = _HOST_CHOICES[choice]
    return _host_default


def register(backend: Backend) -> None:
    """Make `backend` available as `device=backend.device` (a GPU module calls this)."""
    _BACKENDS[backend.device] = backend


def unregister(device: str) -> None:
    """Forget a registered device (the built-in CPU backends stay)."""
    if device not in ("cpu", "cpu-numpy"):
        _BACKENDS.pop(device, None)


def registered() -> tuple[str, ...]:
    """The device names with a backend in this process (a GPU's only once it was asked for)."""
    return tuple(_BACKENDS)


def get_backend(device: str = "cpu") -> Backend:
    """The backend registered for a device name ("cpu": the host default); a clear error for others.

    `engine.devices.backend_for` also resolves "auto" and loads the GPU backend on demand.
    """
    if device == "cpu":
        return host_default()
    try:
        return _BACKENDS[device]
    except KeyError:
        known = ", ".join(sorted(_BACKENDS))
        raise DeviceError(f"unknown device {device!r}; available: {known}") from None


def backend_of(x: object) -> Backend:
    """The backend that owns array `x`: for NumPy arrays (and anything unknown) the CPU backend
    in effect (a model's own, inside its calls; else the host default)."""
    if type(x) is not np.ndarray:
        for backend in _BACKENDS.values():
            if not backend.host and backend.owns(x):
                return backend
    return getattr(_scope, "host", None) or host_default()


# --- dtypes ---------------------------------------------------------------------------------


def default_dtype() -> np.dtype:
    """The configured floating dtype (float32 unless CNNTOOL_DTYPE says float64)."""
    return np.dtype(config.DTYPE)


def resolve_dtype(dtype: object = None) -> np.dtype:
    """`None` → the configured default; otherwise float32 or float64, anything else is an error."""
    if dtype is None:
        return default_dtype()
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise InputError(f"dtype {dtype!r} is not supported: use float32 or float64") from None
    if resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise InputError(f"dtype {resolved} is not supported: use float32 or float64")
    return resolved


# --- threads --------------------------------------------------------------------------------

_scope = threading.local()
_controller: Any = None
_modules_seen = 0


def _blas_controller() -> Any:
    """threadpoolctl's view of the loaded BLAS libraries, rebuilt when modules were imported since:
    a BLAS loaded later (numba loads scipy's own OpenBLAS when scipy is installed) would otherwise
    escape the limit. Counting sys.modules is O(1); the rebuild (milliseconds) happens rarely."""
    global _controller, _modules_seen
    if _controller is None or len(sys.modules) != _modules_seen:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
        _modules_seen = len(sys.modules)
    return _controller


@contextlib.contextmanager
def compute_scope(backend: Backend | None = None) -> Iterator[None]:
    """Run engine work for `backend` (a model's): NumPy arrays use its kernels when it is a CPU
    backend, and the BLAS is limited to `config.BLAS_THREADS` while numba's threads run
    (`CNNTOOL_BLAS_THREADS`, when set, limits it for every CPU backend). Reentrant; restored on exit."""
    previous = getattr(_scope, "host", None)
    host = backend if backend is not None and backend.host else (previous or host_default())
    _scope.host = host
    depth = getattr(_scope, "depth", 0)
    limit = config.BLAS_THREADS if host.limits_blas else config.BLAS_THREADS_SET
    try:
        if depth or limit is None or (backend is not None and not backend.host):
            _scope.depth = depth + 1
            try:
                yield
            finally:
                _scope.depth = depth
            return
        _scope.depth = 1
        try:
            with _blas_controller().limit(limits=limit, user_api="blas"):
                yield
        finally:
            _scope.depth = 0
    finally:
        _scope.host = previous
