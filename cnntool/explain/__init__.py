"""Cell-by-cell explainers for convolution, pooling and transposed convolution.

Pure core: parses matrices, computes exactly with `fractions.Fraction`, and
yields Step dataclasses from generators; `cnntool.views` turns them into rich
renderables for `cnntool.cli` / `cnntool.tui`. Nothing here imports numpy or rich
at import time (a `.npy` input loads numpy lazily), so `cnntool conv` starts fast.

The use cases are `run_conv`, `run_pool` and `run_conv_transpose` (see `api`):
a request of parsed inputs in, a report with everything to show (and `to_json()`) out.
"""

from cnntool.explain.api import (
    ConvBackward,
    ConvReport,
    ConvRequest,
    ConvTReport,
    ConvTRequest,
    PoolBackward,
    PoolReport,
    PoolRequest,
    ones,
    run_conv,
    run_conv_transpose,
    run_pool,
)
from cnntool.explain.conv import ConvSettings
from cnntool.explain.conv_transpose import ConvTSettings
from cnntool.explain.matrix import parse_filters, parse_matrix, parse_tensor
from cnntool.explain.names import PLAIN, Names
from cnntool.explain.pool import PoolSettings

__all__ = [
    "PLAIN",
    "ConvBackward",
    "ConvReport",
    "ConvRequest",
    "ConvSettings",
    "ConvTReport",
    "ConvTRequest",
    "ConvTSettings",
    "Names",
    "PoolBackward",
    "PoolReport",
    "PoolRequest",
    "PoolSettings",
    "ones",
    "parse_filters",
    "parse_matrix",
    "parse_tensor",
    "run_conv",
    "run_conv_transpose",
    "run_pool",
]
