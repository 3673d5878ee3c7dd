"""Arithmetic of dense layers, flatten, embedding, normalisation, activations and dropout."""

from __future__ import annotations

from cnntool.arith.context import Computed, Ctx, LayerProblem, Tensor, prod, shape_text
from cnntool.arith.formulas import Formula
from cnntool.arith.hyper import (
    ActivationHyper,
    BatchNormHyper,
    DenseHyper,
    DropoutHyper,
    EmbeddingHyper,
    FlattenHyper,
    LayerNormHyper,
    SoftmaxHyper,
)
from cnntool.spec.nodes import LayerSpec


def dense(layer: LayerSpec, x: Tensor, ctx: Ctx) -> Computed:
    """Linear: vector F → out; on a T×F sequence it is applied at every step (PyTorch's Linear)."""
    if x.layout in ("signal", "image"):
        raise LayerProblem(
            f"dense needs a vector, but gets a {shape_text(x.shape)} tensor; add 'flatten' (or 'globalavgpool') before it"
        )
    n_in, n_out, bias = x.shape[-1], layer["out_features"], layer["bias"]
    params = n_in * n_out + (n_out if bias else 0)
    plus_sym, plus_num = (" + N_out", f" + {n_out}") if bias else ("", "")
    formulas = [Formula("params", f"N_in·N_out{plus_sym}", f"{n_in}·{n_out}{plus_num}", params)]
    steps = x.shape[0] if x.layout == "sequence" else 1
    out = Tensor((*x.shape[:-1], n_out), x.layout)
    macs = steps * params
    dense_eq = x.size * out.size + (out.size if bias else 0)
    if steps > 1:
        formulas.append(Formula("MACs", "T · params", f"{steps} · {params:,}", macs))
        formulas.append(
            Formula("unshared", "T · params (own weights at every step)", f"{steps} · {params:,}", macs)
        )
    hyper = DenseHyper(n_in, n_out, bias)
    return Computed(
        out, params, unshared=steps * params, dense=dense_eq, macs=macs, formulas=formulas, hyper=hyper
    )


def flatten(layer: LayerSpec, x: Tensor, ctx: Ctx) -> Computed:
    formula = Formula("N_out", "product of the input sizes", "·".join(map(str, x.shape)), x.size)
    return Computed(
        Tensor((x.size,), "vector"),
        formulas=[formula],
        hyper=FlattenHyper(),
        rf=("global",) if x.spatial else None,
    )


def embedding(layer: LayerSpec, x: Tensor, ctx: Ctx) -> Computed:
    """Token ids (a length-T vector) → T×dim; a lookup, so no multiply-adds."""
    if x.layout != "vector":
        raise LayerProblem(
            f"embedding takes a vector of T token ids (e.g. input '50'), not {shape_text(x.shape)}"
        )
    vocab, dim = layer["num_embeddings"], layer["embedding_dim"]
    padding_idx = layer.get("padding_idx")
    if padding_idx is not None and padding_idx >= vocab:
        raise LayerProblem(
            f"padding_idx={padding_idx} is not a token id of a {vocab}-word vocabulary (0…{vocab - 1})"
        )
    params = vocab * dim
    formulas = [Formula("params", "vocabulary · dim", f"{vocab}·{dim}", params)]
    hyper = EmbeddingHyper(vocab, dim, padding_idx)
    return Computed(
        Tensor((x.shape[0], dim), "sequence"),
        params,
        unshared=params,
        dense=params,
        formulas=formulas,
        hyper=hyper,
        rf=("drop",),
    )


def batchnorm(layer: LayerSpec, x: Tensor, ctx: Ctx) -> Computed:
    """γ and β per channel are params; the running mean and variance are buffers
    (Keras counts them as non-trainable params, so --keras does too)."""
    channels = x.shape[0] if x.layout in ("signal", "image") else x.shape[-1]
    affine = layer["affine"]
    params = 2 * channels if affine else 0
    stats = 2 * channels
    formulas = [Formula("params", "2·C (γ, β)", f"2·{channels}", params)] if affine else []
    hyper = BatchNormHyper(channels, affine, len(x.spatial), features_last=x.layout == "sequence")
    if ctx.convention == "keras":
        formulas.append(Formula("non-trainable", "2·C (moving mean, variance)", f"2·{channels}", stats))
        return Computed(
            x,
            params + stats,
            non_trainable=stats,
            unshared=params + stats,
            dense=params + stats,
            macs=params,
            formulas=formulas,
            hyper=hyper,
        )
    return Computed(
        x, params, buffers=stats, unshared=params, dense=params, macs=params, formulas=formulas, hyper=hyper
    )


def layernorm(layer: LayerSpec, x: Tensor, ctx: Ctx) -> Computed:
    dims = layer["dims"]
    if dims > len(x.shape):
        raise LayerProblem(
            f"dims={dims} but the input {shape_text(x.shape)} has only {len(x.shape)} dimensions"
        )
    normalized = x.shape[-dims:]
    params = 2 * prod(normalized) if layer["affine"] else 0
    formulas = (
        [Formula("params", "2 · normalized size", f"2·{shape_text(normalized)}", params)] if params else []
    )
    hyper = LayerNormHyper(tuple(normalized), layer["affine"])
    return Computed(x, params, unshared=params, dense=params, macs=params, formulas=formulas, hyper=hyper)


def elementwise(layer: LayerSpec, x: Tensor, ctx: Ctx) -> Computed:
    """Activations and dropout keep the shape and have no parameters."""
    if layer.kind == "dropout":
        return Computed(x, hyper=DropoutHyper(layer["p"]))
    if layer.kind == "leakyrelu":
        return Computed(x, hyper=ActivationHyper("leakyrelu", layer["slope"]))
    if layer.kind == "softmax":
        return Computed(x, hyper=SoftmaxHyper(1 if x.layout in ("signal", "image") else -1))
    return Computed(x, hyper=ActivationHyper(layer.kind))
