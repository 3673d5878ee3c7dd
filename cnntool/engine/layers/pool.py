"""Pooling layers: max and average (1-D/2-D, ceil mode, padding, count_include_pad), adaptive
average and global average. Sizes come from `cnntool.arith.formulas`; the numba kernels in
`kernels/pool.py` fill them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnntool.arith.formulas import adaptive_window, pool_out_len
from cnntool.arith.hyper import AdaptiveAvgPoolHyper, AvgPoolHyper, GlobalAvgPoolHyper, MaxPoolHyper
from cnntool.engine.backend import backend_of
from cnntool.engine.layers.base import BuildContext, Layer, TorchCall
from cnntool.errors import CnnToolError, ShapeError


class _Pool(Layer):
    """Shared geometry: 1-D hyper-parameters run as 2-D with height 1."""

    def __init__(self, kernel, stride=None, padding=None, dilation=None, ceil_mode=False) -> None:
        super().__init__()
        nd = len(kernel)
        self.nd = nd
        self.kernel = tuple(kernel)
        self.stride = tuple(stride) if stride else self.kernel  # PyTorch: stride defaults to kernel
        self.padding = tuple((int(a), int(b)) for a, b in padding) if padding else ((0, 0),) * nd
        self.dilation = tuple(dilation) if dilation else (1,) * nd
        self.ceil_mode = bool(ceil_mode)
        one = (lambda t, fill: (fill, *t)) if nd == 1 else (lambda t, fill: tuple(t))
        self._k2, self._s2 = one(self.kernel, 1), one(self.stride, 1)
        self._p2, self._d2 = one(self.padding, (0, 0)), one(self.dilation, 1)

    def out_hw(self, h: int, w: int) -> tuple[int, int]:
        """(HO, WO) from cnntool.arith.formulas.pool_out_len (ceil rule included)."""
        return tuple(  # type: ignore[return-value]
            pool_out_len(n, k, s, p, d, self.ceil_mode)
            for n, k, s, p, d in zip((h, w), self._k2, self._s2, self._p2, self._d2, strict=True)
        )

    def _symmetric_padding(self) -> tuple[int, ...]:
        """PyTorch pooling pads both sides alike; asymmetric padding has no twin."""
        if any(lo != hi for lo, hi in self.padding):
            raise CnnToolError(f"{self.label}: PyTorch pooling has no asymmetric padding {self.padding}")
        return tuple(lo for lo, _ in self.padding)

    def _to4d(self, x: Any) -> tuple[Any, tuple[int, int]]:
        self._check_rank(x, (self.nd + 2,), "(N, C, L)" if self.nd == 1 else "(N, C, H, W)")
        x4 = x[:, :, None, :] if self.nd == 1 else x
        hw = self.out_hw(x4.shape[2], x4.shape[3])
        if min(hw) < 1:
            raise ShapeError(f"{self.label}: kernel {self.kernel} does not fit input {x.shape}")
        return x4, hw

    def _from4d(self, a: Any) -> Any:
        return a[:, :, 0, :] if self.nd == 1 else a


class MaxPool(_Pool):
    """PyTorch MaxPool1d/2d: padding counts as −∞; the argmax is kept for backward."""

    kind = "maxpool"
    kinds = ("maxpool",)

    @classmethod
    def from_hyper(cls, h: MaxPoolHyper, ctx: BuildContext) -> MaxPool:
        return cls(h.kernel, h.stride, h.padding, h.dilation, h.ceil_mode)

    def torch_call(self) -> TorchCall:
        return TorchCall(
            f"nn.MaxPool{self.nd}d",
            (self.kernel,),
            (("stride", self.stride), ("padding", self._symmetric_padding()), ("dilation", self.dilation),
             ("ceil_mode", self.ceil_mode)),
        )  # fmt: skip

    def forward(self, x: Any, train: bool = False) -> Any:
        x4, hw = self._to4d(x)
        # Inference skips the argmax (measured ~2x faster); backward after it recomputes it from x.
        kernels = backend_of(x).kernels
        out, arg = kernels.maxpool_forward(x4, self._k2, self._s2, self._p2, self._d2, hw, with_argmax=train)
        self._push(arg, x4, hw)
        return self._from4d(out)

    def backward(self, dout: Any) -> Any:
        arg, x4, hw = self._pop()
        kernels = backend_of(dout).kernels
        if arg is None:
            arg = kernels.maxpool_forward(x4, self._k2, self._s2, self._p2, self._d2, hw)[1]
        d4 = dout[:, :, None, :] if self.nd == 1 else dout
        return self._from4d(kernels.maxpool_backward(d4, arg, x4.shape))


class AvgPool(_Pool):
    """PyTorch AvgPool1d/2d: `count_include_pad` divides by the window clipped to the padded input."""

    kind = "avgpool"
    kinds = ("avgpool",)

    def __init__(self, kernel, stride=None, padding=None, ceil_mode=False, count_include_pad=True) -> None:
        super().__init__(kernel, stride, padding, None, ceil_mode)
        self.count_include_pad = bool(count_include_pad)

    @classmethod
    def from_hyper(cls, h: AvgPoolHyper, ctx: BuildContext) -> AvgPool:
        return cls(h.kernel, h.stride, h.padding, h.ceil_mode, h.count_include_pad)

    def torch_call(self) -> TorchCall:
        return TorchCall(
            f"nn.AvgPool{self.nd}d",
            (self.kernel,),
            (("stride", self.stride), ("padding", self._symmetric_padding()), ("ceil_mode", self.ceil_mode),
             ("count_include_pad", self.count_include_pad)),
        )  # fmt: skip

    def forward(self, x: Any, train: bool = False) -> Any:
        x4, hw = self._to4d(x)
        kernels = backend_of(x).kernels
        out, div = kernels.avgpool_forward(x4, self._k2, self._s2, self._p2, self.count_include_pad, hw)
        self._push(div, x4.shape)
        return self._from4d(out)

    def backward(self, dout: Any) -> Any:
        div, shape = self._pop()
        d4 = dout[:, :, None, :] if self.nd == 1 else dout
        kernels = backend_of(dout).kernels
        return self._from4d(kernels.avgpool_backward(d4, div, shape, self._k2, self._s2, self._p2))


class AdaptiveAvgPool(Layer):
    """PyTorch AdaptiveAvgPool1d/2d: x (N, C, *S) → (N, C, *output_size); windows from
    `formulas.adaptive_window`. Windows are few (the output is small), so array slicing suffices."""

    kind = "adaptiveavgpool"
    kinds = ("adaptiveavgpool",)

    def __init__(self, output_size: tuple[int, ...]) -> None:
        super().__init__()
        self.output_size = tuple(output_size)

    @classmethod
    def from_hyper(cls, h: AdaptiveAvgPoolHyper, ctx: BuildContext) -> AdaptiveAvgPool:
        return cls(h.output_size)

    def torch_call(self) -> TorchCall:
        return TorchCall(f"nn.AdaptiveAvgPool{len(self.output_size)}d", (self.output_size,))

    def _windows(self, spatial):
        ranges = [
            [adaptive_window(i, size, out) for i in range(out)]
            for size, out in zip(spatial, self.output_size, strict=True)
        ]
        if len(ranges) == 1:
            return [((i,), (slice(*a),)) for i, a in enumerate(ranges[0])]
        return [
            ((i, j), (slice(*a), slice(*b))) for i, a in enumerate(ranges[0]) for j, b in enumerate(ranges[1])
        ]

    def forward(self, x: Any, train: bool = False) -> Any:
        nd = len(self.output_size)
        self._check_rank(x, (nd + 2,), "(N, C" + ", S" * nd + ")")
        out = backend_of(x).xp.empty(x.shape[:2] + self.output_size, dtype=x.dtype)
        axes = tuple(range(2, 2 + nd))
        for idx, win in self._windows(x.shape[2:]):
            out[(slice(None), slice(None), *idx)] = x[(slice(None), slice(None), *win)].mean(axis=axes)
        self._push(x.shape)
        return out

    def backward(self, dout: Any) -> Any:
        (shape,) = self._pop()
        dx = backend_of(dout).xp.zeros(shape, dtype=dout.dtype)
        for idx, win in self._windows(shape[2:]):
            area = int(np.prod([s.stop - s.start for s in win]))
            g = dout[(slice(None), slice(None), *idx)] / area
            dx[(slice(None), slice(None), *win)] += g.reshape(g.shape + (1,) * len(win))
        return dx


class GlobalAvgPool(Layer):
    """Mean over all spatial axes: x (N, C, *S) → (N, C) (a vector per sample, as the analysis says)."""

    kind = "globalavgpool"
    kinds = ("globalavgpool",)

    @classmethod
    def from_hyper(cls, h: GlobalAvgPoolHyper, ctx: BuildContext) -> GlobalAvgPool:
        return cls()

    def torch_call(self) -> TorchCall:
        return TorchCall("GlobalAvgPool")  # a helper class of the exported file (mean over spatial axes)

    def forward(self, x: Any, train: bool = False) -> Any:
        self._check_rank(x, (3, 4, 5), "(N, C, *S)")
        self._push(x.shape)
        return x.mean(axis=tuple(range(2, x.ndim)))

    def backward(self, dout: Any) -> Any:
        (shape,) = self._pop()
        area = int(np.prod(shape[2:]))
        xp = backend_of(dout).xp
        return xp.broadcast_to((dout / area).reshape(dout.shape + (1,) * (len(shape) - 2)), shape).copy()
