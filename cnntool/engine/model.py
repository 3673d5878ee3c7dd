"""Sequential models, residual blocks, and `build(spec)`: a trainable network from a spec.

`build` asks `cnntool.arith.analyze` for every layer's resolved hyper-parameters and
output shape (the one source of sizes), creates the layers, and runs a batch of zeros
through them to assert that each real output shape equals the analysis' — so the
engine, the summary table and PyTorch can never silently disagree.

Parameter and state names follow torch.nn.Sequential ("0.weight", "3.running_mean",
"5.body.0.weight" for a residual block), so `state_dict()` loads into the exported
PyTorch module with `strict=True`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cnntool.engine.backend import resolve_dtype, xp
from cnntool.engine.conv import Conv, ConvTranspose
from cnntool.engine.layers import (
    Dense,
    Dropout,
    Flatten,
    Layer,
    LeakyReLU,
    Parameter,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    Upsample,
)
from cnntool.engine.norm import BatchNorm, LayerNorm
from cnntool.engine.pool import AdaptiveAvgPool, AvgPool, GlobalAvgPool, MaxPool
from cnntool.errors import CnnToolError, ShapeError


class Sequential(Layer):
    """Layers applied in order; backward runs them in reverse. Names layers "0", "1", … as PyTorch."""

    kind = "sequential"

    def __init__(self, layers: Sequence[Layer], prefix: str = "") -> None:
        super().__init__()
        self.layers = list(layers)
        self.set_prefix(prefix)

    def set_prefix(self, prefix: str) -> None:
        for i, layer in enumerate(self.layers):
            layer.set_prefix(f"{prefix}{i}.")

    def parameters(self) -> list[Parameter]:
        return [p for layer in self.layers for p in layer.parameters()]

    def clear_cache(self) -> None:
        for layer in self.layers:
            layer.clear_cache()

    def state_items(self, prefix: str = "") -> list[tuple[str, np.ndarray]]:
        return [item for i, layer in enumerate(self.layers) for item in layer.state_items(f"{prefix}{i}.")]

    def load_item(self, local: str, value: np.ndarray) -> None:
        head, _, rest = local.partition(".")
        self.layers[int(head)].load_item(rest, value)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        layers, i = self.layers, 0
        while i < len(layers):
            layer = layers[i]
            act = layers[i + 1].fused_act() if layer.accepts_act and i + 1 < len(layers) else None
            if act is None:
                x = layer.forward(x, train)
                i += 1
            else:  # conv + activation in one pass over the output (kernels/act.py)
                x = layers[i + 1].take_fused(layer.forward(x, train, act=act))
                i += 2
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout


class Residual(Layer):
    """out = body(x) + shortcut(x); an empty shortcut is the identity (torchvision's BasicBlock
    without the final ReLU, which the spec writes after the block)."""

    kind = "residual"

    def __init__(self, body: Sequential, shortcut: Sequential) -> None:
        super().__init__()
        self.body, self.shortcut = body, shortcut

    def set_prefix(self, prefix: str) -> None:
        self.body.set_prefix(prefix + "body.")
        self.shortcut.set_prefix(prefix + "shortcut.")

    def parameters(self) -> list[Parameter]:
        return self.body.parameters() + self.shortcut.parameters()

    def clear_cache(self) -> None:
        self._cache = ()
        self.body.clear_cache()
        self.shortcut.clear_cache()

    def state_items(self, prefix: str = "") -> list[tuple[str, np.ndarray]]:
        return self.body.state_items(prefix + "body.") + self.shortcut.state_items(prefix + "shortcut.")

    def load_item(self, local: str, value: np.ndarray) -> None:
        head, _, rest = local.partition(".")
        (self.body if head == "body" else self.shortcut).load_item(rest, value)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        out = self.body.forward(x, train)
        short = self.shortcut.forward(x, train) if self.shortcut.layers else x
        if out.shape != short.shape:
            raise ShapeError(f"{self.label}: body gives {out.shape} but the shortcut gives {short.shape}")
        self._cache = (True,)
        return out + short

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._need_cache()
        dx = self.body.backward(dout)
        return dx + (self.shortcut.backward(dout) if self.shortcut.layers else dout)


class Model(Sequential):
    """A built network: `forward(x, train)`, `backward(dout)`, `parameters()`, `state_dict()`, `save()`.

    `spec` is the spec text it was built from; `input_shape` is (C, H, W) without the batch axis.
    """

    kind = "model"

    def __init__(
        self, layers: Sequence[Layer], spec: str, input_shape: tuple[int, ...], dtype: np.dtype
    ) -> None:
        super().__init__(layers)
        self.spec, self.input_shape, self.dtype = spec, tuple(input_shape), np.dtype(dtype)
        self.label = "model"
        self.input_grad = False

    @property
    def input_grad(self) -> bool:
        """Whether `backward` returns d(loss)/d(input); off by default (training never needs it)."""
        return self._input_grad

    @input_grad.setter
    def input_grad(self, value: bool) -> None:
        self._input_grad = bool(value)
        if self.layers:
            self.layers[0].needs_dx = self._input_grad

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        """dout: (N, *output_shape) → d(input) if `input_grad`, else None; fills every Parameter.grad."""
        dx = super().backward(dout)
        return dx if self._input_grad else None

    def forward(self, x: np.ndarray, train: bool = False, check: bool = False) -> np.ndarray:
        """x: (N, *input_shape) → output (N, *output_shape). `check` also rejects NaN/inf input."""
        if x.ndim != len(self.input_shape) + 1 or tuple(x.shape[1:]) != self.input_shape:
            raise ShapeError(
                f"model input: expected (N, {', '.join(map(str, self.input_shape))}), got {x.shape}"
            )
        if check and not np.isfinite(x).all():
            bad = int(np.size(x) - np.isfinite(x).sum())
            raise ValueError(f"model input: {bad} NaN or infinite values in input of shape {x.shape}")
        return super().forward(xp.asarray(x, dtype=self.dtype), train)

    def state_dict(self) -> dict[str, np.ndarray]:
        """{name: array} with PyTorch's names and order (parameters and buffers, live arrays)."""
        return dict(self.state_items())

    def load_state_dict(self, state: dict[str, np.ndarray], strict: bool = True) -> None:
        """Copy arrays in; every name must be known and every shape equal (a ValueError names the first bad one)."""
        own = self.state_dict()
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if strict and (missing or unexpected):
            raise CnnToolError(
                f"state_dict does not match the model: missing {missing}, unexpected {unexpected}"
            )
        for name, value in state.items():
            if name not in own:
                continue
            value = np.asarray(value)
            if value.shape != own[name].shape:
                raise CnnToolError(
                    f"state_dict: array {name!r} expected shape {own[name].shape}, found {value.shape}"
                )
            self.load_item(name, value)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad[...] = 0

    def save(self, path, optimizer=None) -> None:
        """Write spec, dtype, state_dict (and optimizer state) to one .npz, atomically."""
        from cnntool.engine.serialize import save

        save(self, path, optimizer)

    def to_torch(self):
        """An equivalent torch.nn.Sequential with these weights (imports torch)."""
        from cnntool.engine.export import to_torch

        return to_torch(self)


