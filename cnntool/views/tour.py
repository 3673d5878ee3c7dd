"""The guided tour of `cnntool demo`, as data: each stop is a title, a narration, the commands a
student can copy (they work from any folder: samples and zoo names, no files), and a function that
asks the core for the same result and returns the view of it.

The stops call the core directly (no re-entry into the command line, no temporary files); a test
runs every stop's commands through the real CLI and checks they print what the stop shows. The
training stops (`training_stops`) hold a RunConfig instead of a view: the demo trains it live, and
their `cnntool train ...` command, run with the same seed, reaches the same final accuracy.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text


@dataclass(frozen=True)
class Stop:
    """One stop of the tour."""

    title: str
    narration: str
    commands: tuple[str, ...]
    show: Callable[[], RenderableType]


def _summary(spec: str, columns: str | None = None) -> RenderableType:
    from cnntool.arith import summarize
    from cnntool.arith.table import parse_columns
    from cnntool.views.summary import summary_view

    result = summarize(spec)
    return summary_view(result, parse_columns(columns), False, title=result.name or "")


def _explain(spec: str) -> RenderableType:
    from cnntool.arith import summarize
    from cnntool.views.formulas import formulas_view

    return formulas_view(summarize(spec).layers)


def _conv(image: str, kernel: str, normalize: bool = False, at: tuple[int, int] | None = None,
          truncate: int | None = None) -> RenderableType:  # fmt: skip
    from cnntool.explain import ConvRequest, ConvSettings, run_conv
    from cnntool.explain.matrix import parse_filters, parse_tensor
    from cnntool.views.conv import Fmt, conv_view

    request = ConvRequest(
        parse_tensor(image), parse_filters(kernel), ConvSettings(normalize=normalize), at=at
    )
    return conv_view(run_conv(request), Fmt(truncate=truncate))


def _pool(image: str, size: int, ceil: bool, truncate: int | None) -> RenderableType:
    from cnntool.explain import PoolRequest, PoolSettings, run_pool
    from cnntool.explain.matrix import parse_tensor
    from cnntool.views.grid import Fmt
    from cnntool.views.pool import pool_view

    settings = PoolSettings(size=(size, size), mode="max", ceil=ceil)
    return pool_view(run_pool(PoolRequest(parse_tensor(image), settings)), Fmt(truncate=truncate))


def _both(*views: Callable[[], RenderableType]) -> Callable[[], RenderableType]:
    return lambda: Group(*(view() for view in views))


TOUR: tuple[Stop, ...] = (
    Stop(
        "An MLP has many parameters",
        "20 inputs → 20 → 20 → 1, with biases: (20+1)·20 + (20+1)·20 + (20+1)·1 = 861.",
        ("cnntool summary mlp861",),
        lambda: _summary("mlp861"),
    ),
    Stop(
        "Convolution by hand",
        "The lecture's 4×4 exercise: slide the 3×3 filter, multiply, add: 2 −2; −1 1.",
        ("cnntool conv --image exercise --kernel halves",),
        lambda: _conv("exercise", "halves"),
    ),
    Stop(
        "The X image and the diagonal filter",
        "One window: 7 matches out of 9 pixels, so the slide prints 7/9 = 0.77.",
        ("cnntool conv --image x --kernel diag --normalize --at 0,0",),
        lambda: _conv("x", "diag", normalize=True, at=(0, 0)),
    ),
    Stop(
        "A bunch of filters",
        "Three filters on the same X give three 7×7 feature maps (the slides print them truncated).",
        ("cnntool conv --image x --kernel diag,cross,antidiag --normalize --truncate 2",),
        lambda: _conv("x", "diag,cross,antidiag", normalize=True, truncate=2),
    ),
    Stop(
        "Max pooling, 2×2 stride 2",
        "The first 7×7 map becomes 4×4 because the last window may hang over the edge (PyTorch's ceil_mode).",
        ("cnntool pool --image x-diag --size 2 --ceil --truncate 2",),
        lambda: _pool("x-diag", 2, ceil=True, truncate=2),
    ),
    Stop(
        "Weight sharing: one 5×5 filter bank on CIFAR",
        "Ten 5×5×3 filters, stride 1, pad 2 on 32×32×3: 10·(5·5·3+1) = 760 params, output 32×32×10.",
        ("cnntool summary cs231n760",),
        lambda: _summary("cs231n760"),
    ),
    Stop(
        "AlexNet's first layer, with and without sharing",
        "96 filters 11×11×3, stride 4 on 227×227×3 → 55×55×96; 34,944 params shared, "
        "105,705,600 if every position had its own filter.",
        ("cnntool explain alexnet_conv1",),
        lambda: _explain("alexnet_conv1"),
    ),
    Stop(
        "Dense vs conv on a 32×32 image",
        "A dense 1,024 → 1,024 map needs 1,048,576 weights; one 21×21 filter with padding=same needs 441.",
        ("cnntool summary dense_vs_conv --columns layer,output,params,dense",),
        lambda: _summary("dense_vs_conv", "layer,output,params,dense"),
    ),
    Stop(
        "Depthwise separable convolution",
        "3·3·3 depthwise + 3·10 pointwise = 57 params.",
        ("cnntool summary dwsep57",),
        lambda: _summary("dwsep57"),
    ),
    Stop(
        "A stride that does not fit",
        "I=10, F=3, P=0, S=2: (10−3)/2+1 = 4.5 — cnntool says what PyTorch does and suggests fixes.",
        ("cnntool summary '1x10x10 | conv 1 k3 s2'",),
        lambda: _summary("1x10x10 | conv 1 k3 s2"),
    ),
    Stop(
        "LeNet-5",
        "About 60K parameters, trained in 1998 without a GPU.",
        ("cnntool summary lenet5",),
        lambda: _summary("lenet5"),
    ),
    Stop(
        "Parameter sharing across time: LSTM vs GRU",
        "On the same 50×32 input, an LSTM (4 gate sets) has more parameters than a GRU (3 gate sets) of the "
        "same size; neither count depends on the 50 steps, while the MACs grow with them.",
        (
            "cnntool summary '50x32 | lstm 128' --columns layer,output,params,unshared,macs",
            "cnntool summary '50x32 | gru 128' --columns layer,output,params,unshared,macs",
        ),
        _both(
            lambda: _summary("50x32 | lstm 128", "layer,output,params,unshared,macs"),
            lambda: _summary("50x32 | gru 128", "layer,output,params,unshared,macs"),
        ),
    ),
)

NEXT = "Next: cnntool zoo · cnntool summary resnet18 · cnntool conv --list · cnntool --help"


def stop_heading(number: int, stop: Stop) -> Group:
    """The title, the narration and the commands to copy, above the stop's view."""
    return Group(
        Text(""),
        Text(f"{number}. {stop.title}", style="bold cyan"),
        Text(stop.narration),
        *(Text(f"$ {command}", style="dim") for command in stop.commands),
    )


