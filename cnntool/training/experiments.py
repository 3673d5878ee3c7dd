"""The lecture's experiments: the same network trained in variants that differ in one thing, with the
same seed and the same data, so the curves differ only by that thing.

- dropout: a small CNN with and without dropout ("an implicit regularisation technique").
- augmentation: the same CNN with and without random shifts (the lecture's CIFAR-10 demo shifts by up to
  2 px) on a small training set.
- depth: 2 vs 8 sigmoid layers, and 8 with batch norm ("the deeper the network the smaller the gradient
  in the lower layers"), with each variant's first- and last-layer gradient norm at initialisation.
- init: an 8-layer ReLU MLP with PyTorch's default, He, Xavier, too small and too large weights.
- rnn-vs-lstm: the adding problem at T = 50: an LSTM learns it, a plain RNN does not; ‖dL/dh_t‖ per time
  step shows why (needs the engine's recurrent layers).

`run_experiment` yields events (a variant starts, a training step, a variant ends) and finally the
ExperimentResult; nothing prints. A variant whose loss becomes NaN is a result ("diverged at epoch 1,
batch 2"), not an error: that is what a too-large initialisation does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cnntool.errors import CnnToolError, InputError
from cnntool.text import did_you_mean
from cnntool.training import data as run_data
from cnntool.training.config import RunConfig
from cnntool.training.session import EpochRecord, Session

CNN = ("{input} | conv 16 k3 p1 | relu | maxpool 2 | conv 32 k3 p1 | relu | maxpool 2 | flatten{drop}"
       " | dense 128 | relu{drop} | dense {outputs}")  # fmt: skip


def _mlp(depth: int, act: str, norm: bool = False) -> str:
    block = f"dense 64{' | batchnorm' if norm else ''} | {act}"
    return "{input} | flatten | " + " | ".join([block] * depth) + " | dense {outputs}"


@dataclass(frozen=True)
class Variant:
    """One arm of an experiment: a spec template ({input}, {outputs}, {drop}) and config changes."""

    name: str
    spec: str
    changes: dict[str, Any] = field(default_factory=dict)
    drop: str = ""


@dataclass(frozen=True)
class Experiment:
    """An experiment: its variants, the data and settings they share, and what --quick shrinks."""

    name: str
    title: str
    lesson: str
    data: str
    variants: tuple[Variant, ...]
    settings: dict[str, Any]
    quick: dict[str, Any]
    images_only: bool = False
    needs: str = ""  # a layer kind the engine must train ("lstm")
    gradient_norms: str = ""  # "layers" or "time"


EXPERIMENTS: dict[str, Experiment] = {
    e.name: e
    for e in (
        Experiment(
            "dropout",
            "The same CNN with and without dropout",
            "Dropout randomly turns off units while training, so the network cannot rely on any one of "
            "them: the gap between training and validation shrinks.",
            "shapes",
            (Variant("no dropout", CNN), Variant("dropout 0.5", CNN, drop=" | dropout 0.5")),
            {"epochs": 30, "limit": 300, "optim": "adam", "lr": 0.002, "batch": 32},
            {"epochs": 2, "limit": 64},
            images_only=True,
        ),
        Experiment(
            "augmentation",
            "The same CNN with and without random shifts",
            "Augmentation shows the network shifted copies of its few training images, so it learns that "
            "position does not matter (the lecture's CIFAR-10 demo shifts by up to 2 px).",
            "shapes",
            (Variant("no augmentation", CNN), Variant("random shifts", CNN, {"augment": ("shift",)})),
            {"epochs": 20, "limit": 300, "optim": "adam", "lr": 0.002, "batch": 32},
            {"epochs": 2, "limit": 64},
            images_only=True,
        ),
        Experiment(
            "depth",
            "Deeper is harder: 2 vs 8 sigmoid layers, and 8 with batch norm",
            "Backprop multiplies one factor per layer: through 8 sigmoid layers the first layer's gradient "
            "is millions of times smaller than the last one's, so it barely learns; batch norm fixes the scale.",
            "shapes",
            (
                Variant("2 sigmoid layers", _mlp(2, "sigmoid")),
                Variant("8 sigmoid layers", _mlp(8, "sigmoid")),
                Variant("8 sigmoid + batchnorm", _mlp(8, "sigmoid", norm=True)),
            ),
            {"epochs": 20, "limit": 1200, "optim": "sgd", "lr": 0.05, "momentum": 0.9, "batch": 32},
            {"epochs": 2, "limit": 64},
            gradient_norms="layers",
        ),  # fmt: skip
        Experiment(
            "init",
            "Initialisation of an 8-layer ReLU network",
            "Weights that are too small make the signal (and the gradient) vanish layer by layer; too large "
            "ones make it explode; He and Xavier keep its scale. PyTorch's default for dense layers, "
            "U(±1/√fan_in), is on the small side: through 8 ReLU layers it fades too.",
            "shapes",
            tuple(
                Variant(name, _mlp(8, "relu"), {"init": init})
                for name, init in (
                    ("PyTorch default", "default"),
                    ("He", "he"),
                    ("Xavier", "xavier"),
                    ("too small N(0, 0.01²)", "small"),
                    ("too large N(0, 1)", "large"),
                )
            ),
            {"epochs": 20, "limit": 1200, "optim": "sgd", "lr": 0.02, "momentum": 0.9, "batch": 32},
            {"epochs": 2, "limit": 64},
            gradient_norms="layers",
        ),  # fmt: skip
        Experiment(
            "rnn-vs-lstm",
            "The adding problem at T = 50: a plain RNN vs an LSTM",
            "The target depends on two steps far apart. A plain RNN's gradient shrinks with every step it "
            "travels back, so it cannot learn the link and predicts the mean (MSE ≈ 0.17); the LSTM's cell "
            "carries it and the error falls towards 0.",
            "adding",
            (
                Variant("RNN 32", "{input} | rnn 32 return_sequences=false | dense {outputs}"),
                Variant("LSTM 32", "{input} | lstm 32 return_sequences=false | dense {outputs}"),
            ),
            {"epochs": 20, "optim": "adam", "lr": 0.005, "batch": 32, "clip": 1.0},
            {"epochs": 1, "limit": 128},
            needs="lstm",
            gradient_norms="time",
        ),  # fmt: skip
    )
}


def experiment(name: str) -> Experiment:
    """The experiment called `name`; InputError with the closest name otherwise."""
    if name not in EXPERIMENTS:
        hint = did_you_mean(name, EXPERIMENTS)
        raise InputError(f"unknown experiment '{name}'" + (f"; {hint}" if hint else "")
                         + f" (experiments: {', '.join(EXPERIMENTS)})")  # fmt: skip
    return EXPERIMENTS[name]


@dataclass(frozen=True)
class VariantResult:
    """One variant's run: its spec, parameter count, epoch history and how it ended."""

    name: str
    spec: str
    params: int
    history: tuple[EpochRecord, ...]
    status: str  # "finished", "diverged" or "stopped"
    message: str = ""
    gradient_norms: dict[str, Any] = field(default_factory=dict)

    @property
    def final(self) -> EpochRecord | None:
        return self.history[-1] if self.history else None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "spec": self.spec, "params": self.params, "status": self.status,
                "message": self.message, "history": [r.to_json() for r in self.history],
                "gradient_norms": self.gradient_norms}  # fmt: skip


