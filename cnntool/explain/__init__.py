"""Cell-by-cell explainers for convolution, pooling and transposed convolution.

Pure core: parses matrices, computes exactly with `fractions.Fraction`, and
yields Step dataclasses from generators; `cnntool.views` turns them into rich
renderables for `cnntool.cli` / `cnntool.tui`. Nothing here imports numpy or rich
at import time (a `.npy` input loads numpy lazily), so `cnntool conv` starts fast.

The use cases are `run_conv`, `run_pool` and `run_conv_transpose` (see `api`):
a request of parsed inputs in, a report with everything to show (and `to_json()`) out.
The names below are loaded on first use, so importing one small module of this
package (e.g. `cnntool.explain.names` for the CLI's flag names) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "api": (
        "ConvBackward", "ConvReport", "ConvRequest", "ConvTReport", "ConvTRequest", "PoolBackward",
        "PoolReport", "PoolRequest", "ones", "run_conv", "run_conv_transpose", "run_pool",
    ),
    "conv": ("ConvSettings",),
    "conv_transpose": ("ConvTSettings",),
    "matrix": ("parse_filters", "parse_matrix", "parse_tensor"),
    "names": ("PLAIN", "Names"),
    "pool": ("PoolSettings",),
}  # fmt: skip
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "ConvBackward",
    "ConvReport",
    "ConvRequest",
    "ConvSettings",
    "ConvTReport",
    "ConvTRequest",
    "ConvTSettings",
    "Names",
    "PLAIN",
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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'cnntool.explain' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"cnntool.explain.{module}"), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
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
