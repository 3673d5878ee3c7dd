"""Embedding: integer token ids → rows of a learned table (PyTorch's nn.Embedding).

The lecture's view: an embedding is a dense layer on one-hot inputs, computed as a lookup.
ids (N, …) → (N, …, dim). The table is initialised N(0, 1) as PyTorch; row `padding_idx` starts
at zero and gets no gradient (the padding token stays a zero vector), as PyTorch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnntool.arith.hyper import EmbeddingHyper
from cnntool.engine.backend import backend_of, resolve_dtype
from cnntool.engine.layers.base import BuildContext, Layer, TorchCall
from cnntool.errors import InputError


class Embedding(Layer):
    """weight (num_embeddings, embedding_dim); forward is `weight[ids]`, backward scatter-adds."""

    kind = "embedding"
    kinds = ("embedding",)
    accepts_integers = True

    def __init__(
        self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, *, rng=None, dtype=None
    ) -> None:
        super().__init__()
        dtype = resolve_dtype(dtype)
        rng = rng if rng is not None else np.random.default_rng(0)
        if padding_idx is not None and not 0 <= padding_idx < num_embeddings:
            raise ValueError(f"embedding: padding_idx must be in [0, {num_embeddings}), got {padding_idx}")
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        table = np.asarray(rng.standard_normal((num_embeddings, embedding_dim)), dtype=dtype)
        if padding_idx is not None:
            table[padding_idx] = 0
        self.weight = self._add_param("weight", table)

    @classmethod
    def from_hyper(cls, h: EmbeddingHyper, ctx: BuildContext) -> Embedding:
        return cls(h.num_embeddings, h.embedding_dim, h.padding_idx, rng=ctx.rng, dtype=ctx.dtype)

    def torch_call(self) -> TorchCall:
        kwargs = (("padding_idx", self.padding_idx),) if self.padding_idx is not None else ()
        return TorchCall("nn.Embedding", (self.num_embeddings, self.embedding_dim), kwargs)

    def forward(self, x: Any, train: bool = False) -> Any:
        if np.dtype(x.dtype).kind not in "iu":
            raise InputError(
                f"{self.label}: token ids must be integers, got {x.dtype} (e.g. numpy.asarray(ids, dtype=int))"
            )
        xp = backend_of(x).xp
        if x.size and (int(x.min()) < 0 or int(x.max()) >= self.num_embeddings):
            raise InputError(
                f"{self.label}: token ids must be in [0, {self.num_embeddings}), got {int(x.min())}…{int(x.max())}"
            )
        self._push(x)
        return xp.take(self.weight.value, x, axis=0)

    def backward(self, dout: Any) -> None:
        (ids,) = self._pop()
        xp = backend_of(dout).xp
        flat, grads = ids.reshape(-1), dout.reshape(-1, self.embedding_dim)
        if self.padding_idx is not None:
            keep = flat != self.padding_idx
            flat, grads = flat[keep], grads[keep]
        # Rows of the same id summed as segments of the id-sorted rows (add.reduceat), then added once
        # per id: a deterministic scatter-add on any device, where add.at on a GPU adds with atomics.
        if flat.size:
            order = xp.argsort(flat, kind="stable") if xp is np else xp.argsort(flat)  # CuPy's is stable
            ids, rows = flat[order], grads[order]
            starts = xp.flatnonzero(xp.concatenate([xp.ones(1, dtype=bool), ids[1:] != ids[:-1]]))
            self.weight.grad[ids[starts]] += xp.add.reduceat(rows, starts, axis=0)
        return None  # token ids have no gradient
