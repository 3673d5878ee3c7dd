"""Nearest-neighbour upsampling by integer factors."""

from __future__ import annotations

from typing import Any

from cnntool.arith.hyper import UpsampleHyper
from cnntool.engine.backend import backend_of
from cnntool.engine.layers.base import BuildContext, Layer, TorchCall
from cnntool.errors import CnnToolError


class Upsample(Layer):
    """Nearest-neighbour upsampling by integer factors: (N, C, *S) → (N, C, *(S·scale))."""

    kind = "upsample"
    kinds = ("upsample",)

    def __init__(self, scale: tuple[int, ...]) -> None:
        super().__init__()
        if any(int(s) != s or s < 1 for s in scale):
            raise ValueError(f"upsample: only positive integer scales are supported, got {scale}")
        self.scale = tuple(int(s) for s in scale)

    @classmethod
    def from_hyper(cls, hyper: UpsampleHyper, ctx: BuildContext) -> Upsample:
        if hyper.mode != "nearest":
            raise CnnToolError(f"{ctx.label}: only nearest upsampling is implemented")
        return cls(hyper.scale)

    def torch_call(self) -> TorchCall:
        scale = tuple(float(s) for s in self.scale)
        return TorchCall("nn.Upsample", (), (("scale_factor", scale), ("mode", "nearest")))

    def forward(self, x: Any, train: bool = False) -> Any:
        self._check_rank(x, (2 + len(self.scale),), "(N, C" + ", S" * len(self.scale) + ")")
        xp = backend_of(x).xp
        out = x
        for axis, s in enumerate(self.scale, start=2):
            out = xp.repeat(out, s, axis=axis)
        self._push(x.shape)
        return out

    def backward(self, dout: Any) -> Any:
        (shape,) = self._pop()
        split = [shape[0], shape[1]]
        for size, s in zip(shape[2:], self.scale, strict=True):
            split += [size, s]
        return dout.reshape(split).sum(axis=tuple(range(3, len(split), 2)))
