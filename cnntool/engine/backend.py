"""The engine's one seam between layers and devices: array module, kernel table, random numbers.

A layer never imports numpy's kernels or a GPU library itself. At call time it asks
`backend_of(x)` for the backend that owns its input, and uses that backend's `xp` (the
array module: numpy here) and `kernels` (im2col/col2im, pooling, bias+activation,
batch normalisation, the recurrent time loops). The CPU backend's kernels are the numba ones in `engine/kernels/`;
a second backend (CuPy, a plain-NumPy one) is one new module that builds a `Backend`
with its own kernel table and calls `register`. Random generators, finiteness checks
and the conversion to NumPy for saving go through the backend too, so they follow the
arrays to whatever device holds them.

The BLAS thread limit is scoped here as well: numba's parallel kernels and a multi-threaded
BLAS fight over the cores (measured 10× slower on 2 cores, see benchmarks/engine.py), so
engine calls run inside `compute_scope()`, which limits the BLAS (threadpoolctl) for their
duration only. Importing the engine changes nothing in the process.
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


@dataclass(eq=False)
class Backend:
    """One device: `xp` (its array module), its kernel table (loaded on first use) and helpers."""

    name: str
    device: str
    xp: ModuleType
    load_kernels: Callable[[], Kernels] = field(repr=False)
    array_type: type = field(repr=False, default=np.ndarray)
    _kernels: Kernels | None = field(default=None, repr=False)

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
        """A generator of this device seeded with `seed` (dropout masks)."""
        return np.random.default_rng(seed)


def _numba_kernels() -> Kernels:
    from cnntool.engine.kernels import act, conv, gemm, norm, pool, recurrent

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


#: The CPU backend: NumPy arrays, numba kernels.
CPU = Backend("numba", "cpu", np, _numba_kernels)

_BACKENDS: dict[str, Backend] = {"cpu": CPU}


def register(backend: Backend) -> None:
    """Make `backend` available as `device=backend.device` (a GPU module calls this)."""
    _BACKENDS[backend.device] = backend


def get_backend(device: str = "cpu") -> Backend:
    """The backend for a device name ("cpu"); a clear error for an unknown one."""
    try:
        return _BACKENDS[device]
    except KeyError:
        known = ", ".join(sorted(_BACKENDS))
        raise CnnToolError(f"unknown device {device!r}; available: {known}") from None


def backend_of(x: object) -> Backend:
    """The backend that owns array `x` (NumPy arrays and anything unknown: the CPU)."""
    if type(x) is np.ndarray:  # the common case, without walking the table
        return CPU
    for backend in _BACKENDS.values():
        if backend is not CPU and backend.owns(x):
            return backend
    return CPU


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
def compute_scope() -> Iterator[None]:
    """Run engine work with the BLAS limited to `config.BLAS_THREADS` (reentrant; restored on exit)."""
    depth = getattr(_scope, "depth", 0)
    if depth or config.BLAS_THREADS is None:
        _scope.depth = depth + 1
        try:
            yield
        finally:
            _scope.depth = depth
        return
    _scope.depth = 1
    try:
        with _blas_controller().limit(limits=config.BLAS_THREADS, user_api="blas"):
            yield
    finally:
        _scope.depth = 0
