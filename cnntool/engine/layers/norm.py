"""Normalisation layers: BatchNorm (1-D and 2-D, running statistics as PyTorch) and LayerNorm.

PyTorch details kept: normalisation uses the biased batch variance, the running
variance is updated with the unbiased one, ``running = (1 − momentum)·running + momentum·batch``,
eps = 1e-5, and `num_batches_tracked` is a buffer in the state_dict.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnntool.arith.hyper import BatchNormHyper, LayerNormHyper
from cnntool.engine.backend import backend_of, resolve_dtype
from cnntool.engine.layers.base import BuildContext, Layer, TorchCall
from cnntool.errors import ShapeError


class BatchNorm(Layer):
    """x (N, C) or (N, C, L) or (N, C, H, W): statistics per channel over every other axis."""

    kind = "batchnorm"
    kinds = ("batchnorm",)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = True,
        *,
        spatial_rank: int = 2,
        features_last: bool = False,
        dtype=None,
    ) -> None:
        super().__init__()
        dtype = resolve_dtype(dtype)
        self.num_features, self.eps, self.momentum, self.affine = num_features, eps, momentum, affine
        self.spatial_rank = spatial_rank  # 0 or 1: PyTorch's BatchNorm1d, 2: BatchNorm2d
        self.features_last = features_last  # (N, T, F): statistics per feature, over N and T
        self.weight = self._add_param("weight", np.ones(num_features, dtype=dtype)) if affine else None
        self.bias = self._add_param("bias", np.zeros(num_features, dtype=dtype)) if affine else None
        self._buffers["running_mean"] = np.zeros(num_features, dtype=dtype)
        self._buffers["running_var"] = np.ones(num_features, dtype=dtype)
        self._buffers["num_batches_tracked"] = np.zeros((), dtype=np.int64)

    @classmethod
    def from_hyper(cls, h: BatchNormHyper, ctx: BuildContext) -> BatchNorm:
        return cls(h.num_features, h.eps, h.momentum, h.affine, spatial_rank=h.spatial_rank,
                   features_last=h.features_last, dtype=ctx.dtype)  # fmt: skip

    def torch_call(self) -> TorchCall:
        name = (
            "SequenceBatchNorm"
            if self.features_last
            else f"nn.BatchNorm{2 if self.spatial_rank == 2 else 1}d"
        )
        return TorchCall(
            name,
            (self.num_features,),
            (("eps", float(self.eps)), ("momentum", float(self.momentum)), ("affine", self.affine)),
        )

    def forward(self, x: Any, train: bool = False) -> Any:
        if self.features_last:  # (N, T, F) → (N, F, T), normalised per feature, and back
            self._check_rank(x, (3,), "(N, T, F)")
            xp = backend_of(x).xp
            return xp.ascontiguousarray(
                self._forward(xp.ascontiguousarray(x.transpose(0, 2, 1)), train).transpose(0, 2, 1)
            )
        return self._forward(x, train)

    def backward(self, dout: Any) -> Any:
        if self.features_last:
            xp = backend_of(dout).xp
            return xp.ascontiguousarray(
                self._backward(xp.ascontiguousarray(dout.transpose(0, 2, 1))).transpose(0, 2, 1)
            )
        return self._backward(dout)

    def _forward(self, x: Any, train: bool) -> Any:
        self._check_rank(x, (2, 3, 4), "(N, C), (N, C, L) or (N, C, H, W)")
        self._check_dim(x, 1, self.num_features, "channels")
        if train and x.size // self.num_features < 2:
            raise ValueError(
                f"{self.label}: training needs more than 1 value per channel, got input {x.shape}"
            )
        # numba kernels for (N, C, L) and (N, C, H, W) (measured 4-10x NumPy); an (N, C) input has one
        # value per (sample, channel) row, where NumPy's vectorised axis-0 reductions are faster.
        fast = x.ndim > 2
        backend = backend_of(x)
        xp, kernels = backend.xp, backend.kernels
        if train:
            mean, var = kernels.batchnorm_stats(x) if fast else self._numpy_stats(x)
            self._update_running(mean, var, x.size // self.num_features)
        else:
            mean, var = self._buffers["running_mean"], self._buffers["running_var"]
        inv_std = (1.0 / xp.sqrt(var + self.eps)).astype(x.dtype)
        scale, shift = self._affine(xp, x.dtype)
        if fast:
            out, xhat = kernels.batchnorm_forward(x, mean, inv_std, scale, shift)
        else:
            xhat = (x - mean.astype(x.dtype)) * inv_std
            out = xhat if not self.affine else xhat * scale + shift
        self._push(xhat, inv_std, train)
        return out

    def _numpy_stats(self, x: Any) -> tuple[Any, Any]:
        mean = x.mean(axis=0)
        xc = x - mean
        return mean, (xc * xc).mean(axis=0)

    def _update_running(self, mean: Any, var: Any, m: int) -> None:
        mom = self.momentum
        rm, rv = self._buffers["running_mean"], self._buffers["running_var"]
        rm[...] = (1 - mom) * rm + mom * mean
        rv[...] = (1 - mom) * rv + mom * var * (m / (m - 1))
        self._buffers["num_batches_tracked"] += 1

    def _affine(self, xp: Any, dtype) -> tuple[Any, Any]:
        if self.affine:
            return self.weight.value, self.bias.value
        return xp.ones(self.num_features, dtype=dtype), xp.zeros(self.num_features, dtype=dtype)

    def _backward(self, dout: Any) -> Any:
        xhat, inv_std, train = self._pop()
        backend = backend_of(dout)
        scale, _ = self._affine(backend.xp, xhat.dtype)
        if xhat.ndim > 2:
            dx, dscale, dshift = backend.kernels.batchnorm_backward(dout, xhat, scale, inv_std, train)
        else:
            dshift, dscale = dout.sum(axis=0), (dout * xhat).sum(axis=0)
            dxhat = dout * scale
            if train:  # dx = inv_std · (dxhat − mean(dxhat) − xhat · mean(dxhat · xhat))
                dx = inv_std * (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0))
            else:  # running statistics are constants
                dx = dxhat * inv_std
        if self.affine:
            self.weight.grad += dscale
            self.bias.grad += dshift
        return dx


class LayerNorm(Layer):
    """Normalise over the trailing `normalized_shape` axes of x (N, …, *normalized_shape)."""

    kind = "layernorm"
    kinds = ("layernorm",)

    def __init__(
        self, normalized_shape: tuple[int, ...], eps: float = 1e-5, affine: bool = True, *, dtype=None
    ):
        super().__init__()
        dtype = resolve_dtype(dtype)
        self.normalized_shape, self.eps, self.affine = tuple(normalized_shape), eps, affine
        self.weight = (
            self._add_param("weight", np.ones(self.normalized_shape, dtype=dtype)) if affine else None
        )
        self.bias = self._add_param("bias", np.zeros(self.normalized_shape, dtype=dtype)) if affine else None

    @classmethod
    def from_hyper(cls, h: LayerNormHyper, ctx: BuildContext) -> LayerNorm:
        return cls(h.normalized_shape, h.eps, h.affine, dtype=ctx.dtype)

    def torch_call(self) -> TorchCall:
        return TorchCall(
            "nn.LayerNorm",
            (self.normalized_shape,),
            (("eps", float(self.eps)), ("elementwise_affine", self.affine)),
        )

    def forward(self, x: Any, train: bool = False) -> Any:
        k = len(self.normalized_shape)
        if x.ndim <= k or x.shape[-k:] != self.normalized_shape:
            raise ShapeError(f"{self.label}: expected input (N, …, {self.normalized_shape}), got {x.shape}")
        xp = backend_of(x).xp
        axes = tuple(range(x.ndim - k, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        inv_std = (1.0 / xp.sqrt((xc * xc).mean(axis=axes, keepdims=True) + self.eps)).astype(x.dtype)
        xhat = xc * inv_std
        self._push(xhat, inv_std, axes)
        return xhat * self.weight.value + self.bias.value if self.affine else xhat

    def backward(self, dout: Any) -> Any:
        xhat, inv_std, axes = self._pop()
        lead = tuple(range(xhat.ndim - len(axes)))
        if self.affine:
            self.weight.grad += (dout * xhat).sum(axis=lead)
            self.bias.grad += dout.sum(axis=lead)
            dxhat = dout * self.weight.value
        else:
            dxhat = dout
        mean_d = dxhat.mean(axis=axes, keepdims=True)
        mean_dx = (dxhat * xhat).mean(axis=axes, keepdims=True)
        return inv_std * (dxhat - mean_d - xhat * mean_dx)
