"""The array module of the engine: every array the engine creates comes from `xp`.

Only NumPy today. A CuPy backend would be selected here (and only here) so that
layer code, written against `xp`, does not change.
"""

from __future__ import annotations

import numpy as np

from cnntool import config

#: The array module (numpy); layers call `xp.zeros`, `xp.empty`, ... never numpy directly.
xp = np


def default_dtype() -> np.dtype:
    """The configured floating dtype (float32 unless CNNTOOL_DTYPE says float64)."""
    return np.dtype(config.DTYPE)


def resolve_dtype(dtype: object = None) -> np.dtype:
    """`None` → the configured default; otherwise float32 or float64, anything else is an error."""
    if dtype is None:
        return default_dtype()
    resolved = np.dtype(dtype)
    if resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype {resolved} is not supported: use float32 or float64")
    return resolved


def asarray(x: object, dtype: object = None) -> np.ndarray:
    """A C-contiguous array of `dtype` (kernels index it directly)."""
    return xp.ascontiguousarray(x, dtype=dtype)
