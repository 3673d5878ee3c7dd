"""Look inside a model between training steps: its first convolution's filters, and the feature maps
that convolution (with the activation after it) makes of one input.

A trainer shows these while it learns (the TUI draws them as heat maps). Everything returned is a
NumPy copy, so a caller on another thread may keep it while training changes the weights.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnntool.engine.backend import compute_scope
from cnntool.spec.catalog import ACTIVATION_KINDS


def first_conv(model: Any) -> int | None:
    """The index (among the model's top-level layers) of its first 2-D convolution, or None."""
    for i, layer in enumerate(model.layers):
        if layer.kind == "conv" and getattr(layer, "nd", 2) == 2:
            return i
    return None


def conv_filters(model: Any) -> tuple[str, np.ndarray] | None:
    """(label, weights (F, C/groups, kh, kw)) of the first 2-D convolution, or None when there is none."""
    index = first_conv(model)
    if index is None:
        return None
    layer = model.layers[index]
    return layer.label, np.array(model.backend.to_numpy(layer.weight.value), dtype=np.float64)


def feature_maps(model: Any, sample: np.ndarray) -> tuple[str, np.ndarray] | None:
    """(label, maps (F, H_out, W_out)) after the first 2-D convolution and the activation right after it.

    sample: one input, shape model.input_shape. Runs in eval mode (dropout off, batchnorm's running
    statistics) and leaves nothing behind for a backward pass.
    """
    index = first_conv(model)
    if index is None:
        return None
    last = (
        index + 1
        if index + 1 < len(model.layers) and model.layers[index + 1].kind in ACTIVATION_KINDS
        else index
    )
    x = model.backend.asarray(np.asarray(sample)[None], dtype=model.dtype)
    try:
        with compute_scope():
            for layer in model.layers[: last + 1]:
                x = layer.forward(x, train=False)
    finally:
        model.clear_cache()
    return model.layers[last].label, np.array(model.backend.to_numpy(x)[0], dtype=np.float64)
