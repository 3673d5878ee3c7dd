"""A PyTorch twin of a spec: `nn.Sequential` built from the spec language and PyTorch's documentation.

Why not `model.to_torch()`: the exporter (cnntool/engine/export.py) reads the engine's own layers, so
an option the engine drops while building (count_include_pad, a leaky-ReLU slope, batchnorm eps) is
dropped from the export too, and a parity test against it can never fail. The twin never looks at
the engine. It reads the parsed spec (`cnntool.spec` fills in every option's default) and maps each
layer kind to the torch module that the spec language documents for it, passing every option that
changes values. From `cnntool.arith.summarize`, the documented source of truth for sizes, it takes
only what a torch constructor needs and the spec does not say: each layer's input shape (channels,
features, rank) and layout. Even 'same' padding goes to torch as the string 'same', so torch, not
cnntool, decides where the odd pixel of an even kernel goes.

Module names follow torch.nn.Sequential, so the engine's state_dict loads with strict=True:
    twin = build_twin(spec, dtype="float64"); load_state(twin, model.state_dict())
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

from cnntool.arith import summarize
from cnntool.arith.results import LayerResult, ResidualResult
from cnntool.spec import LayerSpec, NetSpec, ResidualSpec, load_spec
from tests.engine.specs import NOT_IN_TWIN


class Residual(nn.Module):
    """`res[...]`: body(x) + shortcut(x); an empty shortcut is the identity (parser.py's grammar note)."""

    def __init__(self, body: nn.Sequential, shortcut: nn.Sequential) -> None:
        super().__init__()
        self.body = body
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + (self.shortcut(x) if len(self.shortcut) else x)


class FeaturesLastBatchNorm(nn.BatchNorm1d):
    """batchnorm on a T×F sequence normalises the F features (arith counts 2·F parameters), so
    BatchNorm1d sees (N, F, T): torch's channel axis is 1, the sequence's feature axis is last."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.transpose(1, 2)).transpose(1, 2)


def build_twin(spec: str | NetSpec, dtype: str = "float64") -> nn.Sequential:
    """The torch module of a spec (text, zoo name or NetSpec), weights left at torch's init."""
    net = load_spec(spec)
    summary = summarize(net)
    module = nn.Sequential(*_modules(net.layers, summary.nodes))
    return module.to(getattr(torch, dtype))


def load_state(twin: nn.Module, state: Mapping[str, np.ndarray]) -> nn.Module:
    """Copy a {name: array} state_dict (the engine's) into the twin; names and shapes must match exactly."""
    twin.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()}, strict=True)
    return twin


def twin_of(spec: str | NetSpec, state: Mapping[str, np.ndarray], dtype: str = "float64") -> nn.Sequential:
    """build_twin + load_state: the twin holding the same weights and buffers as `state`."""
    twin = build_twin(spec, dtype)
    load_state(twin, state)
    return twin


def _modules(specs: tuple, rows: tuple) -> list[nn.Module]:
    """One torch module per spec node; `rows` are summarize()'s nodes, in the same order."""
    if len(specs) != len(rows):
        raise AssertionError(f"spec has {len(specs)} nodes but summarize() returned {len(rows)}")
    out: list[nn.Module] = []
    for spec, row in zip(specs, rows):
        if isinstance(spec, ResidualSpec):
            if not isinstance(row, ResidualResult):
                raise AssertionError(f"{spec.text}: summarize() gave {type(row).__name__}, not a block")
            body = nn.Sequential(*_modules(spec.body, row.body))
            out.append(Residual(body, _shortcut(row.input_shape, row.output_shape)))
        else:
            if not isinstance(row, LayerResult) or row.kind != spec.kind:
                raise AssertionError(f"{spec.text}: summarize() row {row} does not match")
            module = _layer(spec, row.input_shape, row.input_layout)
            if not spec.get("trainable", True):  # trainable=false freezes the layer (catalog.py)
                module.requires_grad_(False)
            out.append(module)
    return out