# --- build(spec) ------------------------------------------------------------------------------


def _make_layer(row, rng: np.random.Generator, dtype: np.dtype) -> Layer:
    """One engine layer from an analysis LayerResult (resolved hyper-parameters)."""
    kind, h = row.kind, row.hyper
    if kind in ("conv", "dwconv"):
        return Conv(h["in_channels"], h["out_channels"], h["kernel"], h["stride"], h["padding"], h["dilation"],
                    h["groups"], h["bias"], rng=rng, dtype=dtype)  # fmt: skip
    if kind == "convT":
        pads = []
        for lo, hi in h["padding"]:
            if lo != hi:
                raise CnnToolError(
                    f"layer {row.index} ({row.text}): convT needs symmetric padding, got {h['padding']}"
                )
            pads.append(lo)
        return ConvTranspose(h["in_channels"], h["out_channels"], h["kernel"], h["stride"], tuple(pads),
                             h["output_padding"], h["dilation"], h["groups"], h["bias"], rng=rng, dtype=dtype)  # fmt: skip
    if kind == "maxpool":
        return MaxPool(h["kernel"], h["stride"], h["padding"], h["dilation"], h["ceil_mode"])
    if kind == "avgpool":
        return AvgPool(h["kernel"], h["stride"], h["padding"], h["ceil_mode"], h["count_include_pad"])
    if kind == "adaptiveavgpool":
        return AdaptiveAvgPool(h["output_size"])
    simple = {"globalavgpool": GlobalAvgPool, "flatten": Flatten, "relu": ReLU, "sigmoid": Sigmoid,
              "tanh": Tanh, "softmax": Softmax}  # fmt: skip
    if kind in simple:
        return simple[kind]()
    if kind == "relu6":
        return ReLU(cap=6.0)
    if kind == "leakyrelu":
        return LeakyReLU(h.get("negative_slope", 0.01))
    if kind == "dense":
        return Dense(h["in_features"], h["out_features"], h["bias"], rng=rng, dtype=dtype)
    if kind == "dropout":
        return Dropout(h["p"], rng=rng)
    if kind == "batchnorm":
        return BatchNorm(h["num_features"], affine=h.get("affine", True), dtype=dtype)
    if kind == "layernorm":
        return LayerNorm(h["normalized_shape"], affine=h.get("affine", True), dtype=dtype)
    if kind == "upsample":
        if h.get("mode", "nearest") != "nearest":
            raise CnnToolError(f"layer {row.index} ({row.text}): only nearest upsampling is implemented")
        return Upsample(h["scale"])
    raise CnnToolError(f"layer {row.index} ({row.text}): the engine cannot train '{kind}' layers yet")


