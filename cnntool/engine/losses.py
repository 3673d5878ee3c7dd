"""Loss functions: each returns ``(loss, dinput)`` with the loss averaged over the batch as
PyTorch's default ``reduction='mean'``, so ``model.backward(dinput)`` trains directly.

Predictions may live on any device; labels and targets may come from the host (a dataset's
NumPy arrays) and are moved to the predictions' device. The loss is a Python float: one
device-to-host copy per call.
"""

from __future__ import annotations

import numpy as np

from cnntool.engine.backend import backend_of
from cnntool.errors import ShapeError


def log_softmax(logits: np.ndarray, axis: int = 1) -> np.ndarray:
    """log softmax, shifted by the max so exp never overflows."""
    xp = backend_of(logits).xp
    shifted = logits - logits.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


def cross_entropy(
    logits: np.ndarray, labels: np.ndarray, label_smoothing: float = 0.0
) -> tuple[float, np.ndarray]:
    """PyTorch's CrossEntropyLoss: logits (N, K), integer labels (N,) in [0, K).

    With label smoothing ε the target is (1 − ε)·onehot + ε/K, as in PyTorch.
    """
    if logits.ndim != 2:
        raise ShapeError(f"cross_entropy: expected logits (N, K), got {logits.shape}")
    n, k = logits.shape
    backend = backend_of(logits)
    labels = backend_of(labels).to_numpy(labels)  # checked on the host: N integers
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise ShapeError(
            f"cross_entropy: expected integer labels of shape ({n},), got {labels.dtype} {labels.shape}"
        )
    if n and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(
            f"cross_entropy: labels must be in [0, {k}), got min {labels.min()} max {labels.max()}"
        )
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    logp = log_softmax(logits)
    xp = backend.xp
    target = xp.full((n, k), label_smoothing / k, dtype=logits.dtype)
    target[xp.arange(n), backend.asarray(labels)] += 1.0 - label_smoothing
    loss = float(-(target * logp).sum() / n)
    grad = (xp.exp(logp) - target) / logits.dtype.type(n)
    return loss, grad.astype(logits.dtype, copy=False)


def mse(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error over every element (PyTorch MSELoss)."""
    if pred.shape != np.shape(target):
        raise ShapeError(f"mse: prediction {pred.shape} and target {np.shape(target)} differ")
    diff = pred - backend_of(pred).asarray(target)  # targets from the host move to pred's device
    return float((diff * diff).mean()), (2.0 / pred.size * diff).astype(pred.dtype, copy=False)


def bce_with_logits(logits: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Binary cross-entropy on logits (PyTorch BCEWithLogitsLoss): max(x,0) − x·t + log(1 + e^−|x|)."""
    if logits.shape != np.shape(target):
        raise ShapeError(f"bce_with_logits: logits {logits.shape} and target {np.shape(target)} differ")
    backend = backend_of(logits)
    xp = backend.xp
    x, t = logits, backend.asarray(target, dtype=logits.dtype)
    loss = (xp.maximum(x, 0) - x * t + xp.log1p(xp.exp(-xp.abs(x)))).mean()
    e = xp.exp(-xp.abs(x))
    sig = xp.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return float(loss), ((sig - t) / x.size).astype(x.dtype, copy=False)
