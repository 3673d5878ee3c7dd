"""`unroll`: one small recurrent cell, step by step, with the engine's own numbers.

For a cell of at most 8 hidden units this runs the engine's forward (and, with `grad`, its
backward through time) on one sequence with `record` on, and returns every step as data: x_t,
h_{t−1} (and c_{t−1}), each gate's pre-activation and activation, the new state, and dL/dh_t.
Nothing here recomputes the cell: the numbers are what the layer computed (engine/layers/
recurrent.py), so the table a student reads is the training code's arithmetic.

The loss for the backward pass is L = Σ_j h_T^j, the sum of the final hidden state of the top
layer (both directions), so dL/dh_t shows how much h_t still moves h_T: the vanishing (|w| < 1)
or exploding (|w| > 1) product of the lecture, on a 1-unit RNN with its weight set to 0.5 or 1.5.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cnntool.errors import CnnToolError
from cnntool.numbers import parse_number
from cnntool.spec.catalog import RECURRENT_KINDS
from cnntool.text import did_you_mean, shape_text

MAX_HIDDEN = 8
MAX_FEATURES = 16
MAX_STEPS = 100
DEFAULT_STEPS = 3
LOSS = "L = Σ_j h_T^j (the sum of the top layer's final hidden state, every direction)"

#: The equations as the engine implements them (PyTorch's forms; W_i· and W_h· are the rows of
#: weight_ih and weight_hh for that gate, b_i· and b_h· the rows of bias_ih and bias_hh).
EQUATIONS = {
    "rnn": ("h_t = act(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh), act = tanh or relu",),
    "gru": (
        "r_t = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)",
        "z_t = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)",
        "n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn))",
        "h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}",
    ),
    "lstm": (
        "i_t = σ(W_ii x_t + b_ii + W_hi h_{t−1} + b_hi)",
        "f_t = σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf)",
        "g_t = tanh(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg)",
        "o_t = σ(W_io x_t + b_io + W_ho h_{t−1} + b_ho)",
        "c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t",
        "h_t = o_t ⊙ tanh(c_t)",
    ),
}
PEEPHOLE_EQUATIONS = (
    "i_t = σ(W_ii x_t + b_ii + W_hi h_{t−1} + b_hi + V_i ⊙ c_{t−1})",
    "f_t = σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf + V_f ⊙ c_{t−1})",
    "g_t = tanh(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg)",
    "c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t",
    "o_t = σ(W_io x_t + b_io + W_ho h_{t−1} + b_ho + V_o ⊙ c_t)",
    "h_t = o_t ⊙ tanh(c_t)",
)
PROJECTION_EQUATION = "m_t = o_t ⊙ tanh(c_t);  h_t = W_hr m_t (proj_size)"

Vector = tuple[float, ...]


@dataclass(frozen=True)
class Gate:
    """One gate at one step: its name (PyTorch's order: LSTM i f g o, GRU r z n, RNN h), the
    pre-activation and the activation, one value per hidden unit."""

    name: str
    pre: Vector
    act: Vector


@dataclass(frozen=True)
class Step:
    """Time step `t` (1-based, as the lecture counts) of one layer and direction."""

    t: int
    x: Vector
    h_prev: Vector
    gates: tuple[Gate, ...]
    h: Vector
    c_prev: Vector | None = None
    c: Vector | None = None
    m: Vector | None = None  # o ⊙ tanh(c) before an LSTM's projection
    dh: Vector | None = None  # dL/dh_t (with grad)
    dh_norm: float | None = None
    dc: Vector | None = None  # dL/dc_t (LSTM, with grad)


@dataclass(frozen=True)
class Run:
    """The steps of one stacked layer and direction, in the order the cell took them."""

    layer: int
    direction: str  # "forward" or "backward"
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class UnrollReport:
    """Everything `cnntool unroll` shows; `to_json()` is the --json form (docs/schemas/unroll.schema.json)."""

    spec: str
    cell: str
    input_size: int
    hidden_size: int
    proj_size: int
    layers: int
    bidirectional: bool
    peephole: bool
    nonlinearity: str
    steps: int
    equations: tuple[str, ...]
    parameters: dict[str, Any]
    runs: tuple[Run, ...]
    loss: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for run in data["runs"]:
            for step in run["steps"]:
                for key in [k for k, v in step.items() if v is None]:
                    del step[key]
        return data


# --- reading the numbers the user typed ---------------------------------------------------------------


def parse_vector(text: str, what: str) -> list[float]:
    """ "1 0 -0.5" or "1, 0, 1/2" → floats; CnnToolError naming `what` and the bad token."""
    tokens = text.replace(",", " ").split()
    if not tokens:
        raise CnnToolError(f"{what}: no numbers given")
    values = []
    for token in tokens:
        number = parse_number(token)
        if number is None:
            raise CnnToolError(f"{what}: '{token}' is not a number (write 0.5, -1 or 1/2)")
        values.append(float(number))
    return values


def parse_sequence(text: str) -> list[list[float]]:
    """ "1 0 0; 0 1 0" → one row of features per time step (rows split by ';' or new lines)."""
    rows = [row for row in text.replace("\n", ";").split(";") if row.strip()]
    if not rows:
        raise CnnToolError("sequence: no time steps given (rows of numbers separated by ';')")
    return [parse_vector(row, f"sequence step {i + 1}") for i, row in enumerate(rows)]


def parse_setting(text: str) -> tuple[str, list[float]]:
    """ "weight_hh_l0=1.5" → ("weight_hh_l0", [1.5]); several numbers fill the array in order."""
    name, sep, values = text.partition("=")
    if not sep or not name.strip():
        raise CnnToolError(f"'{text}': write a parameter setting as NAME=VALUES, e.g. weight_hh_l0=1.5")
    return name.strip(), parse_vector(values, name.strip())


# --- the cell ---------------------------------------------------------------------------------------


def _cell_spec(spec: str, rows: int | None) -> tuple[Any, Any, int, int]:
    """(NetSpec with a T×F input, the layer's hyper-parameters, T, F) for a one-layer recurrent spec."""
    from cnntool.arith import analyze
    from cnntool.spec.source import load_spec

    net = load_spec(spec)
    layers = net.leaves()
    if len(net.layers) != 1 or len(layers) != 1 or layers[0].kind not in RECURRENT_KINDS:
        raise CnnToolError(
            "unroll shows one recurrent layer: write its input and the layer, e.g. '3 | lstm 2' "
            "(3 features per step) or '5x3 | gru 2' (5 steps of 3 features)"
        )
    shape = net.input_shape
    if len(shape) == 1:
        steps, features = (rows if rows is not None else DEFAULT_STEPS), shape[0]
    elif len(shape) == 2:
        steps, features = shape
        if rows is not None and rows != steps:
            raise CnnToolError(
                f"the spec's input is {shape_text(shape)} ({steps} steps) but the sequence has {rows}"
            )
    else:
        raise CnnToolError(f"unroll needs a feature count (3) or T×F (5x3) input, not {shape_text(shape)}")
    if not 1 <= steps <= MAX_STEPS:
        raise CnnToolError(f"unroll shows 1 to {MAX_STEPS} time steps, got {steps}")
    net = load_spec(net, input_shape=f"{steps}x{features}")
    hyper = analyze(net).layers[0].hyper
    if hyper.hidden_size > MAX_HIDDEN or (hyper.proj_size or 0) > MAX_HIDDEN:
        raise CnnToolError(
            f"unroll prints every unit, so it takes cells of at most {MAX_HIDDEN} hidden units "
            f"(this one has {hyper.hidden_size}); try '{features} | {layers[0].kind} 2'"
        )
    if features > MAX_FEATURES:
        raise CnnToolError(
            f"unroll prints every input feature, so at most {MAX_FEATURES} per step (got {features})"
        )
    return net, hyper, steps, features


def _load_weights(model: Any, path: str | Path) -> None:
    """Copy the first recurrent layer of a saved model into `model` (names and shapes checked)."""
    from cnntool.engine.checkpoint import read
    from cnntool.spec.source import load_spec

    checkpoint = read(Path(str(path).removeprefix("@")))
    saved = load_spec(checkpoint.spec, files=False)
    index = next(
        (i for i, node in enumerate(saved.layers) if getattr(node, "kind", "") in RECURRENT_KINDS), None
    )
    if index is None:
        raise CnnToolError(
            f"{checkpoint.path}: the saved model ({checkpoint.spec}) has no top-level rnn, gru or lstm"
        )
    prefix = f"{index}."
    state = {"0." + k[len(prefix) :]: v for k, v in checkpoint.state.items() if k.startswith(prefix)}
    model.load_state_dict(state, source=f"{checkpoint.path} (layer {index + 1})")


def _apply_settings(model: Any, settings: Mapping[str, Sequence[float]]) -> None:
    own = {name.removeprefix("0."): p for name, p in ((p.name, p) for p in model.parameters())}
    for name, values in settings.items():
        key = name.removeprefix("0.")
        if key not in own:
            hint = did_you_mean(key, own)
            raise CnnToolError(
                f"this cell has no parameter '{name}'"
                + (f"; {hint}" if hint else f"; it has: {', '.join(own)}")
            )
        target = own[key].value
        if len(values) == 1:
            target[...] = values[0]
        elif len(values) == target.size:
            target[...] = np.asarray(values, dtype=target.dtype).reshape(target.shape)
        else:
            raise CnnToolError(
                f"{key} has {target.size} numbers (shape {shape_text(target.shape)}); give 1 (fills it) or "
                f"{target.size}, got {len(values)}"
            )


def _state(vector: Sequence[float] | None, width: int, count: int, what: str) -> np.ndarray | None:
    if vector is None:
        return None
    if len(vector) != width:
        raise CnnToolError(f"{what} has {width} units in this cell, got {len(vector)} numbers")
    return np.tile(np.asarray(vector, dtype=np.float64), (count, 1, 1))


def unroll(
    spec: str,
    sequence: Sequence[Sequence[float]] | None = None,
    *,
    seed: int = 0,
    weights: str | Path | None = None,
    settings: Mapping[str, Sequence[float]] | None = None,
    grad: bool = False,
    h0: Sequence[float] | None = None,
    c0: Sequence[float] | None = None,
    steps: int | None = None,
) -> UnrollReport:
    """Run a small recurrent cell over one sequence and return every step (see the module docstring).

    `spec` is one recurrent layer on a feature-count input ("3 | lstm 2": T comes from the
    sequence) or on a T×F input ("5x3 | lstm 2"). Without a sequence, a seeded N(0, 1) one of
    `steps` (default 3) rows is used. Weights are the seeded initialisation, then those of a saved
    model (`weights`), then `settings` ({"weight_hh_l0": [1.5]}: one number fills the array). `h0`
    and `c0` start every layer and direction from the same vector (default zeros).
    """
    from cnntool.engine.builder import build

    rows = len(sequence) if sequence is not None else steps
    net, hyper, t_, f_ = _cell_spec(spec, rows)
    model = build(net, seed=seed, dtype="float64", device="cpu")  # a teaching trace: NumPy numbers
    if weights is not None:
        _load_weights(model, weights)
    if settings:
        _apply_settings(model, settings)
    if sequence is None:
        x = np.random.default_rng(seed).standard_normal((1, t_, f_))
    else:
        for i, row in enumerate(sequence):
            if len(row) != f_:
                raise CnnToolError(
                    f"sequence step {i + 1} has {len(row)} numbers, but the cell takes {f_} features"
                )
        x = np.asarray(sequence, dtype=np.float64)[None]
    layer = model.layers[0]
    count = layer.num_layers * layer.directions
    h_init = _state(h0, layer.hidden_out, count, "h0")
    c_init = _state(c0, layer.hidden_size, count, "c0")
    if c_init is not None and layer.cell != "lstm":
        raise CnnToolError(f"a {layer.cell} has no cell state c; c0 is for an lstm")
    state = None
    if h_init is not None or c_init is not None:
        zeros_h, zeros_c = np.zeros((count, 1, layer.hidden_out)), np.zeros((count, 1, layer.hidden_size))
        h_init = zeros_h if h_init is None else h_init
        state = (h_init, zeros_c if c_init is None else c_init) if layer.cell == "lstm" else h_init
    layer.record = True
    try:
        out, final = model.forward(x, state=state, return_state=True)
        if grad:
            dstate = _loss_gradient(layer, final)
            model.backward(np.zeros_like(out), dstate=dstate)
        runs = tuple(_run(layer, key, grad) for key in sorted(layer.trace))
    finally:
        layer.record = False
    equations = PEEPHOLE_EQUATIONS if layer.peephole else EQUATIONS[layer.cell]
    if layer.proj_size:
        equations = (*equations[:-1], PROJECTION_EQUATION)
    params = {p.name.removeprefix("0."): p.value.tolist() for p in model.parameters()}
    return UnrollReport(
        spec=spec,
        cell=layer.cell,
        input_size=f_,
        hidden_size=layer.hidden_size,
        proj_size=layer.proj_size,
        layers=layer.num_layers,
        bidirectional=layer.directions == 2,
        peephole=layer.peephole,
        nonlinearity=layer.nonlinearity,
        steps=t_,
        equations=tuple(equations),
        parameters=params,
        runs=runs,
        loss=LOSS if grad else None,
    )


def _loss_gradient(layer: Any, final: Any) -> Any:
    """dL/d(final state) for L = Σ h_T of the top layer: ones there, zeros elsewhere (and for c)."""
    h_n = final[0] if layer.cell == "lstm" else final
    dh = np.zeros_like(h_n)
    dh[-layer.directions :] = 1.0
    return (dh, np.zeros_like(final[1])) if layer.cell == "lstm" else dh


def _vec(a: np.ndarray) -> Vector:
    return tuple(float(v) for v in a)


def _run(layer: Any, key: tuple[int, int], grad: bool) -> Run:
    tr = layer.trace[key]
    g = layer.grad_trace.get(key, {}) if grad else {}
    names = {"rnn": ("h",), "gru": ("r", "z", "n"), "lstm": ("i", "f", "g", "o")}[layer.cell]
    h = layer.hidden_size
    t_ = tr["x"].shape[1]
    order = range(t_ - 1, -1, -1) if key[1] == 1 else range(t_)
    steps = []
    for t in order:
        gates = tuple(
            Gate(
                name, _vec(tr["pre"][0, t, k * h : (k + 1) * h]), _vec(tr["gates"][0, t, k * h : (k + 1) * h])
            )
            for k, name in enumerate(names)
        )
        dh = g["dh"][0, t] if "dh" in g else None
        steps.append(
            Step(
                t=t + 1,
                x=_vec(tr["x"][0, t]),
                h_prev=_vec(tr["h_prev"][0, t]),
                gates=gates,
                h=_vec(tr["h"][0, t]),
                c_prev=_vec(tr["c_prev"][0, t]) if "c_prev" in tr else None,
                c=_vec(tr["c"][0, t]) if "c" in tr else None,
                m=_vec(tr["m"][0, t]) if "m" in tr else None,
                dh=_vec(dh) if dh is not None else None,
                dh_norm=math.sqrt(float((dh**2).sum())) if dh is not None else None,
                dc=_vec(g["dc"][0, t]) if "dc" in g else None,
            )
        )
    return Run(layer=key[0], direction="backward" if key[1] else "forward", steps=tuple(steps))
