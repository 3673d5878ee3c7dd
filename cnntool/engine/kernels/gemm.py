"""Large matmuls split by rows over threads (kernels/chunks.py), each chunk one BLAS call.

The recurrent layers multiply all time steps at once: the input projection (T·N, F)·W_ihᵀ, the input
gradient (T·N, G·H)·W_ih and the weight gradient Σ_t [x_t | h_{t−1}]ᵀ·dG_t, a (T·N)-long reduction.
With the BLAS held to one thread per call, these run on one core unless split here: `matmul` cuts the
rows of `a`, `matmul_tn` cuts the reduction and adds the partial products.
"""

from __future__ import annotations

import numpy as np

from cnntool.engine.kernels.chunks import in_chunks

#: Below this many rows per chunk a thread costs more than it saves.
MIN_ROWS = 512


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a (M, K) · b (K, N) → (M, N), rows of `a` in parallel chunks."""
    out = np.empty((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))

    def rows(n0: int, n1: int) -> None:
        np.matmul(a[n0:n1], b, out=out[n0:n1])

    in_chunks(a.shape[0], rows, MIN_ROWS)
    return out


def matmul_tn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """aᵀ · b for a (K, M), b (K, N) → (M, N): the K rows split into chunks, partial products added."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"matmul_tn: a {a.shape} and b {b.shape} differ in their first axis")
    parts = in_chunks(a.shape[0], lambda n0, n1: a[n0:n1].T @ b[n0:n1], MIN_ROWS)
    out = parts[0]
    for part in parts[1:]:
        out += part
    return out