# -- training stops ------------------------------------------------------------------------------

XO_SPEC = "1x9x9 | conv 4 k3 | relu | maxpool 2 ceil=true | flatten | dense 2"
LSTM_SPEC = "20x1 | lstm 16 return_sequences=false | dense 1"


@dataclass(frozen=True)
class TrainingStop:
    """A stop that trains: `config` (a cnntool.training RunConfig) is trained live by the demo, then
    `after(session)` shows what was learned. `commands` is the `cnntool train` line that does the same."""

    title: str
    narration: str
    config: Any
    after: Callable[[Any], RenderableType]

    @property
    def commands(self) -> tuple[str, ...]:
        return (train_command(self.config),)


def train_command(config: Any) -> str:
    """The `cnntool train` command line that trains `config` (options that differ from the defaults)."""
    from cnntool.training.config import RunConfig

    default = RunConfig(spec=config.spec, data=config.data)
    words = ["cnntool", "train", shlex.quote(config.spec), "--data", config.data]
    flags = (("optim", "--optim"), ("lr", "--lr"), ("momentum", "--momentum"), ("batch", "--batch"),
             ("epochs", "--epochs"), ("seed", "--seed"), ("clip", "--clip"), ("limit", "--limit"),
             ("schedule", "--schedule"), ("val_split", "--val-split"))  # fmt: skip
    for name, flag in flags:
        value = getattr(config, name)
        if value != getattr(default, name):
            words += [flag, str(value)]
    for augment in config.augment:
        words += ["--augment", augment]
    return " ".join(words)


