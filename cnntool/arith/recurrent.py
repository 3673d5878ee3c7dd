"""Arithmetic of RNN, GRU and LSTM layers (PyTorch layouts, or Keras's single bias with --keras).

Per layer and direction PyTorch has G·H·(I + H) weights and 2·G·H biases
(G = 1 RNN, 3 GRU, 4 LSTM). The same weights serve every time step ("parameter
sharing across time"), so params do not depend on T while MACs grow with T.
"""

from __future__ import annotations

from cnntool.arith.context import Computed, Ctx, LayerProblem, Tensor, shape_text
from cnntool.arith.formulas import Formula
from cnntool.arith.hyper import RecurrentHyper
from cnntool.spec.nodes import LayerSpec

GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def _per_direction(
    kind: str, n_in: int, hidden: int, proj: int, bias: bool, ctx: Ctx, reset_after: bool
) -> tuple[int, Formula]:
    g = GATES[kind]
    h_rec = proj or hidden  # what is fed back: the projection when proj_size > 0
    weights = g * hidden * (n_in + h_rec) + (proj * hidden if proj else 0)
    proj_sym, proj_num = (" + P·H", f" + {proj}·{hidden}") if proj else ("", "")
    if not bias:
        return weights, Formula(
            "per direction", f"G·H·(I + H){proj_sym}", f"{g}·{hidden}·({n_in} + {h_rec}){proj_num}", weights
        )
    n_bias = 2 if ctx.convention == "pytorch" or (kind == "gru" and reset_after) else 1
    total = weights + n_bias * g * hidden
    bias_sym = f"{n_bias}·G·H" if n_bias > 1 else "G·H"
    bias_num = f"{n_bias}·{g}·{hidden}" if n_bias > 1 else f"{g}·{hidden}"
    formula = Formula(
        "per direction",
        f"G·H·(I + H){proj_sym} + {bias_sym}",
        f"{g}·{hidden}·({n_in} + {h_rec}){proj_num} + {bias_num}",
        total,
    )
    return total, formula


def recurrent(layer: LayerSpec, x: Tensor, ctx: Ctx) -> Computed:
    kind = layer.kind
    if x.layout != "sequence":
        hint = (
            "use a T×F input such as 50x32"
            if x.layout != "vector"
            else "for token ids add 'embedding' first; for features use a T×F input such as 50x32"
        )
        raise LayerProblem(f"{kind} needs a T×F sequence, but gets {shape_text(x.shape)}; {hint}")
    steps, n_in = x.shape
    hidden, layers = layer["hidden_size"], layer["layers"]
    proj = layer.get("proj_size", 0) or 0
    if proj and proj >= hidden:
        raise LayerProblem(f"proj_size ({proj}) must be smaller than hidden_size ({hidden})")
    directions = 2 if layer["bidirectional"] else 1
    width = directions * (proj or hidden)
    params, formulas = 0, []
    for index in range(layers):
        layer_in = n_in if index == 0 else width
        count, formula = _per_direction(
            kind, layer_in, hidden, proj, layer["bias"], ctx, layer.get("reset_after", True)
        )
        params += directions * count
        label = f"layer {index + 1}" if layers > 1 else "params"
        if directions > 1 or layers > 1:
            formulas.append(
                Formula(
                    label,
                    f"D · ({formula.symbolic})",
                    f"{directions} · ({formula.substituted})",
                    directions * count,
                )
            )
        else:
            formulas.append(Formula("params", formula.symbolic, formula.substituted, count))
    if layers > 1:
        formulas.append(
            Formula("params", "sum over layers", " + ".join(f"{f.value:,}" for f in formulas), params)
        )
    keep_all = layer["return_sequences"]
    out = Tensor((steps, width), "sequence") if keep_all else Tensor((width,), "vector")
    macs = steps * params
    formulas.append(
        Formula("MACs", "T · params (every step uses every weight once)", f"{steps} · {params:,}", macs)
    )
    formulas.append(
        Formula("unshared", "T · params (own weights at every step)", f"{steps} · {params:,}", macs)
    )
    out_elems = out.size
    dense_eq = x.size * out_elems + (out_elems if layer["bias"] else 0)
    hyper = RecurrentHyper(
        kind,
        n_in,
        hidden,
        layers,
        directions == 2,
        layer["bias"],
        proj,
        keep_all,
        layer.get("nonlinearity", "tanh"),
        layer.get("reset_after", True),
    )
    return Computed(
        out, params, unshared=macs, dense=dense_eq, macs=macs, formulas=formulas, hyper=hyper, rf=("drop",)
    )