def _make_nodes(nodes, rng, dtype) -> list[tuple[Layer, object]]:
    """(layer, analysis node) pairs; residual blocks recurse into body and shortcut."""
    out = []
    for node in nodes:
        if hasattr(node, "body"):
            body = _make_nodes(node.body, rng, dtype)
            short = _make_nodes(node.shortcut, rng, dtype)
            block = Residual(Sequential([b for b, _ in body]), Sequential([s for s, _ in short]))
            block.label = f"layer {node.add.index} ({node.add.text})"
            block._check_pairs = (body, short)  # kept for the shape check below
            out.append((block, node))
        else:
            layer = _make_layer(node, rng, dtype)
            layer.label = f"layer {node.index} ({node.text})"
            layer.input_rank = len(node.input_shape) + 1
            out.append((layer, node))
    return out


def _check_shapes(pairs, x: np.ndarray) -> np.ndarray:
    """Run x through every layer and assert its shape equals the analysis' output_shape."""
    for layer, node in pairs:
        if isinstance(layer, Residual):
            body, short = layer._check_pairs
            y = _check_shapes(body, x)
            s = _check_shapes(short, x) if short else x
            x = y + s
        else:
            x = layer.forward(x, train=False)
        expected = (x.shape[0], *node.output_shape)
        if x.shape != expected:
            raise AssertionError(f"{layer.label}: engine output {x.shape} but cnntool.arith says {expected}")
    return x


def build(spec, seed: int = 0, dtype=None, check_shapes: bool = True) -> Model:
    """A trainable Model from a spec (text, zoo name, file path or NetSpec), initialised as PyTorch.

    `seed` seeds the one `np.random.Generator` that draws all weights and dropout masks.
    """
    from cnntool.arith import analyze
    from cnntool.spec.nodes import NetSpec
    from cnntool.spec.parser import parse

    if isinstance(spec, NetSpec):
        net = spec
    else:
        text = str(spec)
        if "|" not in text and "\n" not in text:  # a zoo name or a file, not spec text
            from cnntool.spec.source import read_spec_text

            text = read_spec_text(text)[0]
        net = parse(text)
    text = net.source
    dtype = resolve_dtype(dtype)
    summary = analyze(net)
    rng = np.random.default_rng(seed)
    pairs = _make_nodes(summary.nodes, rng, dtype)
    model = Model([layer for layer, _ in pairs], text, summary.input_shape, dtype)
    if check_shapes:
        _check_shapes(pairs, xp.zeros((1, *summary.input_shape), dtype=dtype))
    for layer, _ in pairs:
        layer.__dict__.pop("_check_pairs", None)
    model.clear_cache()  # the check's activations are not a training forward
    return model
