"""Arithmetic of convolutions: conv (1-D/2-D), transposed conv and depthwise conv.

Counts follow PyTorch: weight (C_out, C_in/G, K...) plus C_out biases; MACs follow
torchinfo (weights and bias per output position); "unshared" is a locally
connected layer with its own filter and bias at every output position.
"""

from __future__ import annotations

from cnntool.arith.context import (
    Computed,
    Ctx,
    LayerProblem,
    Tensor,
    axis_names,
    dot,
    expand,
    need_spatial,
    prod,
    shape_text,
)
from cnntool.arith.diagnose import fit_warnings
from cnntool.arith.formulas import (
    Formula,
    Pad,
    conv_out_len,
    effective_kernel,
    explain_conv_out_len,
    explain_conv_transpose_out_len,
    explain_same_padding,
    keras_same_padding,
    same_padding,
)
from cnntool.arith.hyper import ConvHyper, ConvTransposeHyper
from cnntool.spec.nodes import LayerSpec


def resolve_padding(
    padding: object,
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    spatial: tuple[int, ...],
    ctx: Ctx,
) -> tuple[Pad, ...]:
    """Padding as (left, right) per axis; 'same' is PyTorch's (stride 1) or, with --keras, TF's."""
    rank = len(kernel)
    if padding == "valid":
        return ((0, 0),) * rank
    if padding == "same":
        if any(s != 1 for s in stride):
            if ctx.convention != "keras":
                raise LayerProblem(
                    "padding=same needs stride 1 in PyTorch; use an explicit padding, or the Keras "
                    "convention for TensorFlow's 'same' (output = ⌈input/stride⌉)"
                )
            return tuple(
                keras_same_padding(n, k, s, d) for n, k, s, d in zip(spatial, kernel, stride, dilation)
            )
        return tuple(same_padding(k, d) for k, d in zip(kernel, dilation))
    return tuple((p, p) for p in expand(padding, rank, "padding"))


def _window_sizes(
    x: Tensor,
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    pads: tuple[Pad, ...],
    dilation: tuple[int, ...],
) -> tuple[tuple[int, ...], list[Formula], list[str]]:
    """Output size per axis with formulas; fails when the window is larger than the padded input."""
    out, formulas, warnings = [], [], []
    for axis, n, k, s, p, d in zip(axis_names(len(kernel)), x.spatial, kernel, stride, pads, dilation):
        if n + p[0] + p[1] < effective_kernel(k, d):
            raise LayerProblem(
                f"the {effective_kernel(k, d)}-wide kernel{' (dilated)' if d > 1 else ''} is larger than the "
                f"padded input ({n} + {p[0] + p[1]} = {n + p[0] + p[1]}) along {axis}; use a smaller kernel or more padding"
            )
        out.append(conv_out_len(n, k, s, p, d))
        formulas.append(explain_conv_out_len(f"{axis}_out", n, k, s, p, d))
    warnings += fit_warnings(list(zip(axis_names(len(kernel)), x.spatial, kernel, stride, pads, dilation)))
    return tuple(out), formulas, warnings


def _check_groups(c_in: int, c_out: int, groups: int) -> None:
    if c_in % groups or c_out % groups:
        raise LayerProblem(
            f"groups={groups} must divide both the input channels ({c_in}) and the output channels ({c_out})"
        )


def _weight_formulas(
    c_in_g: int, kernel: tuple[int, ...], c_out: int, bias: bool, groups: int
) -> tuple[str, str]:
    cin_sym = "C_in/G" if groups > 1 else "C_in"
    k_sym = "·".join(f"K_{a.lower()}" for a in axis_names(len(kernel)))
    plus = " + 1" if bias else ""
    return f"C_out · ({cin_sym}·{k_sym}{plus})", f"{c_out} · ({dot(c_in_g, *kernel)}{plus})"


def conv(layer: LayerSpec, x: Tensor, ctx: Ctx) -> Computed:
    need_spatial(x, "conv")
    return _conv(layer, x, ctx, layer["out_channels"], layer["groups"])


def dwconv(layer: LayerSpec, x: Tensor, ctx: Ctx) -> Computed:
    """Depthwise: groups = C_in, each input channel gets `multiplier` filters of its own."""
    need_spatial(x, "dwconv")
    return _conv(layer, x, ctx, x.shape[0] * layer["multiplier"], x.shape[0])


