"""`build(spec)`: a trainable Model from a spec; `load(path)`: the same from a checkpoint's spec.

`build` asks `cnntool.arith.analyze` for every layer's typed hyper-parameters and output
shape (the one source of sizes), lets the registry's class for each kind make the layer, and
runs a batch of zeros through them to assert that each real output shape equals the
analysis' — so the engine, the summary table and PyTorch can never silently disagree.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np

from cnntool import budgets
from cnntool.arith.hyper import ConvHyper, ConvTransposeHyper
from cnntool.engine import registry
from cnntool.engine.backend import compute_scope, resolve_dtype
from cnntool.engine.checkpoint import read
from cnntool.engine.containers import Model, Residual, Sequential
from cnntool.engine.layers.base import BuildContext, Layer
from cnntool.errors import CnnToolError, SpecError


def _make_layer(node: Any, ctx: BuildContext) -> Layer:
    """One engine layer from an analysis LayerResult, by the registry's class for its kind."""
    label = f"layer {node.index} ({node.text})"
    cls = registry.layer_class(node.kind)
    if cls is None:
        raise CnnToolError(
            f"{label}: the engine cannot train '{node.kind}' layers yet "
            f"(it trains: {', '.join(registry.trainable_kinds())})"
        )
    layer = cls.from_hyper(node.hyper, dataclasses.replace(ctx, label=label))
    layer.label = label
    layer.frozen = node.params > 0 and node.trainable_params == 0  # trainable=false
    return layer


def _make_nodes(nodes: Any, ctx: BuildContext) -> list[tuple[Layer, Any, Any]]:
    """(layer, analysis node, children) triples; residual blocks recurse into body and shortcut."""
    out: list[tuple[Layer, Any, Any]] = []
    for node in nodes:
        if hasattr(node, "body"):
            body = _make_nodes(node.body, ctx)
            short = _make_nodes(node.shortcut, ctx)
            block = Residual(Sequential([b for b, _, _ in body]), Sequential([s for s, _, _ in short]))
            block.label = f"layer {node.add.index} ({node.add.text})"
            out.append((block, node, (body, short)))
        else:
            out.append((_make_layer(node, ctx), node, None))
    return out


def _check_shapes(triples: list[tuple[Layer, Any, Any]], x: np.ndarray) -> np.ndarray:
    """Run x through every layer and assert its shape equals the analysis' output_shape."""
    for layer, node, children in triples:
        if children is not None:
            body, short = children
            x = _check_shapes(body, x) + (_check_shapes(short, x) if short else x)
        else:
            x = layer.forward(x, train=False)
        expected = (x.shape[0], *node.output_shape)
        if x.shape != expected:
            raise AssertionError(f"{layer.label}: engine output {x.shape} but cnntool.arith says {expected}")
    return x


def working_elements(summary: Any) -> tuple[int, int]:
    """(parameter and buffer elements, one sample's activation elements plus the largest im2col
    buffer): what building and a batch-1 forward allocate, known from arith before any array exists."""

    def cols(row: Any) -> int:
        h = row.hyper
        if isinstance(h, ConvHyper):  # (C·K, HO·WO)
            return h.in_channels * math.prod(h.kernel) * math.prod(row.output_shape[1:])
        if isinstance(h, ConvTransposeHyper):  # (F·K, H·W)
            return h.out_channels * math.prod(h.kernel) * math.prod(row.input_shape[1:])
        return 0

    weights = summary.total_params + summary.total_buffers
    return weights, summary.total_activations + max((cols(row) for row in summary.layers), default=0)


def _netspec(spec: Any) -> Any:
    from cnntool.spec.nodes import NetSpec
    from cnntool.spec.source import load_spec

    return spec if isinstance(spec, NetSpec) else load_spec(str(spec))


def build(
    spec: Any, seed: int = 0, dtype: Any = None, check_shapes: bool = True, device: str | None = None
) -> Model:
    """A trainable Model from a spec (text, zoo name, file path or NetSpec), initialised as PyTorch.

    `seed` seeds the one `np.random.Generator` that draws all weights (and the CPU's dropout
    masks); the weights are drawn on the host, so a seed gives the same initial model on every
    device. `device`: "cpu", "cpu-numpy", "gpu" or "auto"; None is CNNTOOL_DEVICE, else "cpu"
    (a device that cannot run is refused before anything is built).
    """
    from cnntool.arith import analyze
    from cnntool.engine.devices import backend_for

    backend = backend_for(device)
    net = _netspec(spec)
    dtype = resolve_dtype(dtype)
    summary = analyze(net)
    weights, per_sample = working_elements(summary)
    budgets.check(budgets.BUILD_BYTES, (weights + per_sample) * dtype.itemsize, "building this model")
    ctx = BuildContext(rng=np.random.default_rng(seed), dtype=dtype)
    triples = _make_nodes(summary.nodes, ctx)
    model = Model([layer for layer, _, _ in triples], net.source, summary.input_shape, dtype)
    model.to(backend.device)
    if check_shapes:  # on the device, with its kernels: what training will run
        ids = bool(model.layers) and model.layers[0].accepts_integers  # token ids, not numbers
        x = backend.asarray(np.zeros((1, *summary.input_shape), dtype=np.int64 if ids else dtype))
        with compute_scope(backend):
            _check_shapes(triples, x)
    model.clear_cache()  # the check's activations are not a training forward
    return model


def load(path: str | Path, dtype: Any = None, device: str | None = None) -> Model:
    """The Model saved at `path`, on `device` (as `build`); `model.optimizer_state` holds the saved
    optimizer state ({} if none), as NumPy arrays (an optimizer's load_state_dict moves them).

    Raises CnnToolError naming the file and the array when a name, shape or dtype differs from what
    the saved spec builds.
    """
    from cnntool.engine.devices import backend_for
    from cnntool.spec.source import load_spec

    backend = backend_for(device)
    checkpoint = read(path)
    try:
        net = load_spec(checkpoint.spec, files=False)  # the file's spec is data: never a path to read
        model = build(net, dtype=checkpoint.dtype, check_shapes=False, device=backend.device)
    except SpecError as error:  # one line naming the file, not the spec's caret picture
        raise CnnToolError(
            f"{checkpoint.path}: the spec saved in it is not valid: {error.summary()}"
        ) from None
    model.load_state_dict(checkpoint.state, source=str(checkpoint.path), exact_dtype=True)
    model.optimizer_state = checkpoint.optimizer_state
    model.optimizer_class = checkpoint.optimizer_class
    if dtype is not None and np.dtype(dtype) != model.dtype:
        raise CnnToolError(f"{checkpoint.path}: saved as {checkpoint.dtype}, asked for {np.dtype(dtype)}")
    return model
