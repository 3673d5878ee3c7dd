"""Backpropagation through time as numbers: ‖dL/dh_t‖ at every time step.

The lecture's warning — "the gradient gets smaller and smaller" (vanishing) or "explodes from
repeated multiplication" — is visible in one array: run a batch forward and backward and read the
gradient of the loss with respect to each hidden state h_t, going back in time. The numbers come
from the engine's own backward (the recurrent layer records dL/dh_t while it runs), with the same
truncation (`bptt=`) and lengths as training; parameter gradients are left as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from cnntool.engine import losses
from cnntool.errors import InputError


def hidden_grad_norms(
    model: Any,
    x: Any,
    target: Any,
    loss_fn: Callable[..., tuple[float, Any]] = losses.cross_entropy,
    *,
    lengths: Any = None,
    state: Any = None,
    recurrent: int = 0,
    layer: int = -1,
    direction: int = 0,
) -> np.ndarray:
    """‖dL/dh_t‖ (Frobenius norm over the batch and the hidden units) for t = 0 … T−1, as a (T,) array.

    `loss_fn(output, target)` returns (loss, d(output)), as `engine.losses`. `recurrent` picks the
    model's recurrent layer (0: the first), `layer` its stacked layer (−1: the top one) and `direction`
    0 (forward) or 1 (backward). dL/dh_t is the total derivative: through the output at step t and
    through every later step (earlier steps for the backward direction).
    """
    indices = [i for i, lay in enumerate(model.layers) if lay.sequence_options]
    if not indices:
        raise InputError("hidden_grad_norms: the model has no recurrent layer (rnn, gru, lstm)")
    if not -len(indices) <= recurrent < len(indices):
        raise InputError(
            f"hidden_grad_norms: recurrent={recurrent}, but the model has {len(indices)} recurrent layer(s)"
        )
    rec = model.layers[indices[recurrent]]
    if not -rec.num_layers <= layer < rec.num_layers or direction not in range(rec.directions):
        raise InputError(
            f"hidden_grad_norms: {rec.label} has {rec.num_layers} stacked layer(s) and {rec.directions} "
            f"direction(s); got layer={layer}, direction={direction}"
        )
    kept = [p.grad.copy() for p in model.parameters()]
    rec.record = True
    try:
        out = model.forward(x, train=False, state=state, lengths=lengths)
        _, dout = loss_fn(out, target)
        model.backward(dout)
        dh = rec.grad_trace[(layer % rec.num_layers, direction)]["dh"]  # (N, T, H_out)
    finally:
        rec.record = False
        rec.trace, rec.grad_trace = {}, {}
        for p, g in zip(model.parameters(), kept, strict=True):
            p.grad[...] = g
    return np.sqrt((np.asarray(dh, dtype=np.float64) ** 2).sum(axis=(0, 2)))