@dataclass(frozen=True)
class ExperimentResult:
    name: str
    title: str
    lesson: str
    data: str
    seed: int
    metric: str  # "val_accuracy" or "val_loss"
    variants: tuple[VariantResult, ...]

    def to_json(self) -> dict[str, Any]:
        return {"experiment": self.name, "title": self.title, "lesson": self.lesson, "data": self.data,
                "seed": self.seed, "metric": self.metric, "variants": [v.to_json() for v in self.variants]}  # fmt: skip


@dataclass(frozen=True)
class ExperimentEvent:
    """kind: "variant" (one starts), "progress" (a fit() event), "variant-done", "done" (result set)."""

    kind: str
    index: int = 0
    name: str = ""
    progress: Any = None
    variant: VariantResult | None = None
    result: ExperimentResult | None = None


def require_layers(exp: Experiment) -> None:
    """CnnToolError when the engine cannot train a layer kind the experiment needs."""
    from cnntool.engine import registry

    if exp.needs and registry.layer_class(exp.needs) is None:
        raise CnnToolError(
            f"the {exp.name} experiment trains {exp.needs} layers, which this engine cannot train yet "
            f"(it trains: {', '.join(registry.trainable_kinds())})"
        )


def _time_norms(session: Session, n: int = 256) -> list[float]:
    from cnntool.engine import bptt  # the recurrent layers' helper: ‖dL/dh_t‖ for every t

    ds = session.dataset
    norms = bptt.hidden_grad_norms(session.model, ds.x_val[:n], ds.y_val[:n], session.loss_fn)
    return [float(v) for v in np.asarray(norms)]


