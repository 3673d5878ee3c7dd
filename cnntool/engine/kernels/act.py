"""Bias + activation fused into one pass over a conv's GEMM output, in place.

A conv layer followed by an activation (relu, relu6, leakyrelu, sigmoid, tanh) runs as
``y = act(y + b)`` in one numba loop over (N, F, P) instead of NumPy's bias add then a
second pass for the activation (and a third array). `Sequential.forward` does the pairing.
Rows are (sample, channel) planes, so a dense layer's (N, F) output (P = 1) is not fused:
measured 3-10x slower than NumPy there.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from cnntool.config import NJIT_OPTIONS, NJIT_SERIAL
from cnntool.engine.kernel_rules import check_bias_act

#: Activation codes the kernel understands (the parameter `alpha` is the cap or the slope).
NONE, RELU, RELU_CAP, LEAKY, SIGMOID, TANH = 0, 1, 2, 3, 4, 5
NAMES = {"none": NONE, "relu": RELU, "relu6": RELU_CAP, "leakyrelu": LEAKY, "sigmoid": SIGMOID, "tanh": TANH}


@njit(**NJIT_SERIAL)
def _bias_act_row(row, b, code, alpha):  # pragma: no cover - compiled
    # One branch on `code` per row; the loops below are branch-free selects that vectorise.
    if code == NONE:
        for k in range(row.size):
            row[k] = row[k] + b
    elif code == RELU:
        for k in range(row.size):
            v = row[k] + b
            row[k] = v if v > 0 else 0.0 * v  # 0·v: a NaN stays NaN, as np.maximum
    elif code == RELU_CAP:
        for k in range(row.size):
            v = row[k] + b
            v = v if v > 0 else 0.0 * v
            row[k] = alpha if v >= alpha else v  # NaN stays NaN, as np.clip
    elif code == LEAKY:
        for k in range(row.size):
            v = row[k] + b
            row[k] = v if v > 0 else v * alpha
    elif code == SIGMOID:
        for k in range(row.size):
            v = row[k] + b
            e = math.exp(-abs(v))  # never overflows: the two branches as Sigmoid.forward
            row[k] = 1.0 / (1.0 + e) if v >= 0 else e / (1.0 + e)
    else:
        for k in range(row.size):
            row[k] = math.tanh(row[k] + b)


@njit(**NJIT_OPTIONS)
def _bias_act(y, bias, has_bias, code, alpha):  # pragma: no cover - compiled
    n_, f_, _ = y.shape
    for nf in prange(n_ * f_):
        n = nf // f_
        f = nf % f_
        b = bias[f] if has_bias else 0.0
        _bias_act_row(y[n, f], b, code, alpha)


def bias_act(y: np.ndarray, bias: np.ndarray | None, act: str = "none", alpha: float = 0.0) -> np.ndarray:
    """y: (N, F, P) C-contiguous, bias: (F,) or None → y = act(y + bias[f]) in place; returns y.

    `act` is one of NAMES; `alpha` is relu6's cap or leakyrelu's negative slope.
    """
    check_bias_act(act, NAMES, y, bias)
    b = np.ascontiguousarray(bias, dtype=y.dtype) if bias is not None else np.zeros(1, dtype=y.dtype)
    _bias_act(y, b, bias is not None, NAMES[act], y.dtype.type(alpha))
    return y
