"""Shared vocabulary of the per-layer arithmetic: what a layer receives and what it returns.

Each layer function takes (LayerSpec, Tensor, Ctx) and returns a Computed; the
walker in analyze.py adds indices, receptive fields and error context, so a
layer function only knows its own formulas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod

from cnntool.arith.formulas import Formula
from cnntool.arith.hyper import Hyper
from cnntool.errors import CnnToolError
from cnntool.text import shape_text


class LayerProblem(CnnToolError):
    """Raised by a layer function; the walker prefixes the layer's index, text and input shape."""


@dataclass(frozen=True)
class Tensor:
    """A per-sample tensor: shape (channels first) and how to read it (vector/sequence/signal/image)."""

    shape: tuple[int, ...]
    layout: str

    @property
    def size(self) -> int:
        return prod(self.shape)

    @property
    def spatial(self) -> tuple[int, ...]:
        return self.shape[1:] if self.layout in ("signal", "image") else ()


@dataclass(frozen=True)
class Ctx:
    convention: str = "pytorch"  # or "keras": single-bias RNN counts, BN stats as params, 'same' with stride


@dataclass
class Computed:
    """One layer's arithmetic before the walker numbers it.

    rf: how the layer moves the receptive field: None (unchanged), ("window", k_eff, stride,
    pad_left) per axis, ("transpose", k_eff, stride, pad), ("upsample", scale), ("global",),
    or ("drop",) when the output has no spatial meaning (recurrent, embedding).
    """

    out: Tensor
    params: int = 0
    buffers: int = 0
    non_trainable: int = 0
    unshared: int | None = None
    dense: int | None = None
    macs: int = 0
    formulas: list[Formula] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    hyper: Hyper | None = None
    rf: tuple | None = None


def expand(value: int | tuple[int, ...], rank: int, name: str) -> tuple[int, ...]:
    """k3 → (3, 3) on an image; k3x5 must match the input's number of spatial axes."""
    if isinstance(value, int):
        return (value,) * rank
    if len(value) != rank:
        raise LayerProblem(
            f"{name} {'x'.join(map(str, value))} has {len(value)} sizes but the input has {rank} spatial "
            f"dimension{'s' if rank > 1 else ''}"
        )
    return tuple(value)


def axis_names(rank: int) -> tuple[str, ...]:
    return ("L",) if rank == 1 else ("H", "W")


def dot(*factors: int) -> str:
    """'55·55·96' for a product written out."""
    return "·".join(str(f) for f in factors)


def need_spatial(x: Tensor, kind: str) -> None:
    if x.layout not in ("signal", "image"):
        what = "a vector" if x.layout == "vector" else "a T×F sequence"
        raise LayerProblem(
            f"{kind} needs C×L or C×H×W input, but gets {what} of shape {shape_text(x.shape)}; "
            "convolution and pooling work on images (3x32x32) or signals (3x64)"
        )
