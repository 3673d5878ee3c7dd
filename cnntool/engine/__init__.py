"""The training engine: numba-JIT NumPy layers with backprop, PyTorch semantics and layouts.

from cnntool.engine import build, load, losses, optim
model = build("1x28x28 | conv 6 k5 p2 | relu | maxpool 2 | flatten | dense 10", seed=0)

Importing this package is light; numba compiles (or loads cached) kernels on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["build", "load", "losses", "optim", "gradcheck", "Model", "fit"]


def __getattr__(name: str) -> Any:  # lazy, so `import cnntool.engine` does not import numba
    if name in ("build", "Model"):
        return getattr(import_module("cnntool.engine.model"), name)
    if name == "load":
        return import_module("cnntool.engine.serialize").load
    if name == "fit":
        return import_module("cnntool.engine.train").fit
    if name in ("losses", "optim", "gradcheck"):
        return import_module(f"cnntool.engine.{name}")
    raise AttributeError(f"module 'cnntool.engine' has no attribute {name!r}")
