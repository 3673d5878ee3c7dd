"""Stateful layers: the base class, parameters, and the simple layers (dense, flatten, dropout,
activations, upsample). Convolution, pooling and normalisation live in conv.py, pool.py and norm.py.

Every layer has `forward(x, train)` and `backward(dout)` side by side (DESIGN.md rule 2):
forward keeps what backward needs in `self._cache`; backward fills `Parameter.grad` (it
accumulates, as PyTorch does, until the optimizer's `zero_grad`) and returns dx.
"""

from __future__ import annotations

import numpy as np

from cnntool.engine.backend import resolve_dtype, xp
from cnntool.engine.init import bias_uniform, kaiming_uniform
from cnntool.errors import ShapeError


class Parameter:
    """A trainable array: `name` as in PyTorch's state_dict ("3.weight"), `value`, and `grad` (same shape)."""

    def __init__(self, name: str, value: np.ndarray) -> None:
        self.name = name
        self.value = value
        self.grad = xp.zeros_like(value)

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, shape={self.value.shape}, dtype={self.value.dtype})"


class Layer:
    """Base class. `label` names the layer in errors ("layer 3 (conv 16 k5)")."""

    kind = "layer"
    #: Whether forward takes `act=(name, alpha)` and applies that activation itself (conv).
    accepts_act = False

    def __init__(self) -> None:
        self.label = self.kind
        # False on a model's first layer: nobody needs d(input), and for a conv skipping it
        # skips the most expensive col2im of the step (PyTorch skips it too).
        self.needs_dx = True
        self._cache: tuple = ()
        self._params: dict[str, Parameter] = {}
        self._buffers: dict[str, np.ndarray] = {}

    # -- parameters and state ----------------------------------------------------------------
    def _add_param(self, local: str, value: np.ndarray) -> Parameter:
        self._params[local] = Parameter(local, value)
        return self._params[local]

    def set_prefix(self, prefix: str) -> None:
        """Name parameters as PyTorch's state_dict would ("{prefix}weight")."""
        for local, p in self._params.items():
            p.name = prefix + local

    def parameters(self) -> list[Parameter]:
        """Trainable parameters in PyTorch's registration order."""
        return list(self._params.values())

    def state_items(self, prefix: str = "") -> list[tuple[str, np.ndarray]]:
        """(name, array) pairs in PyTorch's state_dict order: parameters, then buffers."""
        items = [(prefix + k, p.value) for k, p in self._params.items()]
        return items + [(prefix + k, b) for k, b in self._buffers.items()]

    def load_item(self, local: str, value: np.ndarray) -> None:
        """Copy one state_dict entry in (shapes checked by the caller)."""
        if local in self._params:
            self._params[local].value[...] = value
        else:
            self._buffers[local][...] = value

    # -- computation -----------------------------------------------------------------------
    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def fused_act(self) -> tuple[str, float] | None:
        """(name, alpha) if this activation can be fused into the conv/dense before it, else None."""
        return None

    def take_fused(self, out: np.ndarray) -> np.ndarray:
        """Adopt `out`, computed by the previous layer with this activation fused in (fused_act)."""
        self._cache = (out,)  # relu, relu6, leakyrelu (slope > 0): out > 0 ⇔ x > 0; σ, tanh keep out
        return out

    def clear_cache(self) -> None:
        """Drop what the last forward kept (memory; and backward must follow a real forward)."""
        self._cache = ()

    def _need_cache(self) -> None:
        if not self._cache:
            raise RuntimeError(f"{self.label}: backward called before forward(train=True)")

    def _check_rank(self, x: np.ndarray, ranks: tuple[int, ...], layout: str) -> None:
        if x.ndim not in ranks:
            raise ShapeError(f"{self.label}: expected input of shape {layout}, got {x.shape}")

    def _check_dim(self, x: np.ndarray, axis: int, expected: int, what: str) -> None:
        if x.shape[axis] != expected:
            raise ShapeError(f"{self.label}: expected {expected} {what}, got input of shape {x.shape}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.label!r})"


class Dense(Layer):
    """y = x·Wᵀ + b on the last axis: x (N, …, in) → (N, …, out); W (out, in) as PyTorch's Linear."""

    kind = "dense"

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

    # Not fused with a following activation (accepts_act stays False): an (N, out) output has one
    # value per (sample, feature) row of the fused kernel, measured 3-10x slower than NumPy's two passes.
    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        if x.ndim < 2 or x.shape[-1] != self.in_features:
            raise ShapeError(f"{self.label}: expected input (N, {self.in_features}), got {x.shape}")
        x2 = x.reshape(-1, self.in_features)
        out = x2 @ self.weight.value.T
        if self.bias is not None:
            out += self.bias.value
        self._cache = (x2, x.shape)
        return out.reshape(*x.shape[:-1], self.out_features)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._need_cache()
        x2, shape = self._cache
        d2 = dout.reshape(-1, self.out_features)
        self.weight.grad += d2.T @ x2
        if self.bias is not None:
            self.bias.grad += d2.sum(axis=0)
        return (d2 @ self.weight.value).reshape(shape)


class Flatten(Layer):
    """(N, d1, d2, …) → (N, d1·d2·…), as PyTorch's Flatten(start_dim=1)."""

    kind = "flatten"

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        self._cache = (x.shape,)
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._need_cache()
        return dout.reshape(self._cache[0])


class Dropout(Layer):
    """Inverted dropout: in training zero each value with probability p and scale the rest by 1/(1−p),
    so evaluation is the identity. The mask comes from the generator given at construction."""

    kind = "dropout"

    def __init__(self, p: float = 0.5, *, rng=None) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout: p must be in [0, 1), got {p}")
        self.p = p
        self.rng = rng if rng is not None else np.random.default_rng(0)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        if not train or self.p == 0.0:
            self._cache = (None,)
            return x
        mask = (self.rng.random(x.shape) >= self.p).astype(x.dtype) / x.dtype.type(1.0 - self.p)
        self._cache = (mask,)
        return x * mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._need_cache()
        mask = self._cache[0]
        return dout if mask is None else dout * mask


class ReLU(Layer):
    """max(x, 0); `cap` makes it ReLU6 (min(max(x, 0), 6))."""

    kind = "relu"

    def __init__(self, cap: float | None = None) -> None:
        super().__init__()
        self.cap = cap
        if cap is not None:
            self.kind = self.label = "relu6"

    def fused_act(self) -> tuple[str, float] | None:
        return ("relu", 0.0) if self.cap is None else ("relu6", float(self.cap))

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        out = xp.maximum(x, 0) if self.cap is None else xp.clip(x, 0, self.cap)
        self._cache = (x,)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._need_cache()
        x = self._cache[0]
        keep = x > 0 if self.cap is None else (x > 0) & (x < self.cap)
        return dout * keep


class LeakyReLU(Layer):
    """x if x > 0 else slope·x."""

    kind = "leakyrelu"

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def fused_act(self) -> tuple[str, float] | None:
        # Backward reads the sign of the cached value: out > 0 ⇔ x > 0 only for a positive slope.
        return ("leakyrelu", float(self.negative_slope)) if self.negative_slope > 0 else None

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        self._cache = (x,)
        return xp.where(x > 0, x, x * x.dtype.type(self.negative_slope))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._need_cache()
        x = self._cache[0]
        return xp.where(x > 0, dout, dout * dout.dtype.type(self.negative_slope))


class Sigmoid(Layer):
    """1/(1+e^−x), computed without overflow; dσ = σ(1−σ)."""

    kind = "sigmoid"

    def fused_act(self) -> tuple[str, float] | None:
        return ("sigmoid", 0.0)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        e = xp.exp(-xp.abs(x))
        out = xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        self._cache = (out,)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._need_cache()
        s = self._cache[0]
        return dout * s * (1 - s)


class Tanh(Layer):
    """tanh(x); d tanh = 1 − tanh²."""

    kind = "tanh"

    def fused_act(self) -> tuple[str, float] | None:
        return ("tanh", 0.0)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        out = xp.tanh(x)
        self._cache = (out,)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._need_cache()
        t = self._cache[0]
        return dout * (1 - t * t)


class Softmax(Layer):
    """Softmax over axis 1 (classes), shifted by the max for stability: x (N, K, …) → same shape."""

    kind = "softmax"

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        e = xp.exp(x - x.max(axis=1, keepdims=True))
        out = e / e.sum(axis=1, keepdims=True)
        self._cache = (out,)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._need_cache()
        s = self._cache[0]
        return s * (dout - (dout * s).sum(axis=1, keepdims=True))


class Upsample(Layer):
    """Nearest-neighbour upsampling by integer factors: (N, C, *S) → (N, C, *(S·scale))."""

    kind = "upsample"

    def __init__(self, scale: tuple[int, ...]) -> None:
        super().__init__()
        if any(int(s) != s or s < 1 for s in scale):
            raise ValueError(f"upsample: only positive integer scales are supported, got {scale}")
        self.scale = tuple(int(s) for s in scale)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        self._check_rank(x, (2 + len(self.scale),), "(N, C" + ", S" * len(self.scale) + ")")
        out = x
        for axis, s in enumerate(self.scale, start=2):
            out = xp.repeat(out, s, axis=axis)
        self._cache = (x.shape,)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._need_cache()
        shape = self._cache[0]
        split = [shape[0], shape[1]]
        for size, s in zip(shape[2:], self.scale, strict=True):
            split += [size, s]
        summed = dout.reshape(split).sum(axis=tuple(range(3, len(split), 2)))
        return summed
