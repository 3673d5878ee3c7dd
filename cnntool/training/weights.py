"""What a run needs to know about a model's insides: its random generators, other initialisations,
and the gradient norm of every layer.

A model's dropout layers (and any other layer that draws at training time) keep a generator;
a continued run must put each one back in its saved state, so they are found by walking the
model, in a fixed order. The initialisations are the lecture's comparison: PyTorch's default
(Kaiming-uniform with a = √5), He, Xavier, and two bad ones (too small, too large).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cnntool.errors import InputError


def _children(obj: Any) -> list[Any]:
    from cnntool.engine.layers.base import Layer

    out: list[Any] = []
    for value in vars(obj).values():
        if isinstance(value, Layer):
            out.append(value)
        elif isinstance(value, list | tuple):
            out += [v for v in value if isinstance(v, Layer)]
    return out


def generators(model: Any) -> list[np.random.Generator]:
    """Every np.random.Generator the model's layers hold, each once, in the order they are met."""
    seen: dict[int, np.random.Generator] = {}
    stack, visited = [model], set()
    while stack:
        layer = stack.pop(0)
        if id(layer) in visited:
            continue
        visited.add(id(layer))
        for value in vars(layer).values():
            if isinstance(value, np.random.Generator):
                seen.setdefault(id(value), value)
        stack += _children(layer)
    return list(seen.values())


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    receptive = math.prod(shape[2:]) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def reinitialize(model: Any, scheme: str, rng: np.random.Generator) -> None:
    """Draw every weight matrix or filter bank again by `scheme`, biases set to 0.

    he: N(0, 2/fan_in) (Kaiming-normal, for ReLU); xavier: U(±√(6/(fan_in+fan_out))) (Glorot);
    small: N(0, 0.01²) (signals shrink layer by layer); large: N(0, 1) (signals explode).
    Norm layers' scales and shifts (1-D) keep their defaults.
    """
    backend = model.backend
    for p in model.parameters():
        host = backend.to_numpy(p.value)
        if host.ndim >= 2:
            fan_in, fan_out = _fans(host.shape)
            if scheme == "he":
                new = rng.normal(0.0, math.sqrt(2.0 / fan_in), host.shape)
            elif scheme == "xavier":
                bound = math.sqrt(6.0 / (fan_in + fan_out))
                new = rng.uniform(-bound, bound, host.shape)
            elif scheme == "small":
                new = rng.normal(0.0, 0.01, host.shape)
            elif scheme == "large":
                new = rng.normal(0.0, 1.0, host.shape)
            else:
                raise InputError(f"unknown initialisation {scheme!r} (he, xavier, small, large)")
        elif p.name.endswith("bias"):
            new = np.zeros_like(host)
        else:
            continue
        p.value[...] = backend.asarray(new.astype(host.dtype))


def layer_gradient_norms(model: Any, x: np.ndarray, y: np.ndarray, loss_fn: Any) -> list[tuple[str, float]]:
    """(parameter name, ‖∂L/∂W‖) of every weight matrix or filter bank for one batch, input to output.

    The lecture's "the deeper the network, the smaller the gradient in the lower layers", measured.
    The pass runs in training mode (batch norm normalises with the batch's statistics, as in
    training); the running statistics, the generators and the gradients are put back afterwards,
    so the run that follows is not affected.
    """
    saved = {k: model.backend.to_numpy(v).copy() for k, v in model.state_dict().items()}
    states = [g.bit_generator.state for g in generators(model)]
    model.zero_grad()
    out = model.forward(x, train=True)
    _, dout = loss_fn(out, y)
    model.backward(dout)
    backend = model.backend
    norms = [
        (p.name, float(np.linalg.norm(backend.to_numpy(p.grad).astype(np.float64))))
        for p in model.parameters()
        if p.value.ndim >= 2
    ]
    model.zero_grad()
    model.clear_cache()
    model.load_state_dict(saved)
    for gen, state in zip(generators(model), states):
        gen.bit_generator.state = state
    return norms
