"""The dataset a RunConfig names, and the checks that the spec fits it, before anything trains.

A student's most common mistakes are a spec whose input is not the data's shape, and a last
layer whose size is not the number of classes; both are caught here from `cnntool.arith` (no
model is built) and the message names both shapes and the fix. The loss and the accuracy follow
the dataset's task (Dataset.loss), so a run never asks the user to pick them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from cnntool import budgets
from cnntool.data import Dataset, load, options_of, resolve
from cnntool.data.transforms import Compose, GaussianNoise, HorizontalFlip, RandomCrop, RandomShift
from cnntool.engine import losses
from cnntool.errors import InputError
from cnntool.text import shape_text
from cnntool.training.config import RunConfig


def load_dataset(config: RunConfig, progress: Callable | None = None) -> Dataset:
    """The dataset of `config`: seeded by config.seed, split by val_split, cut to `limit` samples.

    `progress(name, done, total)` is told how a download advances (downloaded datasets only).
    """
    info = resolve(config.data)
    accepted = options_of(info.name)
    options: dict[str, Any] = {"seed": config.seed, **config.data_options}
    if info.name == "text":
        if config.text_file is None:
            raise InputError("the text dataset learns from a text file you give (none was given)")
        options["file"] = config.text_file
    elif config.text_file is not None:
        raise InputError(f"a text file is for the text dataset; {info.name} does not read one")
    if config.val_split is not None:
        if "val_fraction" in accepted:
            options["val_fraction"] = config.val_split
        elif "n_train" in accepted:
            pool = info.defaults["n_train"] + info.defaults["n_val"]
            options["n_val"] = max(1, round(pool * config.val_split))
            options["n_train"] = pool - options["n_val"]
        else:  # digits: 1,797 images in all
            options["n_val"] = max(1, round(1797 * config.val_split))
    if config.limit is not None and "limit" in accepted:
        options["limit"] = config.limit
    if "download_missing" in accepted:
        options.setdefault("download_missing", True)
    if progress is not None and "progress" in accepted:
        options["progress"] = progress
    ds = load(info.name, **options)
    if config.limit is not None and "limit" not in accepted:
        ds = _cut(ds, config.limit)
    return ds


def _cut(ds: Dataset, limit: int) -> Dataset:
    """The first `limit` training and validation samples (each split is shuffled already)."""
    from dataclasses import replace

    cut = {"x_train": ds.x_train[:limit], "y_train": ds.y_train[:limit],
           "x_val": ds.x_val[:limit], "y_val": ds.y_val[:limit]}  # fmt: skip
    if ds.x_test is not None and ds.y_test is not None:
        cut |= {"x_test": ds.x_test[:limit], "y_test": ds.y_test[:limit]}
    return replace(ds, **cut)


def check_fit(summary: Any, ds: Dataset) -> None:
    """InputError unless the analysed spec takes ds's samples and gives what its task needs."""
    spec_in, data_in = tuple(summary.input_shape), tuple(ds.input_shape)
    if spec_in != data_in:
        raise InputError(
            f"the spec's input is {shape_text(spec_in, 'x')} but {ds.name} gives samples of "
            f"{shape_text(data_in, 'x')}; start the spec with {ds.input_spec} instead of {shape_text(spec_in, 'x')}"
        )
    out = tuple(summary.layers[-1].output_shape) if summary.layers else spec_in
    expected = expected_output(ds)
    if out != expected:
        if ds.task == "sequence-labelling":
            fix = f"keep the time axis and end with dense {ds.num_classes} (return_sequences=true)"
        elif ds.num_classes is not None:
            fix = f"end it with dense {ds.num_classes}" + (" (after a flatten)" if len(out) > 1 else "")
        else:
            fix = f"end it with dense {expected[-1]}" + (
                " (return_sequences=false before it)" if len(out) > 1 else ""
            )
        what = (
            f"{ds.num_classes} classes"
            if ds.num_classes is not None
            else f"targets of {shape_text(expected, 'x')}"
        )
        raise InputError(
            f"the spec's output is {shape_text(out, 'x')} per sample but {ds.name} needs "
            f"{shape_text(expected, 'x')} ({what}); {fix}"
        )


def expected_output(ds: Dataset) -> tuple[int, ...]:
    """One sample's output shape the task needs: (classes,), (T, classes) or the target's shape."""
    if ds.task == "sequence-labelling":
        return (int(ds.y_train.shape[1]), int(ds.num_classes or 0))
    if ds.num_classes is not None:
        return (ds.num_classes,)
    return tuple(int(d) for d in ds.y_train.shape[1:])


def check_batch(summary: Any, config: RunConfig) -> None:
    """BudgetError when one batch's activations would exceed budgets.BATCH_BYTES."""
    from cnntool.engine.builder import working_elements

    _, per_sample = working_elements(summary)
    itemsize = np.dtype(config.dtype).itemsize
    budgets.check(budgets.BATCH_BYTES, per_sample * config.batch * itemsize,
                  f"a batch of {config.batch:,} samples")  # fmt: skip


def _per_step_cross_entropy(out: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Cross-entropy of (N, T, K) logits against (N, T) labels, averaged over every step."""
    n, t, k = out.shape
    loss, grad = losses.cross_entropy(out.reshape(n * t, k), y.reshape(n * t))
    return loss, grad.reshape(n, t, k)


def _per_step_accuracy(out: np.ndarray, y: np.ndarray) -> float:
    return float((out.argmax(axis=-1) == y).mean())


def task_functions(ds: Dataset) -> tuple[Callable, Callable | None]:
    """(loss, accuracy or None) for the dataset's task."""
    if ds.task == "sequence-labelling":
        return _per_step_cross_entropy, _per_step_accuracy
    return getattr(losses, ds.loss), None  # None: fit() scores cross-entropy by argmax


def background(ds: Dataset) -> float:
    """The value of an empty pixel: the median corner pixel (−1 for xo and shapes, 0 for MNIST)."""
    corners = ds.x_train[..., 0, 0] if ds.x_train.ndim == 4 else ds.x_train[..., 0]
    return float(np.round(np.median(corners), 3))


def augmentation(names: tuple[str, ...], ds: Dataset) -> Callable | None:
    """The transform the names ask for (cnntool.data.transforms), or None; only noise for non-images."""
    if not names:
        return None
    moving = [n for n in names if n != "noise"]
    if moving and ds.x_train.ndim != 4:
        raise InputError(
            f"{', '.join(moving)} {'moves' if len(moving) == 1 else 'move'} the pixels of images; {ds.name} holds samples of "
            f"{shape_text(ds.input_shape, 'x')} (only noise works on those)"
        )
    if ds.vocabulary is not None:
        raise InputError(f"{ds.name} holds token ids; they cannot be augmented")
    fill = background(ds) if moving else 0.0
    side = min(ds.input_shape[-2:]) if ds.x_train.ndim == 4 else 0
    shift = max(1, math.ceil(side / 16))  # 2 px on 28×28 and 32×32 (the lecture's CIFAR demo), 1 on 9×9
    scale = float(ds.x_train.std()) or 1.0
    make = {
        "shift": lambda: RandomShift(shift, fill),
        "crop": lambda: RandomCrop(shift, fill),
        "flip": lambda: HorizontalFlip(0.5),
        "noise": lambda: GaussianNoise(round(0.1 * scale, 4)),
    }
    return Compose(tuple(make[n]() for n in names))