def _conv(layer: LayerSpec, x: Tensor, ctx: Ctx, c_out: int, groups: int) -> Computed:
    c_in, rank = x.shape[0], len(x.spatial)
    kernel = expand(layer["kernel"], rank, "kernel")
    stride = expand(layer["stride"], rank, "stride")
    dilation = expand(layer["dilation"], rank, "dilation")
    _check_groups(c_in, c_out, groups)
    pads = resolve_padding(layer["padding"], kernel, stride, dilation, x.spatial, ctx)
    spatial, formulas, warnings = _window_sizes(x, kernel, stride, pads, dilation)
    if layer["padding"] == "same" and ctx.convention != "keras":
        formulas.insert(0, explain_same_padding(kernel[0], dilation[0]))
    bias = layer["bias"]
    c_in_g = c_in // groups
    per_filter = c_in_g * prod(kernel) + (1 if bias else 0)
    params = c_out * per_filter
    positions = prod(spatial)
    out = Tensor((c_out, *spatial), x.layout)
    sym, num = _weight_formulas(c_in_g, kernel, c_out, bias, groups)
    formulas.append(Formula("params", sym, num, params))
    unshared = positions * params
    out_sym = "·".join(f"{a}_out" for a in axis_names(rank))
    formulas.append(Formula("unshared", f"{out_sym}·{sym}", f"{dot(*spatial)} · {num}", unshared))
    dense = _dense_equivalent(x.size, out.size, bias, formulas)
    macs = params * positions
    formulas.append(Formula("MACs", f"params · {out_sym}", f"{params:,} · {dot(*spatial)}", macs))
    hyper = ConvHyper(c_in, c_out, kernel, stride, pads, dilation, groups, bias)
    k_eff = tuple(effective_kernel(k, d) for k, d in zip(kernel, dilation))
    rf = ("window", k_eff, stride, tuple(p[0] for p in pads))
    return Computed(
        out,
        params,
        unshared=unshared,
        dense=dense,
        macs=macs,
        formulas=formulas,
        warnings=warnings,
        hyper=hyper,
        rf=rf,
    )


def _dense_equivalent(n_in: int, n_out: int, bias: bool, formulas: list[Formula]) -> int:
    """A dense layer between the same input and output elements (biases exactly when the layer has them)."""
    dense = n_in * n_out + (n_out if bias else 0)
    sym = "N_in · N_out" + (" + N_out" if bias else "")
    num = f"{n_in:,} · {n_out:,}" + (f" + {n_out:,}" if bias else "")
    formulas.append(Formula("dense", sym, num, dense))
    return dense


def conv_transpose(layer: LayerSpec, x: Tensor, ctx: Ctx) -> Computed:
    """Transposed conv: weight (C_in, C_out/G, K...); MACs count every input cell times the kernel."""
    need_spatial(x, "convT")
    c_in, rank, c_out, groups = x.shape[0], len(x.spatial), layer["out_channels"], layer["groups"]
    kernel = expand(layer["kernel"], rank, "kernel")
    stride = expand(layer["stride"], rank, "stride")
    dilation = expand(layer["dilation"], rank, "dilation")
    if layer["padding"] in ("same", "valid"):
        raise LayerProblem(
            "convT takes a number for padding (PyTorch has no padding='same' for transposed conv)"
        )
    padding = expand(layer["padding"], rank, "padding")
    out_pad = expand(layer["output_padding"], rank, "output_padding")
    _check_groups(c_in, c_out, groups)
    for op, s, d in zip(out_pad, stride, dilation):
        if op >= max(s, d):
            raise LayerProblem(
                f"output_padding {op} must be smaller than the stride or the dilation ({max(s, d)})"
            )
    formulas, spatial = [], []
    for axis, n, k, s, p, op, d in zip(
        axis_names(rank), x.spatial, kernel, stride, padding, out_pad, dilation
    ):
        f = explain_conv_transpose_out_len(f"{axis}_out", n, k, s, p, op, d)
        if int(f.value) < 1:
            raise LayerProblem(f"the output would be {f.value} wide along {axis}: padding {p} is too large")
        formulas.append(f)
        spatial.append(int(f.value))
    bias = layer["bias"]
    weights = c_in * (c_out // groups) * prod(kernel)
    params = weights + (c_out if bias else 0)
    plus = " + C_out" if bias else ""
    formulas.append(
        Formula(
            "params",
            f"C_in·(C_out/G)·K{plus}",
            f"{dot(c_in, c_out // groups, *kernel)}" + (f" + {c_out}" if bias else ""),
            params,
        )
    )
    out = Tensor((c_out, *spatial), x.layout)
    unshared = prod(x.spatial) * weights + (out.size if bias else 0)
    dense = _dense_equivalent(x.size, out.size, bias, formulas)
    macs = weights * prod(x.spatial) + (out.size if bias else 0)
    formulas.append(
        Formula(
            "MACs",
            "C_in·(C_out/G)·K · input positions (+ bias per output)",
            f"{weights:,} · {dot(*x.spatial)}" + (f" + {out.size:,}" if bias else ""),
            macs,
        )
    )
    hyper = ConvTransposeHyper(c_in, c_out, kernel, stride, padding, out_pad, dilation, groups, bias)
    k_eff = tuple(effective_kernel(k, d) for k, d in zip(kernel, dilation))
    return Computed(
        out,
        params,
        unshared=unshared,
        dense=dense,
        macs=macs,
        formulas=formulas,
        hyper=hyper,
        rf=("transpose", k_eff, stride, padding),
    )


__all__ = ["conv", "conv_transpose", "dwconv", "resolve_padding", "shape_text"]
