"""The trainer screen's run: a dataset, a model built from a spec, and `engine.fit` driven step by step.

No textual here: the screen's worker thread calls `TrainingRun.train` with three hooks (is it
cancelled, may it go on, where updates go), so the loop is testable on its own and the UI
thread only ever receives `Update`s (plain data, NumPy copies), never the live model.
`cnntool.data` and `cnntool.engine` are imported lazily: opening the app imports neither.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnntool.errors import CnnToolError

OPTIMIZERS = ("adam", "sgd")
#: A small network that learns each dataset in seconds on a laptop (the spec box starts with it).
DEFAULT_SPECS = {
    "xo": "1x9x9 | conv 4 k3 | relu | maxpool 2 | flatten | dense 2",
    "shapes": "1x16x16 | conv 8 k3 p1 | relu | maxpool 2 | conv 16 k3 p1 | relu | maxpool 2 | flatten | dense 6",
    "digits": "1x8x8 | conv 8 k3 p1 | relu | maxpool 2 | flatten | dense 10",
    "mnist": "1x28x28 | conv 6 k5 p2 | relu | maxpool 2 | conv 16 k5 | relu | maxpool 2 | flatten | dense 120 "
    "| relu | dense 84 | relu | dense 10",
    "fashion-mnist": "1x28x28 | conv 8 k3 p1 | relu | maxpool 2 | conv 16 k3 p1 | relu | maxpool 2 | flatten "
    "| dense 10",
    "cifar10": "3x32x32 | conv 16 k3 p1 | relu | maxpool 2 | conv 32 k3 p1 | relu | maxpool 2 | flatten "
    "| dense 10",
    "sine": "20x1 | gru 16 return_sequences=false | dense 1",
    "adding": "50x2 | lstm 16 return_sequences=false | dense 1",
    "copy": "20x10 | lstm 32 | dense 9",
    "parity": "10x1 | gru 16 return_sequences=false | dense 2",
}
DATASETS = tuple(DEFAULT_SPECS)


@dataclass(frozen=True)
class Settings:
    """A training run as the user set it up (checked by `settings`)."""

    data: str = "xo"
    spec: str = DEFAULT_SPECS["xo"]
    epochs: int = 5
    batch_size: int = 32
    lr: float = 1e-2
    optimizer: str = "adam"
    seed: int = 0
    checkpoint: str = ""


def _number(text: str, what: str, kind: type, low: float, high: float) -> Any:
    try:
        value = kind(text.strip())
    except ValueError:
        raise CnnToolError(f"{what}: {text!r} is not a {'whole ' if kind is int else ''}number") from None
    if not low <= value <= high:
        raise CnnToolError(f"{what}: {value} is outside {low:g}..{high:g}")
    return value


def settings(data: str, spec: str, epochs: str, batch_size: str, lr: str, optimizer: str, seed: str,
             checkpoint: str) -> Settings:  # fmt: skip
    """The form's texts → Settings; CnnToolError naming the field for the first bad one."""
    from cnntool.data.catalog import resolve

    if optimizer not in OPTIMIZERS:
        raise CnnToolError(f"optimizer: {optimizer!r} is not one of {', '.join(OPTIMIZERS)}")
    return Settings(
        data=resolve(data).name,
        spec=spec,
        epochs=_number(epochs, "epochs", int, 1, 1000),
        batch_size=_number(batch_size, "batch size", int, 1, 4096),
        lr=_number(lr, "learning rate", float, 1e-7, 10.0),
        optimizer=optimizer,
        seed=_number(seed, "seed", int, 0, 2**32 - 1),
        checkpoint=checkpoint.strip(),
    )


@dataclass(frozen=True)
class Update:
    """What the worker tells the screen: new curve points since the last update, where training is,
    and (now and then) the first convolution's filters and one validation input's feature maps.

    points: (global step, train loss, train accuracy or None) per step; val_points: (global step,
    val loss, val accuracy or None) per epoch end.
    """

    epoch: int
    step: int
    steps_per_epoch: int
    samples_per_s: float
    points: tuple[tuple[int, float, float | None], ...] = ()
    val_points: tuple[tuple[int, float, float | None], ...] = ()
    filters: tuple[str, Any] | None = None
    maps: tuple[str, Any] | None = None


