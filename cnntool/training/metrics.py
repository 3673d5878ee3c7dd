"""Metrics a finished run reports: predictions in batches, the confusion matrix, per-class accuracy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


def predict_batches(model: Any, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The model's outputs on x in eval mode, batch by batch, as one host array."""
    outs = [model.backend.to_numpy(model.forward(x[i : i + batch_size], train=False))
            for i in range(0, len(x), batch_size)]  # fmt: skip
    return np.concatenate(outs)


@dataclass(frozen=True)
class Confusion:
    """counts[i, j]: samples of true class i predicted as class j."""

    class_names: tuple[str, ...]
    counts: np.ndarray

    @property
    def accuracy(self) -> float:
        total = int(self.counts.sum())
        return float(np.trace(self.counts)) / total if total else 0.0

    def recall(self) -> list[float | None]:
        """Per class: the fraction of its samples predicted right (None for an absent class)."""
        rows = self.counts.sum(axis=1)
        return [float(self.counts[i, i] / r) if r else None for i, r in enumerate(rows)]

    def to_json(self) -> dict[str, Any]:
        return {
            "class_names": list(self.class_names),
            "counts": self.counts.tolist(),
            "accuracy": self.accuracy,
        }


def confusion(model: Any, x: np.ndarray, y: np.ndarray, class_names: tuple[str, ...],
              batch_size: int = 256) -> Confusion:  # fmt: skip
    """The confusion matrix of a classifier on (x, y); per time step for (N, T) labels."""
    predicted = predict_batches(model, x, batch_size).argmax(axis=-1)
    k = len(class_names)
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (np.asarray(y).ravel(), predicted.ravel()), 1)
    return Confusion(tuple(class_names), counts)
