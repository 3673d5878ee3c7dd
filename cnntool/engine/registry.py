"""The layer registry: which engine class builds each spec kind.

Each layer kind is declared once, by its class: `kinds` (the spec kinds it builds),
`from_hyper` (the factory, from arith's typed hyper-parameters) and `torch_call` (its PyTorch
twin, for export). `build` and the exporter read this table; neither has an if-ladder over
kinds. Adding a layer kind is one new module in engine/layers/ and one entry in `BUILTIN`
below (or `register(cls)` from outside the package, as a test of the seam does).
"""

from __future__ import annotations

from cnntool.engine.layers.activations import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from cnntool.engine.layers.base import Layer
from cnntool.engine.layers.conv import Conv, ConvTranspose
from cnntool.engine.layers.dense import Dense, Dropout, Flatten
from cnntool.engine.layers.embedding import Embedding
from cnntool.engine.layers.norm import BatchNorm, LayerNorm
from cnntool.engine.layers.pool import AdaptiveAvgPool, AvgPool, GlobalAvgPool, MaxPool
from cnntool.engine.layers.recurrent import Recurrent
from cnntool.engine.layers.resample import Upsample

#: Every layer class the engine ships, one entry per class.
BUILTIN: tuple[type[Layer], ...] = (
    Conv,
    ConvTranspose,
    MaxPool,
    AvgPool,
    AdaptiveAvgPool,
    GlobalAvgPool,
    Upsample,
    Dense,
    Flatten,
    Dropout,
    BatchNorm,
    LayerNorm,
    ReLU,
    LeakyReLU,
    Sigmoid,
    Tanh,
    Softmax,
    Embedding,
    Recurrent,
)

_KINDS: dict[str, type[Layer]] = {kind: cls for cls in BUILTIN for kind in cls.kinds}


def register(cls: type[Layer]) -> type[Layer]:
    """Add a layer class for its `kinds` (replacing an earlier one); usable as a class decorator."""
    if not cls.kinds:
        raise ValueError(f"{cls.__name__}.kinds names no spec kind to build")
    for kind in cls.kinds:
        _KINDS[kind] = cls
    return cls


def unregister(cls: type[Layer]) -> None:
    """Remove `cls` again (restoring a built-in class of the same kind, if there is one)."""
    builtin = {kind: b for b in BUILTIN for kind in b.kinds}
    for kind in cls.kinds:
        if _KINDS.get(kind) is cls:
            if kind in builtin:
                _KINDS[kind] = builtin[kind]
            else:
                del _KINDS[kind]


def layer_class(kind: str) -> type[Layer] | None:
    """The class that builds spec kind `kind`, or None when the engine cannot train it yet."""
    return _KINDS.get(kind)


def trainable_kinds() -> tuple[str, ...]:
    """The spec kinds `build` can turn into layers, sorted."""
    return tuple(sorted(_KINDS))
