"""`Session`: one training run in memory — the model, its optimizer, schedule and generators —
that can be saved between any two steps and continued bit for bit.

Every random choice has its own generator, all derived from config.seed: the weights and the
dropout masks (the model's, `engine.build(seed)`), the order of the samples, the augmentation.
`state()` records each one's exact state together with the position in the epoch and the
history, so `Session.restore(...)` continues as if nothing had happened.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cnntool.data import Dataset
from cnntool.engine import optim
from cnntool.engine.train import Cursor, Progress, fit
from cnntool.errors import CnnToolError, InputError
from cnntool.training import data as run_data
from cnntool.training.config import RunConfig
from cnntool.training.weights import generators, reinitialize

STATE_FORMAT = 1


@dataclass(frozen=True)
class EpochRecord:
    """The metrics of one finished epoch (a row of metrics.csv, a line of `--json`)."""

    epoch: int
    loss: float
    accuracy: float | None
    val_loss: float | None
    val_accuracy: float | None
    lr: float
    seconds: float
    samples_per_second: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _optimizer(config: RunConfig, params: list) -> optim.Optimizer:
    lr, wd = config.learning_rate, config.weight_decay
    if not params:
        raise InputError("the network has no trainable parameters (every layer is frozen or has none)")
    if config.optim == "sgd":
        return optim.SGD(params, lr=lr, momentum=config.momentum, weight_decay=wd)
    if config.optim == "rmsprop":
        return optim.RMSprop(params, lr=lr, momentum=config.momentum, weight_decay=wd)
    cls = optim.AdamW if config.optim == "adamw" else optim.Adam
    return cls(params, lr=lr, weight_decay=wd)


def _scheduler(config: RunConfig, optimizer: optim.Optimizer) -> Any:
    if config.schedule == "step":
        return optim.StepLR(optimizer, step_size=max(1, config.epochs // 3), gamma=0.1)
    if config.schedule == "cosine":
        return optim.CosineLR(optimizer, t_max=config.epochs)
    return None


def _seeds(seed: int) -> tuple[np.random.Generator, np.random.Generator, np.random.Generator]:
    """(order, augmentation, initialisation) generators, independent streams of one seed."""
    order, augment, init = np.random.SeedSequence(seed).spawn(3)
    return np.random.default_rng(order), np.random.default_rng(augment), np.random.default_rng(init)


class Session:
    """A run in memory. Make one with `Session.start(config)` or `Session.restore(...)`."""

    def __init__(self, config: RunConfig, dataset: Dataset, model: Any) -> None:
        self.config, self.dataset, self.model = config, dataset, model
        self.loss_fn, self.accuracy_fn = run_data.task_functions(dataset)
        self.transform = run_data.augmentation(config.augment, dataset)
        self.optimizer = _optimizer(config, model.parameters())
        self.scheduler = _scheduler(config, self.optimizer)
        self.order_rng, self.augment_rng, _ = _seeds(config.seed)
        self.cursor = Cursor()
        self.history: list[EpochRecord] = []

    # -- making a session ---------------------------------------------------------------------
    @classmethod
    def start(cls, config: RunConfig, dataset: Dataset | None = None, device: str | None = None) -> Session:
        """A fresh run: load the data (unless given), check the spec against it, build the model on
        `device` (engine.build's: None is CNNTOOL_DEVICE, else cpu)."""
        from cnntool.arith import analyze
        from cnntool.engine.builder import build
        from cnntool.spec.source import load_spec

        net = load_spec(config.spec)
        summary = analyze(net)
        ds = dataset if dataset is not None else run_data.load_dataset(config)
        run_data.check_fit(summary, ds)
        run_data.check_batch(summary, config)
        model = build(net, seed=config.seed, dtype=config.dtype, device=device)
        if config.init != "default":
            reinitialize(model, config.init, _seeds(config.seed)[2])
        return cls(config, ds, model)

    @classmethod
    def restore(
        cls,
        config: RunConfig,
        checkpoint: str | Path,
        dataset: Dataset | None = None,
        device: str | None = None,
    ) -> Session:
        """The run saved by `save(checkpoint)`, ready to continue (config.epochs may be larger), on
        `device` (any: the saved state is device-neutral)."""
        from cnntool.engine.builder import load
        from cnntool.engine.checkpoint import read

        saved = read(checkpoint)
        if "training" not in saved.extra:
            raise CnnToolError(f"{checkpoint}: a model file without a training state; it cannot be resumed")
        model = load(checkpoint, device=device)
        ds = dataset if dataset is not None else run_data.load_dataset(config)
        session = cls(config, ds, model)
        if saved.optimizer_class != type(session.optimizer).__name__:
            raise CnnToolError(
                f"{checkpoint}: saved with the {saved.optimizer_class or 'no'} optimizer, the run uses "
                f"{type(session.optimizer).__name__}"
            )
        session.optimizer.load_state_dict(saved.optimizer_state)
        session._set_state(json.loads(str(saved.extra["training"].item())), str(checkpoint))
        return session

    # -- training -----------------------------------------------------------------------------
    @property
    def epochs_done(self) -> int:
        return len(self.history)

    @property
    def finished(self) -> bool:
        return self.epochs_done >= self.config.epochs

    def train(self, should_stop: Callable[[], bool] | None = None) -> Iterator[Progress]:
        """Train to config.epochs from where the session stands, yielding fit()'s events.

        Raises engine.train.TrainingDiverged on a NaN or infinite loss (the session then still
        holds its last good state only in what was saved before).
        """
        ds = self.dataset
        events = fit(
            self.model, ds.x_train, ds.y_train, self.optimizer, epochs=self.config.epochs,
            batch_size=self.config.batch, rng=self.order_rng, loss_fn=self.loss_fn,
            validation=(ds.x_val, ds.y_val), clip_norm=self.config.clip, scheduler=self.scheduler,
            transform=self.transform, transform_rng=self.augment_rng if self.transform else None,
            accuracy=self.accuracy_fn, start=self.cursor, should_stop=should_stop,
        )  # fmt: skip
        seconds, samples = 0.0, self.cursor.seen  # time inside the loop only, not the caller's
        while True:
            began = time.perf_counter()
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # NaN is reported, not warned
                event = next(events, None)
            seconds += time.perf_counter() - began
            if event is None:
                return
            self.cursor = event.cursor or self.cursor
            if event.kind == "epoch":
                done = event.samples - samples
                self.history.append(
                    EpochRecord(
                        event.epoch,
                        event.loss,
                        event.accuracy,
                        event.val_loss,
                        event.val_accuracy,
                        float(event.lr or 0.0),
                        round(seconds, 3),
                        round(done / seconds, 1) if seconds > 0 else 0.0,
                    )  # fmt: skip
                )
                seconds, samples = 0.0, 0
            yield event

    # -- saving and restoring -----------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Everything besides weights and optimizer state a continued run needs, as JSON-able data."""
        cur = self.cursor
        return {
            "format": STATE_FORMAT,
            "cursor": {
                "epoch": cur.epoch,
                "step": cur.step,
                "order_state": cur.order_state or self.order_rng.bit_generator.state,
                "seen": cur.seen,
                "total": cur.total,
                "correct": cur.correct,
            },  # fmt: skip
            "augment_state": self.augment_rng.bit_generator.state,
            "model_generators": [g.bit_generator.state for g in generators(self.model)],
            "scheduler_epoch": getattr(self.scheduler, "epoch", 0),
            "history": [r.to_json() for r in self.history],
        }

    def _set_state(self, state: object, source: str) -> None:
        try:
            if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
                raise ValueError("unknown format")
            c = state["cursor"]
            self.cursor = Cursor(int(c["epoch"]), int(c["step"]), dict(c["order_state"]), int(c["seen"]),
                                 float(c["total"]), float(c["correct"]))  # fmt: skip
            self.order_rng.bit_generator.state = self.cursor.order_state
            self.augment_rng.bit_generator.state = state["augment_state"]
            gens = generators(self.model)
            if len(gens) != len(state["model_generators"]):
                raise ValueError("the model's random generators differ from the saved ones")
            for gen, saved in zip(gens, state["model_generators"]):
                gen.bit_generator.state = saved
            if self.scheduler is not None:
                self.scheduler.epoch = int(state["scheduler_epoch"])
            self.history = [EpochRecord(**r) for r in state["history"]]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CnnToolError(f"{source}: the training state in it is damaged ({exc})") from None
        if self.cursor.epoch != self.epochs_done + 1 or not math.isfinite(self.cursor.total):
            raise CnnToolError(f"{source}: the training state in it is inconsistent")

    def meta(self) -> dict[str, Any]:
        """What a saved model needs to be used on new inputs: the task, the classes, the input range."""
        ds = self.dataset
        low, high = (float(ds.x_train.min()), float(ds.x_train.max())) if ds.vocabulary is None else (0, 0)
        return {
            "dataset": ds.name,
            "task": ds.task,
            "class_names": list(ds.class_names),
            "input_spec": ds.input_spec,
            "background": run_data.background(ds) if ds.x_train.ndim == 4 else None,
            "value_range": [round(low, 4), round(high, 4)],
            "vocabulary": list(ds.vocabulary) if ds.vocabulary is not None else None,
            "epochs": self.epochs_done,
        }

    def save(self, path: str | Path, resumable: bool = True) -> None:
        """Write the model (with the optimizer and training state when `resumable`) atomically."""
        from cnntool.engine.checkpoint import save

        extra = {"meta": json.dumps(self.meta())}
        if resumable:
            extra["training"] = json.dumps(self.state())
        save(self.model, path, self.optimizer if resumable else None, extra=extra)