def _shortcut(x: tuple[int, ...], y: tuple[int, ...]) -> nn.Sequential:
    """Identity when the body keeps the shape; else torchvision's downsample: a 1×1 conv (no bias)
    whose stride s maps each input size n to the body's output size o, ⌊(n − 1)/s⌋ + 1 = o, + batchnorm."""
    if x == y:
        return nn.Sequential()
    strides = []
    for n, o in zip(x[1:], y[1:]):
        fits = [s for s in range(1, n + 1) if (n - 1) // s + 1 == o]
        if not fits:
            raise ValueError(f"no strided 1×1 conv maps {x} to {y}")
        strides.append(fits[0])
    nd = len(x) - 1
    conv = getattr(nn, f"Conv{nd}d")(x[0], y[0], 1, stride=tuple(strides), bias=False)
    norm = getattr(nn, f"BatchNorm{nd}d")(y[0], eps=1e-5, momentum=0.1)
    return nn.Sequential(conv, norm)


def _layer(spec: LayerSpec, shape: tuple[int, ...], layout: str) -> nn.Module:  # noqa: C901 - one branch per kind
    """The torch module for one layer; `shape` is its input without the batch axis."""
    kind, o = spec.kind, spec.opts
    nd = len(shape) - 1 if layout in ("signal", "image") else 0  # spatial rank: Conv1d or Conv2d
    if kind == "conv":
        return getattr(nn, f"Conv{nd}d")(
            shape[0],
            o["out_channels"],
            o["kernel"],
            stride=o["stride"],
            padding=o["padding"],
            dilation=o["dilation"],
            groups=o["groups"],
            bias=o["bias"],
        )
    if kind == "dwconv":  # one filter group per input channel, `multiplier` filters each
        return getattr(nn, f"Conv{nd}d")(
            shape[0],
            shape[0] * o["multiplier"],
            o["kernel"],
            stride=o["stride"],
            padding=o["padding"],
            dilation=o["dilation"],
            groups=shape[0],
            bias=o["bias"],
        )
    if kind == "convT":
        return getattr(nn, f"ConvTranspose{nd}d")(
            shape[0],
            o["out_channels"],
            o["kernel"],
            stride=o["stride"],
            padding=o["padding"],
            output_padding=o["output_padding"],
            groups=o["groups"],
            bias=o["bias"],
            dilation=o["dilation"],
        )
    if kind == "maxpool":  # stride None is torch's "= kernel", the spec's default too
        return getattr(nn, f"MaxPool{nd}d")(
            o["kernel"], stride=o["stride"], padding=o["padding"], dilation=o["dilation"], ceil_mode=o["ceil"]
        )
    if kind == "avgpool":
        return getattr(nn, f"AvgPool{nd}d")(
            o["kernel"],
            stride=o["stride"],
            padding=o["padding"],
            ceil_mode=o["ceil"],
            count_include_pad=o["count_include_pad"],
        )
    if kind == "adaptiveavgpool":
        return getattr(nn, f"AdaptiveAvgPool{nd}d")(o["output_size"])
    if kind == "globalavgpool":  # C×H×W → C: a 1×1 adaptive average, then drop the spatial axes
        return nn.Sequential(getattr(nn, f"AdaptiveAvgPool{nd}d")(1), nn.Flatten())
    if kind == "flatten":
        return nn.Flatten()
    if kind == "dense":  # nn.Linear acts on the last axis, so on a T×F sequence at every step
        return nn.Linear(shape[-1], o["out_features"], bias=o["bias"])
    if kind == "dropout":
        return nn.Dropout(o["p"])
    if kind == "batchnorm":
        if layout == "sequence":
            return FeaturesLastBatchNorm(shape[-1], eps=1e-5, momentum=0.1, affine=o["affine"])
        cls = nn.BatchNorm2d if layout == "image" else nn.BatchNorm1d  # (N, C, H, W) or (N, C[, L])
        return cls(shape[0], eps=1e-5, momentum=0.1, affine=o["affine"])
    if kind == "layernorm":
        return nn.LayerNorm(shape[-o["dims"] :], eps=1e-5, elementwise_affine=o["affine"])
    if kind == "leakyrelu":
        return nn.LeakyReLU(negative_slope=o["slope"])
    if kind == "softmax":  # the class axis: channels (dim 1), or a sequence's features (last)
        return nn.Softmax(dim=-1 if layout == "sequence" else 1)
    simple = {"relu": nn.ReLU, "relu6": nn.ReLU6, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}
    if kind in simple:
        return simple[kind]()
    if kind == "upsample":
        if o["mode"] != "nearest":
            raise NotImplementedError(f"{spec.text}: the twin builds nearest upsampling only")
        scale = o["scale"]
        return nn.Upsample(
            scale_factor=tuple(float(s) for s in scale) if isinstance(scale, tuple) else float(scale),
            mode="nearest",
        )
    raise NotImplementedError(f"{spec.text}: the twin has no '{kind}' (not built: {sorted(NOT_IN_TWIN)})")
