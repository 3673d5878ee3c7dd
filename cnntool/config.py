"""Run-time settings of the engine: dtype, numba flags and threads, with environment overrides.

Every `@njit` kernel takes its options from `NJIT_OPTIONS` here, so that one
place decides fastmath, parallelism and caching (docs/architecture.md, rule 5). Nothing
heavy is imported: `cnntool summary` imports this module without numpy or numba.

Environment variables (read once, at import):
- ``CNNTOOL_DTYPE``: ``float32`` (default) or ``float64``.
- ``CNNTOOL_THREADS``: numba thread count (default: numba's, i.e. all cores).
- ``CNNTOOL_FASTMATH``: ``1`` (default) a safe fastmath set without nnan/ninf, so NaN
  still propagates and can be detected; ``0`` off; ``full`` numba's whole set.
- ``CNNTOOL_PARALLEL``: ``1`` (default) compile kernels with ``parallel=True``; ``0`` off.
- ``CNNTOOL_BLAS_THREADS``: threads of the BLAS behind NumPy's matmul while an engine call runs
  (default 1 when kernels are parallel: numba's threads and OpenBLAS's spinning threads would
  otherwise fight over the cores, which measured 10× slower on 2 cores; see benchmarks/engine.py).
  The limit is scoped to engine calls (`engine.backend.compute_scope`), never process-wide.
- ``CNNTOOL_CACHE``: ``1`` (default) cache compiled kernels on disk so a second process
  does not recompile; ``0`` off.
- ``CNNTOOL_BACKEND``: the CPU's kernels, ``numba`` (default) or ``numpy`` (the array-module
  kernels, for machines without numba); checked by `engine.backend.host_default` when used.
- ``CNNTOOL_DEVICE``: the device `engine.build` and `engine.load` use when none is given
  (``cpu``, ``cpu-numpy``, ``gpu`` or ``auto``); checked by `engine.devices` when used.
"""

from __future__ import annotations

import os

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    value = value.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}={value!r}: expected 1/0, true/false, yes/no or on/off")


def _dtype() -> str:
    value = os.environ.get("CNNTOOL_DTYPE", "float32").strip().lower()
    if value not in ("float32", "float64"):
        raise ValueError(f"CNNTOOL_DTYPE={value!r}: expected float32 or float64")
    return value


def _threads(name: str = "CNNTOOL_THREADS") -> int | None:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return None
    if not value.strip().isdigit() or int(value) < 1:
        raise ValueError(f"{name}={value!r}: expected a positive integer")
    return int(value)


def _fastmath() -> bool | set[str]:
    value = os.environ.get("CNNTOOL_FASTMATH", "1").strip().lower()
    if value == "full":
        return True
    if _flag("CNNTOOL_FASTMATH", True):
        # No nnan/ninf: with them LLVM may delete NaN checks and max-pool's -inf padding.
        return {"nsz", "arcp", "contract", "afn", "reassoc"}
    return False


#: Default floating dtype name of new models and arrays ("float32" or "float64").
DTYPE: str = _dtype()
#: Numba thread count, or None for numba's default.
THREADS: int | None = _threads()
#: fastmath flag passed to every kernel.
FASTMATH: bool | set[str] = _fastmath()
#: Whether kernels are compiled with parallel=True (prange loops run on threads).
PARALLEL: bool = _flag("CNNTOOL_PARALLEL", True)
#: BLAS threads the engine asks for (None: leave the BLAS alone).
BLAS_THREADS: int | None = _threads("CNNTOOL_BLAS_THREADS") or (1 if PARALLEL else None)
#: BLAS threads asked for explicitly by CNNTOOL_BLAS_THREADS (None: not set); also limits cpu-numpy.
BLAS_THREADS_SET: int | None = _threads("CNNTOOL_BLAS_THREADS")
#: Whether compiled kernels are cached on disk.
CACHE: bool = _flag("CNNTOOL_CACHE", True)
#: The CPU's kernel table: "numba" or "numpy" (validated where it is used, with a clear message).
BACKEND: str = os.environ.get("CNNTOOL_BACKEND", "numba").strip().lower() or "numba"
#: The default device of build() and load(), as written (None: "cpu"); validated by engine.devices.
DEVICE: str | None = os.environ.get("CNNTOOL_DEVICE", "").strip() or None

#: The keyword arguments of every `@njit` in cnntool.engine.kernels.
NJIT_OPTIONS: dict[str, object] = {"fastmath": FASTMATH, "parallel": PARALLEL, "cache": CACHE, "nogil": True}
#: The same for small kernels with no loop worth running in parallel.
NJIT_SERIAL: dict[str, object] = {**NJIT_OPTIONS, "parallel": False}


def apply_threads() -> None:
    """Set numba's thread count from CNNTOOL_THREADS (called when the kernels load).

    The BLAS is not touched here: `engine.backend.compute_scope()` limits it for the duration of
    each engine call only, so importing the engine never changes the rest of the process.
    """
    if THREADS is not None:
        import numba

        numba.set_num_threads(min(THREADS, numba.config.NUMBA_NUM_THREADS))


def _numba_cache_locator(py_file: str) -> object | None:
    """The first of numba's own cache locators that can write the compiled kernels of `py_file`
    (beside it, in NUMBA_CACHE_DIR, or in the user's cache folder); None when none can, and
    True for a numba without that API (let it decide)."""
    try:
        from numba.core.caching import CacheImpl

        locators = CacheImpl._locator_classes
    except (ImportError, AttributeError):  # another numba: let it decide
        return True

    def probe() -> None:  # a stand-in function defined nowhere special
        return None

    for locator in locators:
        try:
            found = locator.from_function(probe, py_file)
        except Exception:  # noqa: BLE001 - a locator that cannot decide is one that cannot cache
            continue
        if found is not None:
            return found
    return None


def numba_cache_usable(py_file: str) -> bool:
    """Whether numba has somewhere to write the compiled kernels of `py_file`: beside it, in
    NUMBA_CACHE_DIR, or in the user's cache folder (asked of numba's own cache locators)."""
    return _numba_cache_locator(py_file) is not None


def numba_cache_dir(py_file: str) -> str | None:
    """The folder numba caches the compiled kernels of `py_file` in (None: none, or not known)."""
    locator = _numba_cache_locator(py_file)
    if locator is None or locator is True:
        return None
    try:
        return str(locator.get_cache_path())  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - numba's private API changed: say "not known"
        return None


def disable_cache_if_unwritable(py_file: str) -> bool:
    """Turn kernel caching off, saying so once on stderr, when numba could not write its cache.

    Without this, numba raises at the first compile ("cannot cache function ... no locator
    available") and every engine command fails on a read-only install with no writable home.
    Returns whether caching stays on.
    """
    if not NJIT_OPTIONS["cache"] or numba_cache_usable(py_file):
        return bool(NJIT_OPTIONS["cache"])
    NJIT_OPTIONS["cache"] = NJIT_SERIAL["cache"] = False
    import sys

    print(
        "cnntool: no writable place for numba's compiled-kernel cache, so kernels are compiled in every run "
        "(set NUMBA_CACHE_DIR to a writable folder to keep them)",
        file=sys.stderr,
    )
    return False