@dataclass
class TrainingRun:
    """A dataset and a freshly built model, ready to `train` (raises CnnToolError when they do not fit)."""

    settings: Settings
    dataset: Any = field(init=False)
    model: Any = field(init=False)

    def __post_init__(self) -> None:
        from cnntool.arith import summarize
        from cnntool.data import load
        from cnntool.data.catalog import resolve
        from cnntool.engine import build
        from cnntool.spec.source import load_spec
        from cnntool.training.data import check_fit

        s = self.settings
        info = resolve(s.data)
        options: dict[str, Any] = {"seed": s.seed}
        if info.needs_download:  # the app never downloads: `cnntool data fetch` does, with a progress bar
            options["download_missing"] = False
        try:
            self.dataset = load(info.name, **options)
        except CnnToolError as error:
            if type(error).__name__ == "NotCachedError":
                raise CnnToolError(f"{error} (run: cnntool data fetch {info.name})") from None
            raise
        net = load_spec(s.spec, files=False)
        check_fit(summarize(net), self.dataset)  # the same words as `cnntool train`
        self.model = build(net, seed=s.seed)

    def optimizer(self) -> Any:
        from cnntool.engine import optim

        params = self.model.parameters()
        if self.settings.optimizer == "sgd":
            return optim.SGD(params, lr=self.settings.lr, momentum=0.9)
        return optim.Adam(params, lr=self.settings.lr)

    def pictures(self) -> tuple[tuple[str, Any] | None, tuple[str, Any] | None]:
        """(filters, feature maps of the first validation input), NumPy copies; None where there is no conv."""
        from cnntool.engine.probe import conv_filters, feature_maps

        return conv_filters(self.model), feature_maps(self.model, self.dataset.x_val[0])

    def train(self, cancelled: Callable[[], bool], resume: threading.Event, publish: Callable[[Update], None],
              interval: float = 0.5) -> bool:  # fmt: skip
        """Run fit() to the end or until `cancelled()`; wait while `resume` is clear; `publish` an Update at
        most every `interval` seconds (and at the end), with the pictures at most every 4 intervals.
        Returns True when training finished."""
        import numpy as np

        from cnntool.engine import fit
        from cnntool.training.data import task_functions

        s, ds = self.settings, self.dataset
        loss_fn, accuracy_fn = task_functions(
            ds
        )  # per-step scores for sequence labelling, as `cnntool train`
        events = fit(
            self.model, ds.x_train, ds.y_train, self.optimizer(), epochs=s.epochs, batch_size=s.batch_size,
            rng=np.random.default_rng(s.seed), loss_fn=loss_fn, accuracy=accuracy_fn,
            validation=(ds.x_val, ds.y_val),
        )  # fmt: skip
        n, window_seen, window_time, rate = len(ds.x_train), 0, 0.0, 0.0
        points: list[tuple[int, float, float | None]] = []
        vals: list[tuple[int, float, float | None]] = []
        last_post = last_picture = mark = time.perf_counter()
        event = None
        try:
            while True:
                if not resume.is_set():  # paused before the next step: waiting is not training time
                    window_time += time.perf_counter() - mark
                    while not resume.wait(0.05):
                        if cancelled():
                            return False
                    mark = time.perf_counter()
                if cancelled():
                    return False
                time.sleep(0)  # hand the GIL to the interface between steps, not only every switch interval
                event = next(events, None)
                if event is None:
                    break
                global_step = (event.epoch - 1) * event.steps_per_epoch + event.step
                if event.kind == "step":
                    window_seen += min(s.batch_size, n - (event.step - 1) * s.batch_size)
                    points.append((global_step, event.loss, event.accuracy))
                else:
                    vals.append((global_step, event.val_loss, event.val_accuracy))  # type: ignore[arg-type]
                now = time.perf_counter()
                last = event.kind == "epoch" and event.epoch == s.epochs
                if not last and now - last_post < interval:
                    continue
                window_time += now - mark
                if (
                    window_time > 0 and window_time >= interval / 2
                ):  # the last interval's rate, not compiling's
                    rate, window_seen, window_time = window_seen / window_time, 0, 0.0
                filters = maps = None
                if last or now - last_picture >= 4 * interval:
                    filters, maps = self.pictures()
                    last_picture = now
                publish(Update(event.epoch, event.step, event.steps_per_epoch, rate, tuple(points), tuple(vals),
                               filters, maps))  # fmt: skip
                points.clear()
                vals.clear()
                last_post = mark = time.perf_counter()  # drawing the pictures is not training time
        finally:
            events.close()
        return True

    def save(self, path: str) -> Path:
        """Write the model (model.save: a cnntool checkpoint; another existing file is refused)."""
        self.model.save(path)
        return Path(path)
