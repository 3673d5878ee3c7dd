"""Elementwise activations and softmax. ReLU, ReLU6, leaky ReLU, sigmoid and tanh can be fused
into the bias pass of the conv before them (`fused_act`, kernels/act.py)."""

from __future__ import annotations

from typing import Any

from cnntool.arith.hyper import ActivationHyper, SoftmaxHyper
from cnntool.engine.backend import backend_of
from cnntool.engine.layers.base import BuildContext, Layer, TorchCall


class ReLU(Layer):
    """max(x, 0); `cap` makes it ReLU6 (min(max(x, 0), 6))."""

    kind = "relu"
    kinds = ("relu", "relu6")

    def __init__(self, cap: float | None = None) -> None:
        super().__init__()
        self.cap = cap
        if cap is not None:
            self.label = "relu6"

    @classmethod
    def from_hyper(cls, hyper: ActivationHyper, ctx: BuildContext) -> ReLU:
        return cls(cap=6.0 if hyper.name == "relu6" else None)

    def torch_call(self) -> TorchCall:
        return TorchCall("nn.ReLU" if self.cap is None else "nn.ReLU6")

    def fused_act(self) -> tuple[str, float] | None:
        return ("relu", 0.0) if self.cap is None else ("relu6", float(self.cap))

    def forward(self, x: Any, train: bool = False) -> Any:
        xp = backend_of(x).xp
        out = xp.maximum(x, 0) if self.cap is None else xp.clip(x, 0, self.cap)
        self._push(x)
        return out

    def backward(self, dout: Any) -> Any:
        (x,) = self._pop()
        keep = x > 0 if self.cap is None else (x > 0) & (x < self.cap)
        return dout * keep


class LeakyReLU(Layer):
    """x if x > 0 else slope·x."""

    kind = "leakyrelu"
    kinds = ("leakyrelu",)

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    @classmethod
    def from_hyper(cls, hyper: ActivationHyper, ctx: BuildContext) -> LeakyReLU:
        return cls(hyper.negative_slope)

    def torch_call(self) -> TorchCall:
        return TorchCall("nn.LeakyReLU", (float(self.negative_slope),))

    def fused_act(self) -> tuple[str, float] | None:
        # Backward reads the sign of the cached value: out > 0 ⇔ x > 0 only for a positive slope.
        return ("leakyrelu", float(self.negative_slope)) if self.negative_slope > 0 else None

    def forward(self, x: Any, train: bool = False) -> Any:
        self._push(x)
        return backend_of(x).xp.where(x > 0, x, x * x.dtype.type(self.negative_slope))

    def backward(self, dout: Any) -> Any:
        (x,) = self._pop()
        return backend_of(dout).xp.where(x > 0, dout, dout * dout.dtype.type(self.negative_slope))


class Sigmoid(Layer):
    """1/(1+e^−x), computed without overflow; dσ = σ(1−σ)."""

    kind = "sigmoid"
    kinds = ("sigmoid",)

    @classmethod
    def from_hyper(cls, hyper: ActivationHyper, ctx: BuildContext) -> Sigmoid:
        return cls()

    def torch_call(self) -> TorchCall:
        return TorchCall("nn.Sigmoid")

    def fused_act(self) -> tuple[str, float] | None:
        return ("sigmoid", 0.0)

    def forward(self, x: Any, train: bool = False) -> Any:
        xp = backend_of(x).xp
        e = xp.exp(-xp.abs(x))
        out = xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        self._push(out)
        return out

    def backward(self, dout: Any) -> Any:
        (s,) = self._pop()
        return dout * s * (1 - s)


class Tanh(Layer):
    """tanh(x); d tanh = 1 − tanh²."""

    kind = "tanh"
    kinds = ("tanh",)

    @classmethod
    def from_hyper(cls, hyper: ActivationHyper, ctx: BuildContext) -> Tanh:
        return cls()

    def torch_call(self) -> TorchCall:
        return TorchCall("nn.Tanh")

    def fused_act(self) -> tuple[str, float] | None:
        return ("tanh", 0.0)

    def forward(self, x: Any, train: bool = False) -> Any:
        out = backend_of(x).xp.tanh(x)
        self._push(out)
        return out

    def backward(self, dout: Any) -> Any:
        (t,) = self._pop()
        return dout * (1 - t * t)


class Softmax(Layer):
    """Softmax over the features, shifted by the max for stability: the classes of (N, K), every step's
    features of (N, T, F) (dim −1), the channels of (N, C, H, W) (dim 1). Same as nn.Softmax(dim)."""

    kind = "softmax"
    kinds = ("softmax",)

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    @classmethod
    def from_hyper(cls, hyper: SoftmaxHyper, ctx: BuildContext) -> Softmax:
        return cls(hyper.dim)

    def torch_call(self) -> TorchCall:
        return TorchCall("nn.Softmax", (), (("dim", self.dim),))

    def forward(self, x: Any, train: bool = False) -> Any:
        xp = backend_of(x).xp
        e = xp.exp(x - x.max(axis=self.dim, keepdims=True))
        out = e / e.sum(axis=self.dim, keepdims=True)
        self._push(out)
        return out

    def backward(self, dout: Any) -> Any:
        (s,) = self._pop()
        return s * (dout - (dout * s).sum(axis=self.dim, keepdims=True))
