"""Centred-difference gradient checks, as library code (CS231n's `rel_error` style).

`check_layer` runs a layer in float64, takes L = Σ out·G for a fixed random upstream
gradient G, and compares the layer's backward (input and every parameter) with
(L(v+h) − L(v−h)) / 2h for each entry. `check_loss` does the same for a loss function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cnntool.engine.layers.base import Layer


@dataclass(frozen=True)
class GradCheck:
    """One compared gradient: `name` ("x", "weight", …) and its relative error."""

    name: str
    rel_error: float


def rel_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-3) -> float:
    """‖a − b‖ / max(‖a‖ + ‖b‖, floor): scale-free for ordinary gradients.

    The floor makes gradients that are truly zero (a conv bias before batchnorm) compare
    absolutely: centred differences leave ~1e-10 of rounding noise there, not a relative 1.
    """
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), floor))


def numeric_gradient(f: Callable[[], float], v: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """∂f/∂v by centred differences, perturbing `v` in place (restored afterwards)."""
    grad = np.zeros_like(v, dtype=np.float64)
    flat, gflat = v.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = f()
        flat[i] = old - h
        minus = f()
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * h)
    return grad


def check_layer(
    layer: Layer, x: np.ndarray, rng: np.random.Generator, train: bool = True, h: float = 1e-5
) -> list[GradCheck]:
    """Relative errors of dx and every parameter gradient of `layer` at `x` (all float64).

    Layers with randomness (dropout) must be re-seeded by the caller; here the forward
    is repeated, so only deterministic layers (or dropout with p = 0) give meaningful numbers.
    """
    if x.dtype != np.float64 or any(p.value.dtype != np.float64 for p in layer.parameters()):
        raise ValueError(f"gradcheck {layer.label}: use float64 input and parameters, got x {x.dtype}")
    x = x.copy()
    if hasattr(layer, "input_grad"):
        layer.input_grad = True  # a Model skips d(input) unless asked
    out = layer.forward(x, train=train)
    upstream = rng.standard_normal(out.shape)

    def loss() -> float:
        value = float((layer.forward(x, train=train) * upstream).sum())
        layer.clear_cache()  # a probe, not a pass that a backward will follow
        return value

    for p in layer.parameters():
        p.grad[...] = 0
    layer.clear_cache()
    layer.forward(x, train=train)
    dx = layer.backward(upstream)
    analytic = {"x": dx} | {p.name: p.grad.copy() for p in layer.parameters()}
    results = [GradCheck("x", rel_error(analytic["x"], numeric_gradient(loss, x, h)))]
    for p in layer.parameters():
        results.append(GradCheck(p.name, rel_error(analytic[p.name], numeric_gradient(loss, p.value, h))))
    return results


def check_loss(
    loss_fn: Callable[..., tuple[float, np.ndarray]], inputs: np.ndarray, *args, h: float = 1e-5, **kwargs
) -> float:
    """Relative error of the gradient a loss returns, `(loss, dinputs) = loss_fn(inputs, *args)`."""
    inputs = inputs.astype(np.float64, copy=True)
    _, analytic = loss_fn(inputs, *args, **kwargs)
    numeric = numeric_gradient(lambda: float(loss_fn(inputs, *args, **kwargs)[0]), inputs, h)
    return rel_error(analytic, numeric)
