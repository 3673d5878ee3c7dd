"""PyTorch's default initialisations, drawn from a generator the caller passes in.

PyTorch initialises conv and dense weights with kaiming-uniform (a = √5), which
works out to U(−1/√fan_in, 1/√fan_in), and biases with the same bound. Matching
the distribution (not the random stream) keeps training behaviour comparable.
"""

from __future__ import annotations

import math

import numpy as np


def kaiming_uniform(
    shape: tuple[int, ...], fan_in: int, rng: np.random.Generator, dtype: np.dtype, a: float = math.sqrt(5)
) -> np.ndarray:
    """U(−b, b) with b = gain·√(3/fan_in), gain = √(2/(1+a²)): PyTorch's `kaiming_uniform_`."""
    gain = math.sqrt(2.0 / (1.0 + a * a))
    bound = gain * math.sqrt(3.0 / max(fan_in, 1))
    return np.asarray(rng.uniform(-bound, bound, size=shape), dtype=dtype)


def bias_uniform(
    shape: tuple[int, ...], fan_in: int, rng: np.random.Generator, dtype: np.dtype
) -> np.ndarray:
    """U(−1/√fan_in, 1/√fan_in): PyTorch's default bias of conv and dense layers."""
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return np.asarray(rng.uniform(-bound, bound, size=shape), dtype=dtype)
