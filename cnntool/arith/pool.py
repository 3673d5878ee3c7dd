"""Arithmetic of pooling and resampling: max/avg pooling (PyTorch's ceil rule), global and
adaptive average pooling, nearest upsampling. None of them has parameters."""

from __future__ import annotations

from cnntool.arith.context import Computed, Ctx, LayerProblem, Tensor, axis_names, expand, need_spatial
from cnntool.arith.diagnose import fit_warnings
from cnntool.arith.formulas import Formula, adaptive_window, effective_kernel, explain_pool_out_len
from cnntool.arith.hyper import (
    AdaptiveAvgPoolHyper,
    AvgPoolHyper,
    GlobalAvgPoolHyper,
    MaxPoolHyper,
    UpsampleHyper,
)
from cnntool.spec.nodes import LayerSpec


def _pool(layer: LayerSpec, x: Tensor, ctx: Ctx, kind: str) -> Computed:
    need_spatial(x, kind)
    rank = len(x.spatial)
    kernel = expand(layer["kernel"], rank, "kernel")
    stride = expand(layer["stride"] if layer["stride"] is not None else layer["kernel"], rank, "stride")
    padding = expand(layer["padding"], rank, "padding")
    dilation = expand(layer.get("dilation", 1), rank, "dilation")
    ceil = layer["ceil"]
    out, formulas, warnings = [], [], []
    for axis, n, k, s, p, d in zip(axis_names(rank), x.spatial, kernel, stride, padding, dilation):
        if 2 * p > k:
            raise LayerProblem(
                f"padding {p} is more than half the window ({k}); PyTorch refuses this for pooling"
            )
        f = explain_pool_out_len(f"{axis}_out", n, k, s, (p, p), d, ceil)
        if int(f.value) < 1:  # in ceil mode a window may overhang the input, so test the size, not the kernel
            raise LayerProblem(
                f"the {effective_kernel(k, d)}-wide window is larger than the padded input ({n + 2 * p}) along {axis}"
            )
        formulas.append(f)
        out.append(int(f.value))
    if not ceil:
        axes = zip(axis_names(rank), x.spatial, kernel, stride, padding, dilation)
        warnings += fit_warnings([(a, n, k, s, (p, p), d) for a, n, k, s, p, d in axes], pooling=True)
    pads = tuple((p, p) for p in padding)
    if kind == "maxpool":
        hyper: MaxPoolHyper | AvgPoolHyper = MaxPoolHyper(kernel, stride, pads, dilation, ceil)
    else:
        hyper = AvgPoolHyper(kernel, stride, pads, ceil, layer["count_include_pad"])
    k_eff = tuple(effective_kernel(k, d) for k, d in zip(kernel, dilation))
    return Computed(
        Tensor((x.shape[0], *out), x.layout),
        formulas=formulas,
        warnings=warnings,
        hyper=hyper,
        rf=("window", k_eff, stride, padding),
    )


def maxpool(layer: LayerSpec, x: Tensor, ctx: Ctx) -> Computed:
    return _pool(layer, x, ctx, "maxpool")


def avgpool(layer: LayerSpec, x: Tensor, ctx: Ctx) -> Computed:
    return _pool(layer, x, ctx, "avgpool")


def globalavgpool(layer: LayerSpec, x: Tensor, ctx: Ctx) -> Computed:
    """Average each channel: C×H×W → C (a vector, ready for a dense layer)."""
    need_spatial(x, "globalavgpool")
    return Computed(Tensor((x.shape[0],), "vector"), hyper=GlobalAvgPoolHyper(len(x.spatial)), rf=("global",))


def adaptiveavgpool(layer: LayerSpec, x: Tensor, ctx: Ctx) -> Computed:
    """PyTorch's adaptive pooling: window i covers [⌊i·I/O⌋, ⌈(i+1)·I/O⌉)."""
    need_spatial(x, "adaptiveavgpool")
    rank = len(x.spatial)
    out = expand(layer["output_size"], rank, "output_size")
    kernels, strides = [], []
    for n, o in zip(x.spatial, out):
        widths = [end - start for start, end in (adaptive_window(i, n, o) for i in range(min(o, 2)))]
        kernels.append(max(widths))
        strides.append(max(1, n // o))
    formulas = [Formula(f"{axis}_out", "output_size", str(o), o) for axis, o in zip(axis_names(rank), out)]
    hyper = AdaptiveAvgPoolHyper(out)
    return Computed(
        Tensor((x.shape[0], *out), x.layout),
        formulas=formulas,
        hyper=hyper,
        rf=("window", tuple(kernels), tuple(strides), (0,) * rank),
    )


def upsample(layer: LayerSpec, x: Tensor, ctx: Ctx) -> Computed:
    need_spatial(x, "upsample")
    rank = len(x.spatial)
    scale = expand(layer["scale"], rank, "scale")
    out = tuple(n * s for n, s in zip(x.spatial, scale))
    formulas = [
        Formula(f"{a}_out", f"{a}_in · scale", f"{n} · {s}", n * s)
        for a, n, s in zip(axis_names(rank), x.spatial, scale)
    ]
    return Computed(
        Tensor((x.shape[0], *out), x.layout),
        formulas=formulas,
        hyper=UpsampleHyper(scale, layer["mode"]),
        rf=("upsample", scale),
    )
