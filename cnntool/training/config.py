"""`RunConfig`: everything that decides a training run, as one frozen, JSON-able value.

A run folder keeps it as config.json, so `--resume` rebuilds exactly the same run, and an
experiment is a list of configs that differ in one field. Values are checked here (the CLI's
ranges say the same in `--help`); a config read back from a file is checked again, since a
file is data someone may have edited.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from cnntool.errors import InputError
from cnntool.text import did_you_mean

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
#: torch.optim's defaults (SGD has none in torch: 0.01 is the classic starting point).
DEFAULT_LR = {"sgd": 0.01, "adam": 0.001, "adamw": 0.001, "rmsprop": 0.01}
SCHEDULES = ("constant", "step", "cosine")
AUGMENTS = ("shift", "flip", "crop", "noise")
DTYPES = ("float32", "float64")
INITS = ("default", "he", "xavier", "small", "large")
MAX_EPOCHS = 10_000
MAX_BATCH = 65_536


def _choice(what: str, value: object, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        hint = did_you_mean(str(value), choices)
        raise InputError(
            f"unknown {what} {value!r}" + (f"; {hint}" if hint else "") + f" ({', '.join(choices)})"
        )
    return value


def _number(what: str, value: object, low: float, high: float = math.inf, *, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{what} must be a finite number, got {value!r}")
    if value < low or (low_open and value == low) or value > high:
        bound = f"> {low}" if low_open else f"≥ {low}"
        raise InputError(
            f"{what} must be {bound}" + (f" and ≤ {high}" if high != math.inf else "") + f", got {value}"
        )
    return float(value)


def _whole(what: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"{what} must be a whole number from {low:,} to {high:,}, got {value!r}")
    return value


@dataclass(frozen=True)
class RunConfig:
    """One training run.

    spec: the network (text, zoo name or file path; the resolved text is what a run folder keeps).
    data: a dataset name of cnntool.data (`text` reads `text_file`). limit: at most this many
    training (and validation) samples. val_split: the fraction held out for validation (None: the
    dataset's own split). optim/lr/momentum/weight_decay: the optimizer (lr None: its default).
    schedule: "constant", "step" (×0.1 every third of the epochs) or "cosine" (to 0 at the end).
    clip: the largest gradient norm (None: no clipping). augment: transforms of cnntool.data
    for image data. init: weight initialisation ("default" is PyTorch's). seed: the one number
    every random choice (weights, split, order, dropout, augmentation) follows from.
    """

    spec: str
    data: str
    text_file: str | None = None
    optim: str = "adam"
    lr: float | None = None
    momentum: float = 0.0
    weight_decay: float = 0.0
    schedule: str = "constant"
    clip: float | None = None
    batch: int = 32
    epochs: int = 5
    seed: int = 0
    val_split: float | None = None
    augment: tuple[str, ...] = ()
    dtype: str = "float32"
    limit: int | None = None
    init: str = "default"
    data_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.spec, str) or not self.spec.strip():
            raise InputError("the network spec is empty")
        if not isinstance(self.data, str) or not self.data.strip():
            raise InputError("no dataset named")
        _choice("optimizer", self.optim, OPTIMIZERS)
        _choice("learning-rate schedule", self.schedule, SCHEDULES)
        _choice("dtype", self.dtype, DTYPES)
        _choice("initialisation", self.init, INITS)
        if self.lr is not None:
            _number("the learning rate", self.lr, 0.0, 1e3, low_open=True)
        _number("momentum", self.momentum, 0.0, 1.0 - 1e-9)
        _number("weight decay", self.weight_decay, 0.0, 10.0)
        if self.clip is not None:
            _number("the gradient-norm clip", self.clip, 0.0, low_open=True)
        _whole("the batch size", self.batch, 1, MAX_BATCH)
        _whole("the number of epochs", self.epochs, 1, MAX_EPOCHS)
        _whole("the seed", self.seed, 0, 2**63 - 1)
        if self.val_split is not None:
            _number("the validation fraction", self.val_split, 0.0, 0.9, low_open=True)
        if self.limit is not None:
            _whole("the sample limit", self.limit, 1, 10_000_000)
        if not isinstance(self.augment, tuple):
            object.__setattr__(self, "augment", tuple(self.augment))
        for name in self.augment:
            _choice("augmentation", name, AUGMENTS)
        if len(set(self.augment)) != len(self.augment):
            raise InputError(f"augmentation {', '.join(self.augment)} names one transform twice")
        if self.momentum and self.optim not in ("sgd", "rmsprop"):
            raise InputError(f"momentum is a setting of sgd and rmsprop; {self.optim} keeps its own moments")

    @property
    def learning_rate(self) -> float:
        """The learning rate the run starts with (the optimizer's default when none was given)."""
        return self.lr if self.lr is not None else DEFAULT_LR[self.optim]

    def replace(self, **changes: Any) -> RunConfig:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["augment"] = list(self.augment)
        return out

    @classmethod
    def from_json(cls, data: object, source: str = "config") -> RunConfig:
        """A config from `to_json()`'s dict (a run folder's config.json), every field checked."""
        if not isinstance(data, dict):
            raise InputError(f"{source}: expected a JSON object of run settings")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = [k for k in data if k not in names]
        if unknown:
            raise InputError(f"{source}: unknown setting {unknown[0]!r} ({', '.join(sorted(names))})")
        values = dict(data)
        if isinstance(values.get("augment"), list):
            values["augment"] = tuple(values["augment"])
        if not isinstance(values.get("data_options", {}), dict):
            raise InputError(f"{source}: data_options must be an object")
        try:
            return cls(**values)
        except TypeError as exc:  # a missing required field
            raise InputError(f"{source}: {exc}") from None
        except InputError as exc:
            raise InputError(f"{source}: {exc}") from None
