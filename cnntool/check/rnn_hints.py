"""The common mistakes in counting a recurrent layer's parameters, as reproducible wrong paths.

Like every hint (`cnntool.check.hints`), each one is the question recomputed by
`cnntool.arith` on a variant that a student might have counted instead: one bias
vector where PyTorch has two, the GRU's 3 gate blocks for an LSTM's 4, one
direction of a bidirectional layer, one layer of a stack, the upper layers fed
with H instead of 2H, the shared count where the unrolled one is asked (or the
reverse). Forgetting the recurrent weights U is the one variant that no spec can
express; it takes arith's count and removes the G·H·H_rec weights that arith's
analysed layer (its `RecurrentHyper`) says the layer has.

For a question about one layer only that layer changes (a change to an earlier
layer would change its input too); for a network total, every recurrent layer does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from cnntool.arith import LayerResult, Summary
from cnntool.arith.recurrent import GATES
from cnntool.check.kinds import spec_value
from cnntool.spec import NetSpec
from cnntool.spec.catalog import BY_KIND, RECURRENT_KINDS
from cnntool.spec.nodes import LayerSpec

KINDS = ("params", "params_unshared", "total_params")
_HAS = {
    "rnn": "a plain RNN has one weight set (W, U, b)",
    "gru": "a GRU has 3 (reset r, update z, candidate n)",
    "lstm": "an LSTM has 4 (input i, forget f, candidate g, output o)",
}

Variant = tuple[str, Callable[[], Any]]


def _as_kind(layer: LayerSpec, kind: str) -> LayerSpec:
    """The same layer written as another recurrent kind (options the new kind lacks dropped)."""
    options = tuple((o.name, layer.get(o.name, o.default)) for o in BY_KIND[kind].opts)
    return LayerSpec(kind, options, layer.text, layer.offset)


def _targets(net: NetSpec, summary: Summary, row: LayerResult, kind: str) -> list[LayerSpec]:
    """The recurrent layers a mistake applies to: the asked layer, or all of them for a total."""
    leaves = [leaf for leaf in net.leaves() if leaf.kind in RECURRENT_KINDS]
    if kind == "total_params":
        return leaves
    rows = [r for r in summary.layers if r.kind in RECURRENT_KINDS]
    return [leaves[rows.index(row)]] if row in rows and len(rows) == len(leaves) else []


def recurrent_variants(kind: str, inputs: dict[str, Any], net: NetSpec) -> Iterator[Variant]:
    """(message, value) pairs for the recurrent mistakes that apply to this question."""
    if kind not in KINDS:
        return
    count, summary, row = spec_value(kind, inputs, net)
    targets = _targets(net, summary, row, kind)
    if not targets:
        return

    def on(change: Callable[[LayerSpec], LayerSpec]) -> NetSpec:
        return net.map_leaves(lambda leaf: change(leaf) if any(leaf is t for t in targets) else leaf)

    def value(variant: NetSpec, **changed: Any) -> Callable[[], Any]:
        return lambda: spec_value(kind, {**inputs, **changed}, variant)[0]

    keras_safe = not any(leaf.kind == "batchnorm" for leaf in net.leaves())  # keras counts BN stats
    if keras_safe:
        one_bias = on(lambda leaf: leaf.with_options(reset_after=False))
        yield (
            "counted one bias vector per gate: this count has two (PyTorch's b_ih and b_hh, and Keras's "
            "GRU with reset_after=true), 2·G·H biases per layer and direction",
            value(one_bias, convention="keras"),
        )
        if inputs["convention"] == "keras":
            yield (
                "counted two bias vectors per gate (PyTorch's b_ih and b_hh): in Keras's convention an "
                "rnn or lstm (and a GRU with reset_after=false) has one, G·H per layer and direction",
                value(net, convention="pytorch"),
            )
    yield (
        "forgot the recurrent weights U: every gate multiplies h_{t−1} by its own H×H matrix "
        "besides W (H×I) for x_t, G·H·(I + H) weights per layer and direction",
        lambda: _without_recurrent_weights(kind, count, summary, row),
    )
    for layer_kind in ("rnn", "gru", "lstm"):
        if any(t.kind != layer_kind for t in targets):
            wrong = "one weight set" if layer_kind == "rnn" else f"{GATES[layer_kind]} gate blocks"
            have = "; ".join(_HAS[k] for k in dict.fromkeys(t.kind for t in targets))
            like = {"rnn": "a plain RNN", "gru": "a GRU", "lstm": "an LSTM"}[layer_kind]
            yield (
                f"counted {wrong}, as for {like}; {have}",
                value(on(lambda leaf, k=layer_kind: _as_kind(leaf, k))),
            )
    yield from _structure_variants(kind, inputs, net, row.input_shape[0], targets, on, value)
    if kind == "params_unshared":
        yield (
            "that is the shared count: unrolled without sharing, each of the T steps has its own "
            "weights, T × params",
            lambda: spec_value("params", inputs, net)[0],
        )
    elif kind == "params":
        yield (
            "multiplied by T: the same weights serve every time step (parameter sharing across time), "
            "so the count does not depend on the sequence length",
            lambda: spec_value("params_unshared", inputs, net)[0],
        )


def _structure_variants(
    kind: str,
    inputs: dict[str, Any],
    net: NetSpec,
    steps: int,
    targets: list[LayerSpec],
    on: Callable[..., NetSpec],
    value: Callable[..., Callable[[], Any]],
) -> Iterator[Variant]:
    """Bidirectional and stacked layers: one direction, one layer, the wrong input above the first."""
    if any(t["bidirectional"] for t in targets):
        yield (
            "counted one direction: a bidirectional layer has two independent weight sets, forward and "
            "backward (× 2)",
            value(on(lambda leaf: leaf.with_options(bidirectional=False))),
        )
    stacked = [t for t in targets if t["layers"] > 1]
    if not stacked or kind == "total_params":
        return
    (layer,) = targets
    first = on(lambda leaf: leaf.with_options(layers=1))
    yield (
        f"counted only the first layer: layers={layer['layers']} stacks {layer['layers']} layers, "
        "each with its own weights",
        value(first),
    )
    if layer["bidirectional"]:
        width = layer.get("proj_size") or layer["hidden_size"]
        upper = replace(
            net,
            input_shape=(steps, width),
            layout="sequence",
            layers=(layer.with_options(layers=layer["layers"] - 1),),
        )
        yield (
            "fed the upper layers H inputs: above a bidirectional layer the input is both directions "
            "concatenated, 2H",
            lambda: spec_value(kind, inputs, first)[0] + spec_value(kind, {**inputs, "layer": 1}, upper)[0],
        )
    yield (
        "used the input size I for every stacked layer: the layers above the first read the layer "
        "below's output, H wide (2H bidirectional), not x_t",
        lambda: layer["layers"] * spec_value(kind, inputs, first)[0],
    )


def _without_recurrent_weights(kind: str, count: int, summary: Summary, row: LayerResult) -> int:
    """The right count minus every U matrix: D · L · G · H · H_rec per recurrent layer (× T unrolled)."""
    value = count
    rows = [r for r in summary.layers if r.kind in RECURRENT_KINDS] if kind == "total_params" else [row]
    for r in rows:
        hyper = r.hyper
        steps = r.input_shape[0] if kind == "params_unshared" else 1
        directions = 2 if hyper.bidirectional else 1
        fed_back = hyper.proj_size or hyper.hidden_size
        value -= steps * directions * hyper.num_layers * GATES[r.kind] * hyper.hidden_size * fed_back
    return value
