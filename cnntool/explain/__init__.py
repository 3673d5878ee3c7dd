"""Cell-by-cell explainers for convolution, pooling and transposed convolution.

Pure core: parses matrices, computes exactly with `fractions.Fraction`, and
yields Step dataclasses from generators; only `cnntool.cli` / `cnntool.tui`
render them. Nothing here imports numpy at import time (a `.npy` input loads it
lazily), so `cnntool conv` starts fast.
"""
