"""Convolution layers: Conv (1-D and 2-D, groups, dilation, asymmetric padding) and ConvTranspose.

Both are im2col + GEMM: conv is ``W (G, F/G, C/G·KH·KW) @ cols (N, G, C/G·KH·KW, HO·WO)``,
and the transposed convolution is exactly conv's backward-to-input run forwards
(GEMM then col2im), so one pair of kernels serves both. A 1-D layer is the 2-D one
with a height of 1: x (N, C, L) is viewed as (N, C, 1, L), weight (F, C/G, K) as (F, C/G, 1, K).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnntool.arith.formulas import conv_out_len, conv_transpose_out_len, same_padding
from cnntool.arith.hyper import ConvHyper, ConvTransposeHyper
from cnntool.engine.backend import backend_of, resolve_dtype
from cnntool.engine.init import bias_uniform, kaiming_uniform
from cnntool.engine.layers.base import BuildContext, Layer, TorchCall
from cnntool.errors import CnnToolError, ShapeError

Pair = tuple[int, int]


def _as2d(values: tuple, fill) -> tuple:
    """1-D hyper-parameters (k,) become (fill, k) so a 1-D layer runs as a 2-D one of height 1."""
    return (fill, *values) if len(values) == 1 else tuple(values)


def _pairs(padding) -> tuple[Pair, Pair]:
    return tuple((int(a), int(b)) for a, b in padding)  # type: ignore[return-value]


class Conv(Layer):
    """PyTorch Conv1d/Conv2d: x (N, C, H, W) or (N, C, L) → (N, F, HO, WO) or (N, F, LO).

    `padding` is ((top, bottom), (left, right)) (or ((left, right),) in 1-D) so that
    PyTorch's asymmetric `padding='same'` for even kernels is represented exactly.
    """

    kind = "conv"
    kinds = ("conv", "dwconv")
    accepts_act = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: tuple[int, ...],
        stride: tuple[int, ...] | None = None,
        padding: tuple[Pair, ...] | None = None,
        dilation: tuple[int, ...] | None = None,
        groups: int = 1,
        bias: bool = True,
        *,
        rng: np.random.Generator | None = None,
        dtype=None,
    ) -> None:
        super().__init__()
        nd = len(kernel)
        if nd not in (1, 2):
            raise ValueError(f"conv: kernel must have 1 or 2 sizes, got {kernel}")
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(
                f"conv: groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}"
            )
        dtype = resolve_dtype(dtype)
        rng = rng if rng is not None else np.random.default_rng(0)
        self.nd, self.groups = nd, groups
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel = tuple(kernel)
        self.stride = tuple(stride) if stride else (1,) * nd
        self.padding = _pairs(padding) if padding else ((0, 0),) * nd
        self.dilation = tuple(dilation) if dilation else (1,) * nd
        fan_in = in_channels // groups * int(np.prod(kernel))
        shape = (out_channels, in_channels // groups, *kernel)
        self.weight = self._add_param("weight", kaiming_uniform(shape, fan_in, rng, dtype))
        self.bias = (
            self._add_param("bias", bias_uniform((out_channels,), fan_in, rng, dtype)) if bias else None
        )
        # The 2-D geometry the kernels run with.
        self._k2, self._s2, self._d2 = _as2d(self.kernel, 1), _as2d(self.stride, 1), _as2d(self.dilation, 1)
        self._p2 = _as2d(self.padding, (0, 0))
        self._cols_buf: Any = None

    @classmethod
    def from_hyper(cls, h: ConvHyper, ctx: BuildContext) -> Conv:
        return cls(h.in_channels, h.out_channels, h.kernel, h.stride, h.padding, h.dilation, h.groups, h.bias,
                   rng=ctx.rng, dtype=ctx.dtype)  # fmt: skip

    def torch_call(self) -> TorchCall:
        if all(lo == hi for lo, hi in self.padding):
            padding: Any = tuple(lo for lo, _ in self.padding)
        elif self.padding == tuple(same_padding(k, d) for k, d in zip(self.kernel, self.dilation)) and all(
            s == 1 for s in self.stride
        ):
            padding = "same"  # PyTorch puts the odd extra row/column after, as we do
        else:
            raise CnnToolError(
                f"{self.label}: asymmetric padding {self.padding} has no PyTorch Conv equivalent"
            )
        return TorchCall(
            f"nn.Conv{self.nd}d",
            (self.in_channels, self.out_channels, self.kernel),
            (("stride", self.stride), ("padding", padding), ("dilation", self.dilation),
             ("groups", self.groups), ("bias", self.bias is not None)),
        )  # fmt: skip

    def move(self, convert: Any) -> None:
        super().move(convert)
        self._cols_buf = None

    def out_hw(self, h: int, w: int) -> Pair:
        """Output (HO, WO) of a (H, W) input, from cnntool.arith.formulas (the one source of sizes)."""
        return tuple(  # type: ignore[return-value]
            conv_out_len(n, k, s, p, d)
            for n, k, s, p, d in zip((h, w), self._k2, self._s2, self._p2, self._d2, strict=True)
        )

    def _to4d(self, x: np.ndarray) -> np.ndarray:
        layout = "(N, C, L)" if self.nd == 1 else "(N, C, H, W)"
        self._check_rank(x, (self.nd + 2,), layout)
        self._check_dim(x, 1, self.in_channels, "input channels")
        return x[:, :, None, :] if self.nd == 1 else x

    def forward(self, x: Any, train: bool = False, act: tuple[str, float] | None = None) -> Any:
        """`act` (name, alpha) fuses the next activation layer into the bias pass (see kernels/act.py)."""
        backend = backend_of(x)
        xp, kernels = backend.xp, backend.kernels
        x4 = self._to4d(x)
        n, _, h, w = x4.shape
        ho, wo = self.out_hw(h, w)
        if ho < 1 or wo < 1:
            raise ShapeError(
                f"{self.label}: kernel {self.kernel} (dilation {self.dilation}) does not fit input {x.shape}"
            )
        g, f = self.groups, self.out_channels
        # cols (N, C·K, P) goes into a buffer kept across calls: a fresh one is tens of MB of page
        # faults per call (measured ~30% of LeNet's inference). It is reused only when no earlier
        # forward still waits for its backward (a layer called twice in one pass gets a new one).
        buf = self._cols_buf
        if (
            buf is None
            or self.pending
            or buf.shape != (n, x4.shape[1] * self._k2[0] * self._k2[1], ho * wo)
            or buf.dtype != x.dtype
        ):
            buf = None
        cols = kernels.im2col(x4, self._k2, self._s2, self._p2, self._d2, (ho, wo), out=buf)
        self._cols_buf = cols
        wmat = self.weight.value.reshape(g, f // g, -1)
        if g == 1:
            out = xp.matmul(wmat[0], cols)
        else:
            out = xp.matmul(wmat, cols.reshape(n, g, -1, ho * wo)).reshape(n, f, ho * wo)
        if act is not None or self.bias is not None:
            kernels.bias_act(out, self.bias.value if self.bias is not None else None, *(act or ("none", 0.0)))
        self._push(cols, x4.shape, (ho, wo))
        return out.reshape(n, f, wo) if self.nd == 1 else out.reshape(n, f, ho, wo)

    def backward(self, dout: Any) -> Any:
        cols, x_shape, (ho, wo) = self._pop()
        backend = backend_of(dout)
        xp = backend.xp
        n, g, f = x_shape[0], self.groups, self.out_channels
        d = xp.ascontiguousarray(dout).reshape(n, g, f // g, ho * wo)
        colsg = cols.reshape(n, g, -1, ho * wo)
        if self.bias is not None:
            self.bias.grad += d.sum(axis=(0, 3)).reshape(f)
        # dW[g] = Σ_n dout[n, g] · cols[n, g]ᵀ ; dcols[n, g] = W[g]ᵀ · dout[n, g]
        dw = xp.matmul(d, colsg.transpose(0, 1, 3, 2)).sum(axis=0)
        self.weight.grad += dw.reshape(self.weight.value.shape)
        if not self.needs_dx:
            return None
        wmat = self.weight.value.reshape(g, f // g, -1)
        dcols = xp.matmul(wmat.transpose(0, 2, 1), d).reshape(cols.shape)
        dx = backend.kernels.col2im(dcols, x_shape, self._k2, self._s2, self._p2, self._d2, (ho, wo))
        return dx[:, :, 0, :] if self.nd == 1 else dx


class ConvTranspose(Layer):
    """PyTorch ConvTranspose1d/2d: x (N, C, H, W) → (N, F, HO, WO), HO = (H−1)S − 2P + D(K−1) + OP + 1.

    Weight (C, F/G, KH, KW) as PyTorch. Forward is conv's input-gradient: cols = Wᵀ·x, then col2im.
    """

    kind = "convT"
    kinds = ("convT",)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: tuple[int, ...],
        stride: tuple[int, ...] | None = None,
        padding: tuple[int, ...] | None = None,
        output_padding: tuple[int, ...] | None = None,
        dilation: tuple[int, ...] | None = None,
        groups: int = 1,
        bias: bool = True,
        *,
        rng: np.random.Generator | None = None,
        dtype=None,
    ) -> None:
        super().__init__()
        nd = len(kernel)
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(
                f"convT: groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}"
            )
        dtype = resolve_dtype(dtype)
        rng = rng if rng is not None else np.random.default_rng(0)
        self.nd, self.groups = nd, groups
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel = tuple(kernel)
        self.stride = tuple(stride) if stride else (1,) * nd
        self.padding = tuple(padding) if padding else (0,) * nd
        self.output_padding = tuple(output_padding) if output_padding else (0,) * nd
        self.dilation = tuple(dilation) if dilation else (1,) * nd
        for op, s, d in zip(self.output_padding, self.stride, self.dilation, strict=True):
            if op >= max(s, d):
                raise ValueError(
                    f"convT: output_padding {self.output_padding} must be < max(stride, dilation)"
                )
        fan_in = out_channels // groups * int(np.prod(kernel))  # PyTorch uses weight.size(1)·K
        shape = (in_channels, out_channels // groups, *kernel)
        self.weight = self._add_param("weight", kaiming_uniform(shape, fan_in, rng, dtype))
        self.bias = (
            self._add_param("bias", bias_uniform((out_channels,), fan_in, rng, dtype)) if bias else None
        )
        self._k2, self._s2, self._d2 = _as2d(self.kernel, 1), _as2d(self.stride, 1), _as2d(self.dilation, 1)
        self._pad1 = _as2d(self.padding, 0)
        self._p2 = tuple((p, p) for p in self._pad1)
        self._op2 = _as2d(self.output_padding, 0)

    @classmethod
    def from_hyper(cls, h: ConvTransposeHyper, ctx: BuildContext) -> ConvTranspose:
        return cls(h.in_channels, h.out_channels, h.kernel, h.stride, h.padding, h.output_padding, h.dilation,
                   h.groups, h.bias, rng=ctx.rng, dtype=ctx.dtype)  # fmt: skip

    def torch_call(self) -> TorchCall:
        return TorchCall(
            f"nn.ConvTranspose{self.nd}d",
            (self.in_channels, self.out_channels, self.kernel),
            (("stride", self.stride), ("padding", self.padding), ("output_padding", self.output_padding),
             ("groups", self.groups), ("bias", self.bias is not None), ("dilation", self.dilation)),
        )  # fmt: skip

    def out_hw(self, h: int, w: int) -> Pair:
        """Output (HO, WO) from cnntool.arith.formulas.conv_transpose_out_len."""
        return tuple(  # type: ignore[return-value]
            conv_transpose_out_len(n, k, s, p, op, d)
            for n, k, s, p, op, d in zip(
                (h, w), self._k2, self._s2, self._pad1, self._op2, self._d2, strict=True
            )
        )

    def forward(self, x: Any, train: bool = False) -> Any:
        backend = backend_of(x)
        xp = backend.xp
        self._check_rank(x, (self.nd + 2,), "(N, C, L)" if self.nd == 1 else "(N, C, H, W)")
        self._check_dim(x, 1, self.in_channels, "input channels")
        x4 = x[:, :, None, :] if self.nd == 1 else x
        n, c, h, w = x4.shape
        ho, wo = self.out_hw(h, w)
        if ho < 1 or wo < 1:
            raise ShapeError(f"{self.label}: output size {(ho, wo)} is empty for input {x.shape}")
        g, f = self.groups, self.out_channels
        wmat = self.weight.value.reshape(g, c // g, -1)  # (G, C/G, F/G·K)
        xg = xp.ascontiguousarray(x4).reshape(n, g, c // g, h * w)
        cols = xp.matmul(wmat.transpose(0, 2, 1), xg).reshape(n, -1, h * w)
        out = backend.kernels.col2im(cols, (n, f, ho, wo), self._k2, self._s2, self._p2, self._d2, (h, w))
        if self.bias is not None:
            out += self.bias.value[:, None, None]
        self._push(xg, x4.shape, (ho, wo))
        return out[:, :, 0, :] if self.nd == 1 else out

    def backward(self, dout: Any) -> Any:
        xg, x_shape, (ho, wo) = self._pop()
        backend = backend_of(dout)
        xp = backend.xp
        n, c, h, w = x_shape
        g = self.groups
        d4 = dout[:, :, None, :] if self.nd == 1 else dout
        if self.bias is not None:
            self.bias.grad += d4.sum(axis=(0, 2, 3))
        dcols = backend.kernels.im2col(d4, self._k2, self._s2, self._p2, self._d2, (h, w)).reshape(
            n, g, -1, h * w
        )
        dw = xp.matmul(xg, dcols.transpose(0, 1, 3, 2)).sum(axis=0)  # (G, C/G, F/G·K)
        self.weight.grad += dw.reshape(self.weight.value.shape)
        if not self.needs_dx:
            return None
        wmat = self.weight.value.reshape(g, c // g, -1)
        dx = xp.matmul(wmat, dcols).reshape(n, c, h, w)
        return dx[:, :, 0, :] if self.nd == 1 else dx
