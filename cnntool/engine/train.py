"""`fit()`: a training loop that yields progress events, so a CLI, a TUI worker or a notebook can
render them (and stop early by breaking out of the loop, or with `should_stop`); nothing here prints.

A run can be stopped between two steps and continued later exactly where it was: every event
carries a `Cursor` (epoch, step, the order generator's state when the epoch began, the running
sums), and `fit(..., start=cursor)` redraws that epoch's order and skips the steps already done.
With the model's weights, the optimizer's state and the other generators (dropout, augmentation)
restored by the caller, the continued run equals an uninterrupted one bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

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
class Cursor:
    """Where a run stands between two steps: resume with `fit(..., start=cursor)`.

    epoch: the epoch in progress (1-based); step: steps of it already done; order_state: the
    order generator's `bit_generator.state` when this epoch began (before its permutation);
    seen/total/correct: samples, summed loss and summed correct predictions of the epoch so far.
    """

    epoch: int = 1
    step: int = 0
    order_state: dict[str, Any] | None = field(default=None, compare=False)
    seen: int = 0
    total: float = 0.0
    correct: float = 0.0


@dataclass(frozen=True)
class Progress:
    """One event: after every step (`kind="step"`), at the end of every epoch (`kind="epoch"`), and
    `kind="stopped"` when `should_stop()` asked the loop to stop between two steps.

    `loss`/`accuracy` are means over the epoch so far; `val_*` are set on epoch events when
    validation data was given; accuracy is None for losses other than cross-entropy (unless an
    accuracy function was given). `samples` counts the epoch's samples so far, `lr` is the learning
    rate the step used, `cursor` where the run stands after this event.
    """

    kind: str
    epoch: int
    step: int
    steps_per_epoch: int
    loss: float
    accuracy: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None
    samples: int = 0
    lr: float | None = None
    cursor: Cursor | None = field(default=None, repr=False, compare=False)


def _accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose largest logit is the label; the N predicted classes come to the host."""
    predicted = backend_of(logits).to_numpy(logits.argmax(axis=1))
    return float((predicted == backend_of(y).to_numpy(y)).mean())


def _accuracy_fn(loss_fn: Callable, accuracy: Callable | None) -> Callable | None:
    if accuracy is not None:
        return accuracy
    return _accuracy if loss_fn is _losses.cross_entropy else None


def evaluate(model, x: np.ndarray, y: np.ndarray, loss_fn: Callable = _losses.cross_entropy,
             batch_size: int = 256, accuracy: Callable | None = None) -> tuple[float, float | None]:  # fmt: skip
    """(mean loss, accuracy or None) of `model` in eval mode on (x, y).

    `accuracy(out, y)` defaults to argmax accuracy for cross-entropy, none for other losses.
    """
    total, correct, n = 0.0, 0.0, len(x)
    score = _accuracy_fn(loss_fn, accuracy)
    for i in range(0, n, batch_size):
        out = model.forward(x[i : i + batch_size], train=False)
        loss, _ = loss_fn(out, y[i : i + batch_size])
        total += loss * len(out)
        if score is not None:
            correct += score(out, y[i : i + batch_size]) * len(out)
    return total / n, (correct / n if score is not None else None)


def _check_whole(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(f"fit: {name} must be a whole number ≥ 1, got {value!r}")


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
    transform: Callable | None = None,
    transform_rng: np.random.Generator | None = None,
    accuracy: Callable | None = None,
    start: Cursor | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[Progress]:
    """Train with shuffled mini-batches (order drawn from `rng`), yielding a Progress after each step.

    x: (N, *model.input_shape); y: labels (N,) for cross-entropy or targets for other losses.
    transform(x_batch, transform_rng): augmentation of each training batch (cnntool.data.transforms).
    accuracy(out, y) → fraction correct, for tasks whose accuracy is not argmax over axis 1.
    start: continue from a Cursor an earlier event carried (`rng` must be the same generator
    object or one in any state: its state is set from the cursor). `scheduler.step()` runs once
    per epoch, after validation. `should_stop()` is asked before every step; when it says True
    the loop yields a "stopped" event whose cursor resumes at that step, and returns.
    """
    n = len(x)
    if n == 0 or len(y) != n:
        raise InputError(f"fit: x has {n} samples but y has {len(y)}")
    _check_whole("batch_size", batch_size)
    _check_whole("epochs", epochs)
    if clip_norm is not None and not (math.isfinite(clip_norm) and clip_norm > 0):
        raise InputError(f"fit: clip_norm must be a positive number, got {clip_norm!r}")
    if transform is not None and transform_rng is None:
        raise InputError("fit: augmenting batches (transform) needs a random generator (transform_rng)")
    steps = -(-n // batch_size)
    score = _accuracy_fn(loss_fn, accuracy)
    cur = start or Cursor()
    if not 0 <= cur.step <= steps:
        raise InputError(f"fit: cannot resume at step {cur.step} of an epoch of {steps} steps")
    for epoch in range(cur.epoch, epochs + 1):
        resuming = epoch == cur.epoch and cur.order_state is not None
        if resuming:
            rng.bit_generator.state = cur.order_state
        order_state = rng.bit_generator.state
        order = rng.permutation(n)
        first = cur.step if epoch == cur.epoch else 0
        seen, total, correct = (cur.seen, cur.total, cur.correct) if epoch == cur.epoch else (0, 0.0, 0.0)
        acc = (correct / seen if seen else None) if score is not None else None
        for step in range(first, steps):
            if should_stop is not None and should_stop():
                here = Cursor(epoch, step, order_state, seen, total, correct)
                yield Progress("stopped", epoch, step, steps, total / seen if seen else math.nan, acc,
                               samples=seen, lr=optimizer.lr, cursor=here)  # fmt: skip
                return
            idx = order[step * batch_size : (step + 1) * batch_size]
            xb = x[idx] if transform is None else transform(x[idx], transform_rng)
            out = model.forward(xb, train=True)
            loss, dout = loss_fn(out, y[idx])
            if not math.isfinite(loss):
                raise TrainingDiverged(epoch, step + 1, loss)
            model.backward(dout)
            if clip_norm is not None:
                clip_grad_norm(optimizer.params, clip_norm)
            lr = optimizer.lr
            optimizer.step()
            optimizer.zero_grad()
            seen += len(idx)
            total += loss * len(idx)
            if score is not None:
                correct += score(out, y[idx]) * len(idx)
            acc = correct / seen if score is not None else None
            here = Cursor(epoch, step + 1, order_state, seen, total, correct)
            yield Progress(
                "step", epoch, step + 1, steps, total / seen, acc, samples=seen, lr=lr, cursor=here
            )
        val_loss = val_acc = None
        if validation is not None:
            val_loss, val_acc = evaluate(model, *validation, loss_fn=loss_fn, batch_size=batch_size,
                                         accuracy=accuracy)  # fmt: skip
        lr = optimizer.lr
        if scheduler is not None:
            scheduler.step()
        nxt = Cursor(epoch + 1, 0, rng.bit_generator.state)
        yield Progress("epoch", epoch, steps, steps, total / seen, acc, val_loss, val_acc, seen, lr, nxt)
