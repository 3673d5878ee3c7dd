"""Bias + activation over a conv's GEMM output y (N, F, P), in place, on an array module.

The numba kernel (engine/kernels/act.py) does it in one pass; here it is the bias add and one
in-place ufunc (two for the ones built from `where`). NaN propagates as there: np.maximum and
np.clip keep it, and `where(v > 0, …)` sends it down the branch that keeps it.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from cnntool.engine.kernel_rules import check_bias_act

#: The activations the conv may fuse (the numba kernel's NAMES).
NAMES = ("none", "relu", "relu6", "leakyrelu", "sigmoid", "tanh")


def bias_act(xp: ModuleType, y: Any, bias: Any, act: str = "none", alpha: float = 0.0) -> Any:
    """y: (N, F, P) C-contiguous, bias: (F,) or None → y = act(y + bias[f]) in place; returns y."""
    check_bias_act(act, NAMES, y, bias)
    if bias is not None:
        y += bias.astype(y.dtype, copy=False)[None, :, None]
    a = y.dtype.type(alpha)
    if act == "relu":
        xp.maximum(y, 0, out=y)
    elif act == "relu6":
        xp.clip(y, 0, a, out=y)
    elif act == "leakyrelu":
        y[...] = xp.where(y > 0, y, y * a)
    elif act == "sigmoid":  # the two branches of Sigmoid.forward: exp never overflows
        e = xp.exp(-xp.abs(y))
        y[...] = xp.where(y >= 0, 1 / (1 + e), e / (1 + e))
    elif act == "tanh":
        xp.tanh(y, out=y)
    return y
