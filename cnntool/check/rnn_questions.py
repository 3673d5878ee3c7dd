"""Quiz topics on recurrent layers: drafts of ordinary spec questions about rnn, gru and lstm.

A topic is what `cnntool quiz --kinds` asks for; the question it writes is of an
answer-file kind that already exists (`params`, `params_unshared`,
`total_params`, with `convention = "keras"` where the topic says so), so a quiz
file, its key and `cnntool check` need nothing new, and the hints for recurrent
mistakes (`cnntool.check.rnn_hints`) apply to hand-written questions too.

The difficulty widens the layer: easy is one plain layer; medium adds
bidirectional or a second stacked layer; hard stacks and runs both directions,
adds an LSTM projection, and the Keras GRU with reset_after=false.
"""

from __future__ import annotations

import random
from typing import Any

TOPICS = {
    "rnn_params": "params of one rnn, gru or lstm layer (bidirectional and stacked when harder)",
    "rnn_keras": "the same count in Keras's convention (one bias vector, GRU's reset_after)",
    "rnn_unshared": "the params unrolled in time without sharing (T × params)",
    "rnn_total": "all params of an embedding → recurrent → dense network",
}
GROUPS = {"recurrent": tuple(TOPICS), "rnn": tuple(TOPICS)}
_CELLS = ("rnn", "gru", "lstm")


def _layer(rng: random.Random, level: int, keras: bool = False) -> str:
    """One recurrent layer's text; options grow with the level."""
    cell = rng.choice(_CELLS)
    hidden = rng.choice(((2, 3, 4, 8, 10), (8, 16, 20, 32, 64), (16, 32, 50, 64, 128))[level])
    options: list[str] = []
    if level == 1:
        options += rng.choice(([], ["bidirectional=true"], ["layers=2"]))
    elif level == 2:
        options += ["layers=2", "bidirectional=true"] if rng.random() < 0.6 else ["layers=3"]
        if cell == "lstm" and not keras and rng.random() < 0.3:
            options.append(f"proj_size={hidden // 2}")
    if keras and cell == "gru" and rng.random() < 0.5:
        options.append("reset_after=false")
    return " ".join([cell, str(hidden), *options])


def _sequence(rng: random.Random, level: int) -> str:
    steps = rng.choice((5, 10, 20, 50, 100))
    features = rng.choice(((1, 2, 3, 4, 5), (8, 10, 16, 32), (13, 32, 50, 100))[level])
    return f"{steps}x{features}"


def generate(topic: str, rng: random.Random, level: int) -> dict[str, Any]:
    """A draft question table with its answer-file `kind` (no id, points or answer)."""
    if topic == "rnn_total":
        vocab, dim = rng.choice((100, 1000, 5000)), rng.choice((8, 16, 32, 50))
        spec = (
            f"{rng.choice((10, 20, 50))} | embedding {vocab} {dim} | "
            f"{_layer(rng, level)} return_sequences=false | dense {rng.choice((2, 5, 10))}"
        )
        prompt = "Total parameters of the network (PyTorch's count: two bias vectors per gate)"
        return {"kind": "total_params", "prompt": f"{prompt}: {spec}", "spec": spec}
    keras = topic == "rnn_keras"
    layer = _layer(rng, level, keras)
    spec = f"{_sequence(rng, level)} | {layer}"
    table: dict[str, Any] = {"kind": "params_unshared" if topic == "rnn_unshared" else "params"}
    if keras:
        table["convention"] = "keras"
        what = "as Keras counts them (one bias vector per gate set; GRU's reset_after=true keeps two)"
    elif topic == "rnn_unshared":
        what = "if every time step had its own weights (unrolled in time, no sharing), biases included"
    else:
        what = "biases included (PyTorch's count: b_ih and b_hh)"
    every = ", every stacked layer and direction" if "layers=" in layer or "bidirectional" in layer else ""
    table.update(prompt=f"Parameters of layer 1 ({layer}{every}), {what}: {spec}", spec=spec, layer=1)
    return table
