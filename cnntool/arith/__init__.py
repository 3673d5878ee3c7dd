"""Shape and parameter arithmetic: pure Python, no numpy, the one source of truth for sizes.

from cnntool.arith import summarize
s = summarize("3x32x32 | conv 10 k5 p2")
s.total_params          # 760
s.layers[0].output_shape  # (10, 32, 32)
"""

from cnntool.arith.analyze import CONVENTIONS, analyze, summarize
from cnntool.arith.formulas import (
    Formula,
    conv_exact_len,
    conv_out_len,
    conv_transpose_out_len,
    pool_out_len,
    same_padding,
)
from cnntool.arith.results import LayerResult, ReceptiveField, ResidualResult, Summary

__all__ = [
    "CONVENTIONS",
    "Formula",
    "LayerResult",
    "ReceptiveField",
    "ResidualResult",
    "Summary",
    "analyze",
    "conv_exact_len",
    "conv_out_len",
    "conv_transpose_out_len",
    "pool_out_len",
    "same_padding",
    "summarize",
]
