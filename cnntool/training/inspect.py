"""Looking inside a trained model: predict one input, its learned filters, and one input's feature maps.

`cnntool predict` and `cnntool filters` (and the demo's filter stop) call these; each returns data
that a view draws. A model file written by a run carries the dataset's facts ("meta": the task, the
class names, the value range), so a prediction names classes instead of output indices.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cnntool.errors import CnnToolError
from cnntool.training.images import ModelInput


@dataclass(frozen=True)
class LoadedModel:
    """A model read from a file, with the facts its run saved beside it ({} for a bare model.save())."""

    model: Any
    meta: dict[str, Any]
    path: Path


def load_model(path: str | Path) -> LoadedModel:
    """The model at `path` (a .npz file, or a run folder: its model.npz)."""
    from cnntool.engine.builder import load
    from cnntool.engine.checkpoint import read

    path = Path(path)
    if path.is_dir():
        path = path / "model.npz"
    saved = read(path)
    meta: dict[str, Any] = {}
    if "meta" in saved.extra:
        try:
            meta = json.loads(str(saved.extra["meta"].item()))
        except json.JSONDecodeError:
            raise CnnToolError(f"{path}: the dataset facts saved in it are damaged") from None
        if not isinstance(meta, dict):
            raise CnnToolError(f"{path}: the dataset facts saved in it are damaged")
    return LoadedModel(load(path), meta, path)


@dataclass(frozen=True)
class Prediction:
    """What a model says about one input: classes ranked by probability, or its output values."""

    source: str
    task: str
    outputs: tuple[float, ...]
    ranking: tuple[tuple[str, float], ...]
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str | None:
        return self.ranking[0][0] if self.ranking else None

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "task": self.task,
            "label": self.label,
            "ranking": [{"class": c, "probability": p} for c, p in self.ranking],
            "outputs": list(self.outputs),
            "notes": list(self.notes),
        }


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def predict(loaded: LoadedModel, sample: ModelInput, top: int = 5) -> Prediction:
    """Run one input through the model (eval mode). Classifiers: the `top` classes by softmax probability."""
    model = loaded.model
    out = model.backend.to_numpy(model.forward(sample.x[None], train=False, check=True))[0].astype(np.float64)
    meta = loaded.meta
    names = list(meta.get("class_names") or [])
    task = str(meta.get("task") or ("classification" if out.ndim == 1 and out.size > 1 else "regression"))
    outputs = tuple(float(v) for v in out.ravel())
    if task in ("classification", "sequence-classification") and out.ndim == 1:
        probs = _softmax(out)
        if len(names) != len(probs):
            names = [str(i) for i in range(len(probs))]
        order = np.argsort(-probs, kind="stable")[: max(1, top)]
        ranking = tuple((names[i], float(probs[i])) for i in order)
        return Prediction(sample.source, task, outputs, ranking, sample.notes)
    return Prediction(sample.source, task, outputs, (), sample.notes)


@dataclass(frozen=True)
class FilterBank:
    """The weights (F, C, kh, kw) of one 2-D conv layer."""

    index: int
    label: str
    weights: np.ndarray


@dataclass(frozen=True)
class FeatureMaps:
    """One layer's output (C, H, W) for one input."""

    index: int
    label: str
    maps: np.ndarray


def conv_filters(model: Any) -> list[FilterBank]:
    """Every top-level 2-D conv layer's filters, input side first."""
    banks = []
    for i, layer in enumerate(model.layers):
        if layer.kind == "conv" and layer.weight.value.ndim == 4:
            banks.append(FilterBank(i, layer.label, model.backend.to_numpy(layer.weight.value).copy()))
    if not banks:
        raise CnnToolError("the model has no 2-D conv layer, so it has no filters to show")
    return banks


def feature_maps(model: Any, x: np.ndarray) -> list[FeatureMaps]:
    """The output of every conv block (a conv and the activation right after it) for one input (C, H, W)."""
    from cnntool.engine.backend import compute_scope

    out = []
    h = model.backend.asarray(np.asarray(x, dtype=model.dtype)[None])
    layers = model.layers
    with compute_scope(model.backend):
        for i, layer in enumerate(layers):
            h = layer.forward(h, train=False)
            nxt = layers[i + 1] if i + 1 < len(layers) else None
            if layer.kind == "conv" and h.ndim == 4 and not (nxt is not None and nxt.fused_act() is not None):
                out.append(FeatureMaps(i, layer.label, model.backend.to_numpy(h[0]).copy()))
            elif i > 0 and layers[i - 1].kind == "conv" and layer.fused_act() is not None and h.ndim == 4:
                out.append(
                    FeatureMaps(
                        i, f"{layers[i - 1].label} + {layer.kind}", model.backend.to_numpy(h[0]).copy()
                    )
                )
    model.clear_cache()
    return out


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two filters (1: the same pattern, −1: its negative)."""
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    den = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b / den) if den > 0 and math.isfinite(den) else 0.0
