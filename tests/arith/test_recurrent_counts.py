"""arith's recurrent and embedding counts agree with the engine's parameters (200 random
configurations), and the conventions: PyTorch's two bias vectors, Keras's one (GRU reset_after keeps
two), peephole V's (3·H per layer and direction), params_unshared = T · params."""

from __future__ import annotations

import math
import random

import pytest

from cnntool.arith import summarize
from cnntool.engine import build
from cnntool.errors import ShapeError


def _random_spec(rng: random.Random) -> str:
    cell = rng.choice(["rnn", "gru", "lstm"])
    steps, features, hidden = rng.randint(1, 4), rng.randint(1, 9), rng.randint(2, 9)
    opts = [
        f"layers={rng.randint(1, 3)}",
        f"bidirectional={str(rng.random() < 0.5).lower()}",
        f"bias={str(rng.random() < 0.7).lower()}",
        f"return_sequences={str(rng.random() < 0.5).lower()}",
    ]
    if cell == "lstm" and rng.random() < 0.35:
        opts.append(f"proj_size={rng.randint(1, hidden - 1)}")
    if cell == "lstm" and rng.random() < 0.35:
        opts.append("peephole=true")
    if cell == "rnn" and rng.random() < 0.3:
        opts.append("nonlinearity=relu")
    return f"{steps}x{features} | {cell} {hidden} {' '.join(opts)}"


def test_arith_counts_equal_the_engines_parameters_on_200_random_configurations():
    rng = random.Random(2024)
    for _ in range(200):
        spec = _random_spec(rng)
        summary = summarize(spec)
        model = build(spec, dtype="float64", seed=0)
        engine = sum(math.prod(p.value.shape) for p in model.parameters())
        assert summary.total_params == engine, spec
        layer = summary.layers[0]
        assert layer.params_unshared == summary.input_shape[0] * layer.params, spec  # T · params
        assert (
            layer.output_shape
            == model.forward(__import__("numpy").zeros((1, *summary.input_shape))).shape[1:]
        )


@pytest.mark.parametrize(
    ("spec", "pytorch", "keras"),
    [
        ("7x10 | lstm 20", 2_560, 2_480),  # REFERENCE.md: Keras has one bias vector
        ("7x10 | gru 20", 1_920, 1_920),  # Keras's GRU default reset_after=True keeps two
        ("7x10 | gru 20 reset_after=false", 1_920, 1_860),
        ("7x10 | rnn 20", 640, 620),
        ("7x10 | lstm 20 peephole=true", 2_560 + 60, 2_480 + 60),
        (
            "7x10 | lstm 20 layers=2 bidirectional peephole=true",
            2 * (2_560 + 60) + 2 * (4 * 20 * (40 + 20) + 160 + 60),
            2 * (2_480 + 60) + 2 * (4 * 20 * (40 + 20) + 80 + 60),
        ),
    ],
)
def test_pytorch_and_keras_conventions(spec, pytorch, keras):
    assert summarize(spec).total_params == pytorch
    assert summarize(spec, convention="keras").total_params == keras


def test_the_peephole_formula_is_in_the_summary():
    layer = summarize("50x32 | lstm 128 peephole=true").layers[0]
    per = next(f for f in layer.formulas if f.quantity == "params")
    assert "3·H" in per.symbolic and "3·128" in per.substituted
    assert layer.params == 4 * 128 * (32 + 128) + 3 * 128 + 8 * 128 == 83_328


def test_embedding_padding_idx_and_the_new_options_parse():
    s = summarize("40 | embedding 65 32 padding_idx=0 | gru 128 layers=2 dropout=0.25 bptt=10 | dense 65")
    emb, gru = s.layers[0], s.layers[1]
    assert emb.hyper.padding_idx == 0 and emb.params == 65 * 32
    assert gru.hyper.dropout == 0.25 and gru.hyper.bptt == 10 and gru.hyper.num_layers == 2
    assert not gru.warnings
    with pytest.raises(ShapeError, match=r"padding_idx=65 is not a token id of a 65-word vocabulary"):
        summarize("40 | embedding 65 32 padding_idx=65")


def test_dropout_on_a_single_layer_warns_as_pytorch_does():
    (warning,) = summarize("50x32 | lstm 64 dropout=0.3").layers[0].warnings
    assert "between stacked layers only" in warning and "layers=1" in warning
