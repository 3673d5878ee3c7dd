"""The kernel table written once against an array module `xp`: NumPy on any CPU, CuPy on a GPU.

Every function takes the array module first (`im2col(xp, x, ...)`) and otherwise has the
signature and the results of its numba twin in `engine/kernels/` (docs/devices.md): the same
shapes, dtypes, argmax indices and in-place behaviour, so a layer cannot tell which table it
runs on. Loops run over the taps of a window (KH·KW Python iterations, each one vectorised
over the whole batch), never over samples or positions, and every scatter is a sum of
strided slices, so nothing needs atomics and a run is bitwise reproducible on a GPU too.

This package imports nothing of the engine: `table(xp)` returns the functions bound to `xp`
and the backend that wants them wraps the dict in its `Kernels`.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any

from cnntool.engine.array_kernels import act, conv, gemm, norm, pool, recurrent

#: The kernel name → function (xp first) of every entry of `engine.backend.Kernels`.
FUNCTIONS = {
    "im2col": conv.im2col,
    "col2im": conv.col2im,
    "maxpool_forward": pool.maxpool_forward,
    "maxpool_backward": pool.maxpool_backward,
    "avgpool_forward": pool.avgpool_forward,
    "avgpool_backward": pool.avgpool_backward,
    "bias_act": act.bias_act,
    "batchnorm_stats": norm.batchnorm_stats,
    "batchnorm_forward": norm.batchnorm_forward,
    "batchnorm_backward": norm.batchnorm_backward,
    "lstm_forward": recurrent.lstm_forward,
    "lstm_backward": recurrent.lstm_backward,
    "gru_forward": recurrent.gru_forward,
    "gru_backward": recurrent.gru_backward,
    "rnn_forward": recurrent.rnn_forward,
    "rnn_backward": recurrent.rnn_backward,
    "matmul": gemm.matmul,
    "matmul_tn": gemm.matmul_tn,
}


def table(xp: ModuleType) -> dict[str, Any]:
    """{kernel name: function bound to `xp`}: `Kernels(**table(numpy))` is the cpu-numpy table."""
    return {name: functools.partial(fn, xp) for name, fn in FUNCTIONS.items()}
