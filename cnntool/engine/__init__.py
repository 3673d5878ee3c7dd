"""The training engine: numba-JIT NumPy layers with backprop, PyTorch semantics and layouts.

from cnntool.engine import build, load, losses, optim
model = build("1x28x28 | conv 6 k5 p2 | relu | maxpool 2 | flatten | dense 10", seed=0)

Importing this package is light (nothing below is imported until used); numba compiles
(or loads cached) kernels on first use. The layout is described in docs/architecture.md.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["Model", "build", "fit", "gradcheck", "hidden_grad_norms", "load", "losses", "optim", "to_torch"]

_WHERE = {
    "build": ("cnntool.engine.builder", "build"),
    "load": ("cnntool.engine.builder", "load"),
    "Model": ("cnntool.engine.containers", "Model"),
    "fit": ("cnntool.engine.train", "fit"),
    "to_torch": ("cnntool.engine.export", "to_torch"),
    "hidden_grad_norms": ("cnntool.engine.bptt", "hidden_grad_norms"),
}


def __getattr__(name: str) -> Any:  # lazy, so `import cnntool.engine` does not import numba
    if name in _WHERE:
        module, attr = _WHERE[name]
        return getattr(import_module(module), attr)
    if name in ("losses", "optim", "gradcheck"):
        return import_module(f"cnntool.engine.{name}")
    raise AttributeError(f"module 'cnntool.engine' has no attribute {name!r}")
