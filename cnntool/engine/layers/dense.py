"""Dense (PyTorch's Linear), Flatten and Dropout."""

from __future__ import annotations

from typing import Any

import numpy as np

from cnntool.arith.hyper import DenseHyper, DropoutHyper, FlattenHyper
from cnntool.engine.backend import backend_of, resolve_dtype
from cnntool.engine.init import bias_uniform, kaiming_uniform
from cnntool.engine.layers.base import BuildContext, Layer, TorchCall
from cnntool.errors import ShapeError


class Dense(Layer):
    """y = x·Wᵀ + b on the last axis: x (N, …, in) → (N, …, out); W (out, in) as PyTorch's Linear."""

    kind = "dense"
    kinds = ("dense",)

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, *, rng=None, dtype=None
    ) -> None:
        super().__init__()
        dtype = resolve_dtype(dtype)
        rng = rng if rng is not None else np.random.default_rng(0)
        self.in_features, self.out_features = in_features, out_features
        self.weight = self._add_param(
            "weight", kaiming_uniform((out_features, in_features), in_features, rng, dtype)
        )
        self.bias = (
            self._add_param("bias", bias_uniform((out_features,), in_features, rng, dtype)) if bias else None
        )

    @classmethod
    def from_hyper(cls, hyper: DenseHyper, ctx: BuildContext) -> Dense:
        return cls(hyper.in_features, hyper.out_features, hyper.bias, rng=ctx.rng, dtype=ctx.dtype)

    def torch_call(self) -> TorchCall:
        return TorchCall(
            "nn.Linear", (self.in_features, self.out_features), (("bias", self.bias is not None),)
        )

    # Not fused with a following activation (accepts_act stays False): an (N, out) output has one
    # value per (sample, feature) row of the fused kernel, measured 3-10x slower than NumPy's two passes.
    def forward(self, x: Any, train: bool = False) -> Any:
        if x.ndim < 2 or x.shape[-1] != self.in_features:
            raise ShapeError(f"{self.label}: expected input (N, {self.in_features}), got {x.shape}")
        x2 = x.reshape(-1, self.in_features)
        out = x2 @ self.weight.value.T
        if self.bias is not None:
            out += self.bias.value
        self._push(x2, x.shape)
        return out.reshape(*x.shape[:-1], self.out_features)

    def backward(self, dout: Any) -> Any:
        x2, shape = self._pop()
        d2 = dout.reshape(-1, self.out_features)
        self.weight.grad += d2.T @ x2
        if self.bias is not None:
            self.bias.grad += d2.sum(axis=0)
        return (d2 @ self.weight.value).reshape(shape)


class Flatten(Layer):
    """(N, d1, d2, …) → (N, d1·d2·…), as PyTorch's Flatten(start_dim=1)."""

    kind = "flatten"
    kinds = ("flatten",)

    @classmethod
    def from_hyper(cls, hyper: FlattenHyper, ctx: BuildContext) -> Flatten:
        return cls()

    def torch_call(self) -> TorchCall:
        return TorchCall("nn.Flatten")

    def forward(self, x: Any, train: bool = False) -> Any:
        self._push(x.shape)
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: Any) -> Any:
        (shape,) = self._pop()
        return dout.reshape(shape)


class Dropout(Layer):
    """Inverted dropout: in training zero each value with probability p and scale the rest by 1/(1−p),
    so evaluation is the identity.

    On the CPU the mask comes from the generator given at construction (the build's). On another
    device it is drawn there, from a seed this generator draws for each call: the device keeps no
    random state of its own, so a seeded run repeats itself on the same device, a saved run (which
    keeps this generator's state) resumes exactly, and no mask is copied to the device.
    """

    kind = "dropout"
    kinds = ("dropout",)

    def __init__(self, p: float = 0.5, *, rng=None) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout: p must be in [0, 1), got {p}")
        self.p = p
        self.rng = rng if rng is not None else np.random.default_rng(0)

    @classmethod
    def from_hyper(cls, hyper: DropoutHyper, ctx: BuildContext) -> Dropout:
        return cls(hyper.p, rng=ctx.rng)

    def torch_call(self) -> TorchCall:
        return TorchCall("nn.Dropout", (float(self.p),))

    def forward(self, x: Any, train: bool = False) -> Any:
        if not train or self.p == 0.0:
            self._push(None)
            return x
        backend = backend_of(x)
        xp = backend.xp
        if backend.host:
            uniform = self.rng.random(x.shape)
        else:
            uniform = backend.rng(int(self.rng.integers(2**63 - 1))).random(x.shape)
        mask = (xp.asarray(uniform) >= self.p).astype(x.dtype) / x.dtype.type(1.0 - self.p)
        self._push(mask)
        return x * mask

    def backward(self, dout: Any) -> Any:
        (mask,) = self._pop()
        return dout if mask is None else dout * mask
