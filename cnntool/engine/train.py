"""`fit()`: a training loop that yields progress events, so a CLI, a TUI worker or a notebook can
render them (and stop early by breaking out of the loop); nothing here prints.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from cnntool.engine import losses as _losses
from cnntool.engine.backend import backend_of
from cnntool.engine.optim import Optimizer, clip_grad_norm
from cnntool.errors import CnnToolError, InputError


class TrainingDiverged(CnnToolError):
    """The loss became NaN or infinite: training stops before the weights are updated with it."""

    def __init__(self, epoch: int, batch: int, loss: float) -> None:
        self.epoch, self.batch, self.loss = epoch, batch, loss
        super().__init__(
            f"the loss became {loss} at epoch {epoch}, batch {batch}; training stopped before this batch "
            "changed the weights. Lower the learning rate, or clip the gradient norm."
        )


@dataclass(frozen=True)
class Progress:
    """One event: after every step (`kind="step"`) and at the end of every epoch (`kind="epoch"`).

    `loss`/`accuracy` are means over the epoch so far; `val_*` are set on epoch events when
    validation data was given; accuracy is None for losses other than cross-entropy.
    """

    kind: str
    epoch: int
    step: int
    steps_per_epoch: int
    loss: float
    accuracy: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None


def _accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose largest logit is the label; the N predicted classes come to the host."""
    predicted = backend_of(logits).to_numpy(logits.argmax(axis=1))
    return float((predicted == backend_of(y).to_numpy(y)).mean())


def evaluate(model, x: np.ndarray, y: np.ndarray, loss_fn: Callable = _losses.cross_entropy,
             batch_size: int = 256) -> tuple[float, float | None]:  # fmt: skip
    """(mean loss, accuracy or None) of `model` in eval mode on (x, y)."""
    total, correct, n = 0.0, 0.0, len(x)
    classify = loss_fn is _losses.cross_entropy
    for i in range(0, n, batch_size):
        out = model.forward(x[i : i + batch_size], train=False)
        loss, _ = loss_fn(out, y[i : i + batch_size])
        total += loss * len(out)
        if classify:
            correct += _accuracy(out, y[i : i + batch_size]) * len(out)
    return total / n, (correct / n if classify else None)


def fit(
    model,
    x: np.ndarray,
    y: np.ndarray,
    optimizer: Optimizer,
    *,
    epochs: int = 1,
    batch_size: int = 64,
    rng: np.random.Generator,
    loss_fn: Callable = _losses.cross_entropy,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    clip_norm: float | None = None,
    scheduler=None,
) -> Iterator[Progress]:
    """Train with shuffled mini-batches (order drawn from `rng`), yielding a Progress after each step.

    x: (N, *model.input_shape); y: labels (N,) for cross-entropy or targets for other losses.
    """
    n = len(x)
    if n == 0 or len(y) != n:
        raise InputError(f"fit: x has {n} samples but y has {len(y)}")
    for name, value in (("batch_size", batch_size), ("epochs", epochs)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise InputError(f"fit: {name} must be a whole number ≥ 1, got {value!r}")
    if clip_norm is not None and not (math.isfinite(clip_norm) and clip_norm > 0):
        raise InputError(f"fit: clip_norm must be a positive number, got {clip_norm!r}")
    steps = -(-n // batch_size)
    classify = loss_fn is _losses.cross_entropy
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n)
        seen, total, correct = 0, 0.0, 0.0
        for step in range(steps):
            idx = order[step * batch_size : (step + 1) * batch_size]
            out = model.forward(x[idx], train=True)
            loss, dout = loss_fn(out, y[idx])
            if not math.isfinite(loss):
                raise TrainingDiverged(epoch, step + 1, loss)
            model.backward(dout)
            if clip_norm is not None:
                clip_grad_norm(optimizer.params, clip_norm)
            optimizer.step()
            optimizer.zero_grad()
            seen += len(idx)
            total += loss * len(idx)
            if classify:
                correct += _accuracy(out, y[idx]) * len(idx)
            acc = correct / seen if classify else None
            yield Progress("step", epoch, step + 1, steps, total / seen, acc)
        val_loss = val_acc = None
        if validation is not None:
            val_loss, val_acc = evaluate(model, *validation, loss_fn=loss_fn)
        if scheduler is not None:
            scheduler.step()
        yield Progress("epoch", epoch, steps, steps, total / seen, acc, val_loss, val_acc)
