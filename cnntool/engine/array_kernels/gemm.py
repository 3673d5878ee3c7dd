"""The kernel table's large matmuls on an array module: one BLAS (or cuBLAS) call each.

The numba backend splits them by rows over threads because it holds its BLAS to one thread
(engine/kernels/gemm.py); NumPy's BLAS and cuBLAS run their own threads, so here they are plain.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any


def matmul(xp: ModuleType, a: Any, b: Any) -> Any:
    """a (M, K) · b (K, N) → (M, N)."""
    return xp.matmul(a, b)


def matmul_tn(xp: ModuleType, a: Any, b: Any) -> Any:
    """aᵀ · b for a (K, M), b (K, N) → (M, N)."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"matmul_tn: a {a.shape} and b {b.shape} differ in their first axis")
    return xp.matmul(a.T, b)
