"""Arithmetic of RNN, GRU and LSTM layers (PyTorch layouts, or Keras's single bias with --keras).

Per layer and direction PyTorch has G·H·(I + H) weights and 2·G·H biases
(G = 1 RNN, 3 GRU, 4 LSTM). The same weights serve every time step ("parameter
sharing across time"), so params do not depend on T while MACs grow with T, and
`unshared` (own weights at every step) is T · params. An LSTM with `proj_size=P` adds
P·H; the lecture's peephole LSTM adds 3·H (diagonal V_i, V_f, V_o). Keras
(`convention="keras"`) has one bias vector per gate set, except GRU with reset_after
(its default), which keeps two.
"""

from __future__ import annotations

from cnntool.arith.context import Computed, Ctx, LayerProblem, Tensor, shape_text
from cnntool.arith.formulas import Formula
from cnntool.arith.hyper import RecurrentHyper
from cnntool.spec.nodes import LayerSpec

GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def _per_direction(
    kind: str, n_in: int, hidden: int, proj: int, bias: bool, ctx: Ctx, reset_after: bool, peephole: bool
) -> tuple[int, Formula]:
    """Params of one layer and direction: G·H·(I + H_rec) weights, (+ P·H projection), (+ 3·H
    peephole V's), + one or two G·H bias vectors."""
    g = GATES[kind]
    h_rec = proj or hidden  # what is fed back: the projection when proj_size > 0
    total = g * hidden * (n_in + h_rec)
    sym, num = "G·H·(I + H)", f"{g}·{hidden}·({n_in} + {h_rec})"
    if proj:
        total += proj * hidden
        sym, num = sym + " + P·H", num + f" + {proj}·{hidden}"
    if peephole:  # V_i, V_f, V_o: diagonal, one weight per cell and gate
        total += 3 * hidden
        sym, num = sym + " + 3·H", num + f" + 3·{hidden}"
    if bias:
        n_bias = 2 if ctx.convention == "pytorch" or (kind == "gru" and reset_after) else 1
        total += n_bias * g * hidden
        sym += f" + {n_bias}·G·H" if n_bias > 1 else " + G·H"
        num += f" + {n_bias}·{g}·{hidden}" if n_bias > 1 else f" + {g}·{hidden}"
    return total, Formula("per direction", sym, num, total)


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
    peephole = bool(layer.get("peephole", False))
    directions = 2 if layer["bidirectional"] else 1
    width = directions * (proj or hidden)
    params, formulas = 0, []
    for index in range(layers):
        layer_in = n_in if index == 0 else width
        count, formula = _per_direction(
            kind, layer_in, hidden, proj, layer["bias"], ctx, layer.get("reset_after", True), peephole
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
        dropout=layer.get("dropout", 0.0),
        peephole=peephole,
        bptt=layer.get("bptt", 0),
    )
    warnings = []
    if hyper.dropout and layers == 1:
        warnings.append(
            f"dropout={hyper.dropout:g} acts between stacked layers only, so with layers=1 it does nothing "
            "(as PyTorch, which warns too); add a dropout layer after it instead"
        )
    return Computed(
        out,
        params,
        unshared=macs,
        dense=dense_eq,
        macs=macs,
        formulas=formulas,
        warnings=warnings,
        hyper=hyper,
        rf=("drop",),
    )
