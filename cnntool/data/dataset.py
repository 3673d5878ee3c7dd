"""The `Dataset` every loader returns, the seeded train/validation split and normalisation.

A trainer needs more than arrays: the task decides the loss and the metrics, the input shape is
what a spec's first item must say (`1x28x28 | conv ...`), the class names label a confusion
matrix. So they travel together, frozen, and the arrays are checked against them once here.

Conventions (those of the engine, i.e. PyTorch's):
- images are (N, C, H, W) float32, sequences (N, T, F) float32, token ids (N, T) int64;
- class labels are int64 in [0, num_classes); regression targets are float32 (N, outputs);
- per-step labels (the copy task) are int64 (N, T).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from cnntool.errors import InputError
from cnntool.text import shape_text

#: What a dataset asks of a model, and so which loss and metrics a trainer uses.
TASKS = {
    "classification": "one class per sample (an image); labels (N,)",
    "regression": "one real-valued target vector per sample; targets (N, outputs)",
    "sequence-classification": "one class per sequence (parity, the next character); labels (N,)",
    "sequence-labelling": "one class per time step (the copy task); labels (N, T)",
}
#: The loss functions a trainer takes from cnntool.engine.losses by these names.
LOSSES = ("cross_entropy", "mse", "bce_with_logits")
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Normalization:
    """Mean and standard deviation that were subtracted and divided, computed on the training split only.

    `mean` and `std` broadcast against one sample (shape (C, 1, 1) for images, (F,) per feature).
    Keep them with a trained model: new inputs must be normalised with the same numbers.
    """

    mean: np.ndarray
    std: np.ndarray

    def apply(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.std).astype(np.float32, copy=False)

    def invert(self, x: np.ndarray) -> np.ndarray:
        return (x * self.std + self.mean).astype(np.float32, copy=False)


@dataclass(frozen=True, eq=False)
class Dataset:
    """A dataset ready to train on: arrays per split plus what they mean.

    input_shape: one sample's shape, channels first, as a spec's first item writes it
    (`input_spec` gives the text, e.g. "1x9x9", "50x2", "64").
    num_classes: classes of a classification task, None for regression.
    loss: the name of the loss in cnntool.engine.losses a trainer should use.
    vocabulary: for token inputs, the character of each id (id i is vocabulary[i]).
    options: the generator's parameters (seed included), so an experiment can record and redo it.
    """

    name: str
    task: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    input_shape: tuple[int, ...]
    num_classes: int | None
    class_names: tuple[str, ...]
    description: str
    loss: str
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    vocabulary: tuple[str, ...] | None = None
    normalization: Normalization | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise InputError(f"dataset {self.name}: unknown task {self.task!r}; tasks: {', '.join(TASKS)}")
        if self.loss not in LOSSES:
            raise InputError(f"dataset {self.name}: unknown loss {self.loss!r}; losses: {', '.join(LOSSES)}")
        if (self.x_test is None) != (self.y_test is None):
            raise InputError(f"dataset {self.name}: x_test and y_test must both be given or both be None")
        classify = self.task != "regression"
        if classify and (self.num_classes is None or len(self.class_names) != self.num_classes):
            raise InputError(f"dataset {self.name}: a {self.task} task needs num_classes and as many names")
        for split, (x, y) in self.splits().items():
            if tuple(x.shape[1:]) != tuple(self.input_shape):
                raise InputError(
                    f"dataset {self.name}: {split} samples are {shape_text(x.shape[1:])}, "
                    f"not the declared {shape_text(self.input_shape)}"
                )
            if len(x) != len(y):
                raise InputError(f"dataset {self.name}: {split} has {len(x)} samples but {len(y)} targets")
            if classify and len(y) and (y.min() < 0 or y.max() >= self.num_classes):
                raise InputError(f"dataset {self.name}: {split} labels outside [0, {self.num_classes})")

    @property
    def input_spec(self) -> str:
        """The input shape as a spec's first item: "1x28x28", "50x2", "64"."""
        return shape_text(self.input_shape, sep="x")

    def splits(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """{"train": (x, y), "val": (x, y)[, "test": (x, y)]}."""
        out = {"train": (self.x_train, self.y_train), "val": (self.x_val, self.y_val)}
        if self.x_test is not None and self.y_test is not None:
            out["test"] = (self.x_test, self.y_test)
        return out

    def sizes(self) -> dict[str, int]:
        """Samples per split, e.g. {"train": 54000, "val": 6000, "test": 10000}."""
        return {split: len(x) for split, (x, _) in self.splits().items()}

    def normalized(self, per: str = "channel") -> Dataset:
        """A copy with every split normalised by the mean and std of the training split only.

        per="channel": one mean/std per image channel (or per sequence feature);
        per="all": one number for everything. Token ids are never normalised.
        """
        if self.vocabulary is not None or not np.issubdtype(self.x_train.dtype, np.floating):
            raise InputError(f"dataset {self.name}: token ids cannot be normalised")
        if self.normalization is not None:
            raise InputError(f"dataset {self.name} is normalised already")
        stats = normalization_stats(self.x_train, per=per)
        done = {f"x_{s}": stats.apply(x) for s, (x, _) in self.splits().items()}
        return replace(self, normalization=stats, **done)

    def describe(self) -> dict[str, Any]:
        """Plain JSON-able facts (no arrays): what an experiment log records."""
        return {
            "name": self.name,
            "task": self.task,
            "input_shape": list(self.input_shape),
            "input_spec": self.input_spec,
            "num_classes": self.num_classes,
            "class_names": list(self.class_names),
            "sizes": self.sizes(),
            "loss": self.loss,
            "normalized": self.normalization is not None,
            "options": dict(self.options),
        }


def normalization_stats(x_train: np.ndarray, per: str = "channel") -> Normalization:
    """Mean and std of the training samples (N, C, ...) per channel (axis 1) or over all numbers.

    Sequences (N, T, F) are normalised per feature (the last axis). A constant channel gets std 1
    so that normalising never divides by zero.
    """
    if per not in ("channel", "all"):
        raise InputError(f"normalisation per {per!r}: expected 'channel' or 'all'")
    if len(x_train) == 0:
        raise InputError("cannot normalise with an empty training split")
    x = x_train.astype(np.float64, copy=False)
    if per == "all" or x.ndim == 2:
        axes: tuple[int, ...] = tuple(range(x.ndim))
        keep = (1,) * (x.ndim - 1)
    elif x.ndim == 3:  # (N, T, F): per feature
        axes, keep = (0, 1), (1, x.shape[2])
    else:  # (N, C, H, W) or (N, C, L): per channel
        axes = (0, *range(2, x.ndim))
        keep = (x.shape[1],) + (1,) * (x.ndim - 2)
    mean = x.mean(axis=axes).reshape(keep)
    std = x.std(axis=axes).reshape(keep)
    std = np.where(std > 1e-12, std, 1.0)
    return Normalization(mean.astype(np.float32), std.astype(np.float32))


def split_counts(labels: np.ndarray, n_val: int) -> dict[int, int]:
    """How many validation samples each class gives: proportional, exactly n_val in total.

    Largest remainders (ties to the smaller class id) share out what flooring leaves, so the
    split keeps each class's share of the data as closely as whole samples allow.
    """
    classes, counts = np.unique(labels, return_counts=True)
    exact = counts * n_val / counts.sum()
    quota = np.floor(exact).astype(int)
    left = n_val - int(quota.sum())
    order = sorted(range(len(classes)), key=lambda i: (-(exact[i] - quota[i]), i))
    for i in order[:left]:
        quota[i] += 1
    return {int(c): int(q) for c, q in zip(classes, quota)}


def split_indices(
    n: int, n_val: int, rng: np.random.Generator, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, validation indices) of a seeded split of n samples, each part shuffled.

    With `labels` (a classification task) the split is stratified: each class keeps its share
    in both parts, so balanced data gives balanced splits.
    """
    if not 0 <= n_val <= n:
        raise InputError(f"cannot take {n_val:,} validation samples out of {n:,}")
    if labels is None:
        order = rng.permutation(n)
        return order[n_val:], order[:n_val]
    val_parts, train_parts = [], []
    for cls, quota in split_counts(labels, n_val).items():
        members = rng.permutation(np.flatnonzero(labels == cls))
        val_parts.append(members[:quota])
        train_parts.append(members[quota:])
    train = rng.permutation(np.concatenate(train_parts))
    val = rng.permutation(np.concatenate(val_parts))
    return train, val


def batches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    rng: np.random.Generator | None = None,
    transform=None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Mini-batches (x, y) in an order drawn from `rng` (in order when rng is None).

    `transform(x_batch, rng)` (see cnntool.data.transforms) augments each batch as it is drawn,
    so every epoch sees new variants; it needs `rng`.
    """
    if batch_size < 1:
        raise InputError(f"batch size must be positive, got {batch_size}")
    if transform is not None and rng is None:
        raise InputError("augmenting batches needs a random generator (rng)")
    order = rng.permutation(len(x)) if rng is not None else np.arange(len(x))
    for start in range(0, len(x), batch_size):
        idx = order[start : start + batch_size]
        xb = x[idx]
        yield (transform(xb, rng) if transform is not None else xb), y[idx]


def from_pool(
    info,  # cnntool.data.catalog.DatasetInfo: name, task, description
    x: np.ndarray,
    y: np.ndarray,
    n_val: int,
    rng: np.random.Generator,
    *,
    loss: str,
    class_names: tuple[str, ...] = (),
    options: dict[str, Any] | None = None,
    **fields: Any,
) -> Dataset:
    """A Dataset from one pool of generated samples, split by `rng` (stratified for class labels)."""
    labels = y if info.task in ("classification", "sequence-classification") else None
    train, val = split_indices(len(x), n_val, rng, labels)
    return Dataset(
        name=info.name,
        task=info.task,
        x_train=x[train],
        y_train=y[train],
        x_val=x[val],
        y_val=y[val],
        input_shape=tuple(int(d) for d in x.shape[1:]),
        num_classes=len(class_names) if class_names else None,
        class_names=class_names,
        description=info.description,
        loss=loss,
        options=dict(options or {}),
        **fields,
    )
