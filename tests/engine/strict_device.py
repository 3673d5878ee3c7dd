"""A stand-in for the GPU on a CPU: arrays that refuse to mix with NumPy's, as CuPy's arrays do.

`StrictArray` wraps a NumPy array and, like `cupy.ndarray`,
- refuses implicit conversion to NumPy (`np.asarray(a)` raises TypeError, through `__array__`),
- refuses ufuncs, NumPy functions and item assignments that mix it with a NumPy array (a host
  array reaching device code), while Python and NumPy scalars are fine,
- converts to float/int/bool (on a GPU, a synchronising copy of one value),
- takes NumPy integer arrays as indices (CuPy copies them to the device),
- has no `ufunc.at` here (the GPU's table scatters without it).
`XP` is its array module: NumPy's functions taking and giving StrictArrays, with `asarray`/`array`
as the one door from the host (a copy, as a host-to-device transfer is). Registered as the device
"strict" (`register_strict()`), it runs the array-module kernels bound as the GPU binds them, so
every GPU code path except CuPy's own kernels runs in CI: layers, containers, losses, optimizers,
dropout's device generator, checkpoints and fit().
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any

import numpy as np

from cnntool.engine import array_kernels
from cnntool.engine.array_kernels import pool
from cnntool.engine.backend import Backend, Kernels, register


class MixedArrays(TypeError):
    """A NumPy array met a device array: CuPy raises TypeError here too."""


def _unwrap(value: Any, what: str) -> Any:
    if isinstance(value, StrictArray):
        return value._a
    if isinstance(value, np.ndarray):
        raise MixedArrays(f"{what}: a NumPy array {value.shape} met a device array (CuPy refuses this)")
    if isinstance(value, tuple | list):
        return type(value)(_unwrap(v, what) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v, what) for k, v in value.items()}
    return value


def _wrap(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return StrictArray(value)
    if isinstance(value, np.generic):  # CuPy's reductions give 0-d arrays, not scalars
        return StrictArray(np.asarray(value))
    if isinstance(value, tuple | list):
        return type(value)(_wrap(v) for v in value)
    return value


def _index(key: Any) -> Any:
    """Indices: device arrays unwrapped, NumPy arrays allowed (CuPy copies them over)."""
    if isinstance(key, StrictArray):
        return key._a
    if isinstance(key, tuple):
        return tuple(_index(k) for k in key)
    return key


class StrictArray(np.lib.mixins.NDArrayOperatorsMixin):
    """A device array made of a NumPy array (see the module docstring)."""

    __slots__ = ("_a",)

    def __init__(self, a: np.ndarray) -> None:
        self._a = a

    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    T = property(lambda self: StrictArray(self._a.T))

    def __array__(self, dtype=None, copy=None):
        raise MixedArrays("Implicit conversion to a NumPy array is not allowed (use the backend's to_numpy)")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "at":
            raise MixedArrays(f"{ufunc.__name__}.at on a device array (use the backend's scatter)")
        args = _unwrap(inputs, ufunc.__name__)
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = _unwrap(out, ufunc.__name__)
        result = getattr(ufunc, method)(*args, **_unwrap({k: v for k, v in kwargs.items() if k != "out"}, ufunc.__name__),
                                        **({"out": kwargs["out"]} if out is not None else {}))  # fmt: skip
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func, types, args, kwargs):
        return _wrap(func(*_unwrap(args, func.__name__), **_unwrap(kwargs, func.__name__)))

    def __getitem__(self, key):
        return _wrap(self._a[_index(key)])

    def __setitem__(self, key, value):
        self._a[_index(key)] = _unwrap(value, "item assignment")

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self):
        return (_wrap(row) for row in self._a)

    def __float__(self) -> float:
        return float(self._a)

    def __int__(self) -> int:
        return int(self._a)

    def __bool__(self) -> bool:
        return bool(self._a)

    def __repr__(self) -> str:
        return f"StrictArray({self._a!r})"

    def get(self) -> np.ndarray:
        """A host copy (cupy.ndarray.get)."""
        return self._a.copy()

    def __getattr__(self, name: str) -> Any:  # methods: reshape, sum, astype, transpose, ...
        if name.startswith("__"):  # __array_interface__ and friends would be a door to NumPy
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if not callable(attr):
            return _wrap(attr)

        @functools.wraps(attr)
        def method(*args, **kwargs):
            return _wrap(attr(*_unwrap(args, name), **_unwrap(kwargs, name)))

        return method


class _Ufunc:
    def __init__(self, ufunc: np.ufunc) -> None:
        self._ufunc = ufunc

    def __call__(self, *args, **kwargs):
        out = kwargs.pop("out", None)
        result = self._ufunc(*_unwrap(args, self._ufunc.__name__), **_unwrap(kwargs, self._ufunc.__name__),
                             **({"out": _unwrap(out, self._ufunc.__name__)} if out is not None else {}))  # fmt: skip
        if out is not None:
            return out[0] if isinstance(out, tuple) and len(out) == 1 else out
        return _wrap(result)

    def __getattr__(self, name: str) -> Any:
        if name == "at":
            raise MixedArrays(f"{self._ufunc.__name__}.at on a device array (use the backend's scatter)")
        return _Function(getattr(self._ufunc, name), name)


class _Function:
    def __init__(self, fn: Any, name: str) -> None:
        self._fn, self._name = fn, name

    def __call__(self, *args, **kwargs):
        return _wrap(self._fn(*_unwrap(args, self._name), **_unwrap(kwargs, self._name)))


def _from_host(a: Any, dtype: Any = None, copy: Any = None, **kwargs: Any) -> StrictArray:
    """asarray/array: the one door from the host (a copy, as a transfer); a device array stays."""
    if isinstance(a, StrictArray):
        if copy:
            return StrictArray(np.array(a._a, dtype=dtype, copy=True, **kwargs))
        return a if dtype is None or np.dtype(dtype) == a.dtype else StrictArray(a._a.astype(dtype))
    return StrictArray(np.array(a, dtype=dtype, copy=True, **kwargs))


class StrictModule:
    """The array module of StrictArrays: NumPy's names, strict about what comes in."""

    def __init__(self, module: ModuleType = np) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        if self._module is np and name in ("asarray", "array"):
            return _from_host
        attr = getattr(self._module, name)
        if isinstance(attr, np.ufunc):
            return _Ufunc(attr)
        if isinstance(attr, ModuleType):
            return StrictModule(attr)
        if isinstance(attr, type) or not callable(attr):
            return attr
        return _Function(attr, name)


XP = StrictModule()


class _StrictGenerator:
    def __init__(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)

    def random(self, size: Any = None) -> StrictArray:
        return StrictArray(np.asarray(self._rng.random(size)))


class StrictBackend(Backend):
    """Device "strict": StrictArrays, the GPU's kernel table on XP, its own generator."""

    def to_numpy(self, x: Any) -> np.ndarray:
        return x.get() if isinstance(x, StrictArray) else np.asarray(x)

    def rng(self, seed: int) -> Any:
        return _StrictGenerator(seed)


def _kernels() -> Kernels:
    table = array_kernels.table(XP)
    table["maxpool_backward"] = functools.partial(
        pool.maxpool_backward, XP, scatter=functools.partial(pool.scatter_add_sorted, XP)
    )
    return Kernels(**table)


def register_strict() -> StrictBackend:
    backend = StrictBackend("strict", "strict", XP, _kernels, array_type=StrictArray)  # type: ignore[arg-type]
    register(backend)
    return backend