def _layer_norms(session: Session, n: int = 256) -> dict[str, float]:
    from cnntool.training.weights import layer_gradient_norms

    ds = session.dataset
    norms = layer_gradient_norms(session.model, ds.x_train[:n], ds.y_train[:n], session.loss_fn)
    return {"first": norms[0][1], "last": norms[-1][1]}


def run_experiment(
    name: str,
    *,
    data: str | None = None,
    epochs: int | None = None,
    seed: int = 0,
    quick: bool = False,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[ExperimentEvent]:
    """Train every variant of experiment `name` (same seed, same data) and yield events; the last
    event carries the ExperimentResult."""
    from cnntool.engine.train import TrainingDiverged

    exp = experiment(name)
    require_layers(exp)
    settings = {**exp.settings, **(exp.quick if quick else {})}
    if epochs is not None:
        settings["epochs"] = epochs
    base = RunConfig(spec="{input}", data=data or exp.data, seed=seed, **settings)
    ds = run_data.load_dataset(base)
    if exp.images_only and ds.x_train.ndim != 4:
        raise InputError(f"the {exp.name} experiment's network is a CNN; it needs image data, and "
                         f"{ds.name} holds samples of {ds.input_spec}")  # fmt: skip
    outputs = run_data.expected_output(ds)[-1]
    results = []
    for index, variant in enumerate(exp.variants):
        spec = variant.spec.format(input=ds.input_spec, outputs=outputs, drop=variant.drop)
        config = base.replace(spec=spec, **variant.changes)
        yield ExperimentEvent("variant", index, variant.name)
        session = Session.start(config, dataset=ds)
        norms: dict[str, Any] = {}
        if exp.gradient_norms == "layers":
            norms["at_init"] = _layer_norms(session)
        elif exp.gradient_norms == "time":
            norms["at_init"] = _time_norms(session)
        status, message = "finished", ""
        try:
            for event in session.train(should_stop):
                yield ExperimentEvent("progress", index, variant.name, progress=event)
                if event.kind == "stopped":
                    status = "stopped"
        except TrainingDiverged as error:
            status, message = (
                "diverged",
                f"diverged at epoch {error.epoch}, batch {error.batch} (loss {error.loss})",
            )
        if exp.gradient_norms == "time" and status == "finished":
            norms["trained"] = _time_norms(session)
        params = sum(int(p.value.size) for p in session.model.parameters())
        result = VariantResult(variant.name, spec, params, tuple(session.history), status, message, norms)
        results.append(result)
        yield ExperimentEvent("variant-done", index, variant.name, variant=result)
        if status == "stopped":
            break
    metric = "val_accuracy" if ds.num_classes is not None else "val_loss"
    done = ExperimentResult(exp.name, exp.title, exp.lesson, ds.name, seed, metric, tuple(results))
    yield ExperimentEvent("done", result=done)