def _slide_filters() -> dict[str, Any]:
    import numpy as np

    from cnntool.explain.matrix import parse_tensor

    names = {"diag": "'\\' diagonal", "antidiag": "'/' diagonal", "cross": "small x"}
    return {f"{label} ({name})": np.array([[float(v) for v in row] for row in parse_tensor(name)[0]])
            for name, label in names.items()}  # fmt: skip


def _xo_learned(session: Any) -> RenderableType:
    """The learned 3×3 filters beside the slides' hand-made ones, how alike they are, and two predictions."""
    from cnntool.training.images import read_input
    from cnntool.training.inspect import LoadedModel, conv_filters, predict, similarity
    from cnntool.views.training import filters_view

    banks = conv_filters(session.model)
    refs = _slide_filters()
    lines: list[RenderableType] = [filters_view(banks, refs)]
    weights = banks[0].weights
    for name, ref in refs.items():
        scores = [similarity(weights[f, 0], ref) for f in range(weights.shape[0])]
        best = max(range(len(scores)), key=lambda f: abs(scores[f]))
        sign = " (its negative: the next layer can flip a sign)" if scores[best] < 0 else ""
        lines.append(
            Text(f"learned filter #{best} is the closest to the {name}: cosine {scores[best]:+.2f}{sign}")
        )
    loaded = LoadedModel(session.model, session.meta(), session.config.spec)
    for sample in ("x", "o"):
        p = predict(loaded, read_input(sample, session.model.input_shape, session.meta()), top=1)
        lines.append(Text(f"the slide's {sample.upper()} → {p.label} ({100 * p.ranking[0][1]:.1f} %)"))
    return Group(*lines)


def _lstm_learned(session: Any) -> RenderableType:
    last = session.history[-1]
    return Text(f"validation MSE {last.val_loss:.4f} after {last.epoch} epochs (predicting 0 scores "
                f"{float((session.dataset.y_val ** 2).mean()):.3f})")  # fmt: skip


def training_stops(quick: bool = False) -> tuple[TrainingStop, ...]:
    """The demo's live training: the X/O CNN, and a small LSTM once the engine trains recurrent layers."""
    from cnntool.engine import registry
    from cnntool.training.config import RunConfig

    xo = RunConfig(spec=XO_SPEC, data="xo", optim="sgd", lr=0.05, momentum=0.9, epochs=2 if quick else 5)
    stops = [
        TrainingStop(
            "A CNN learns X and O",
            "The lecture's X/O task, trained live: 4 filters of 3×3, max pooling and one dense layer, on 800 "
            "shifted, thickened, noisy 9×9 letters. Then its learned filters next to the slides' hand-made ones.",
            xo,
            _xo_learned,
        )  # fmt: skip
    ]
    if registry.layer_class("lstm") is not None:
        lstm = RunConfig(spec=LSTM_SPEC, data="sine", lr=0.01, epochs=2 if quick else 5,
                         limit=500 if quick else None)  # fmt: skip
        stops.append(
            TrainingStop(
                "An LSTM learns a sequence",
                "16 LSTM units read 20 noisy steps of a sine wave and predict the next value; the same weights "
                "are used at every step (parameter sharing across time).",
                lstm,
                _lstm_learned,
            )  # fmt: skip
        )
    return tuple(stops)
