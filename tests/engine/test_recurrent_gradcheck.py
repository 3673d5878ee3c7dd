"""Float64 gradient checks of every recurrent layer (engine/gradcheck.py): the input, every parameter,
the initial state, with gradients flowing in from the outputs and from the final state; masks
(lengths), stacked and bidirectional layers, projections and peepholes. Truncated BPTT is not the true
gradient, so it is checked against a case worked by hand instead."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cnntool.engine import build
from cnntool.engine.gradcheck import check_layer, numeric_gradient, rel_error
from cnntool.engine.layers.recurrent import Recurrent

CONFIGS = {
    "rnn_tanh": ("rnn", {}),
    "rnn_relu": ("rnn", {"nonlinearity": "relu"}),
    "rnn_nobias_2layers": ("rnn", {"bias": False, "num_layers": 2}),
    "gru": ("gru", {}),
    "gru_bidirectional_2layers_last": (
        "gru",
        {"bidirectional": True, "num_layers": 2, "return_sequences": False},
    ),
    "lstm": ("lstm", {}),
    "lstm_bidirectional_2layers": ("lstm", {"bidirectional": True, "num_layers": 2}),
    "lstm_proj_bidirectional_2layers": ("lstm", {"proj_size": 2, "num_layers": 2, "bidirectional": True}),
    "lstm_peephole_bidirectional": ("lstm", {"peephole": True, "bidirectional": True}),
    "lstm_peephole_proj_last": ("lstm", {"peephole": True, "proj_size": 2, "return_sequences": False}),
    "lstm_peephole_2layers": ("lstm", {"peephole": True, "num_layers": 2}),
}
TOL = 1e-6


def _layer(name: str, rng) -> Recurrent:
    cell, kwargs = CONFIGS[name]
    return Recurrent(cell, 3, 4, rng=rng, dtype="float64", **kwargs)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_layer_gradients(name, rng):
    layer = _layer(name, rng)
    results = check_layer(layer, rng.standard_normal((2, 5, 3)), rng)
    assert len(results) == 1 + len(layer.parameters())
    assert max(r.rel_error for r in results) < TOL, results


def _check_with_options(layer: Recurrent, x, rng, lengths=None, with_state=True) -> dict[str, float]:
    """Like check_layer, plus an initial state, lengths and an upstream gradient on the final state."""
    ld, n = layer.num_layers * layer.directions, x.shape[0]
    h0 = rng.standard_normal((ld, n, layer.hidden_out))
    c0 = rng.standard_normal((ld, n, layer.hidden_size)) if layer.cell == "lstm" else None
    state = ((h0, c0) if c0 is not None else h0) if with_state else None
    out = layer.forward(x, state=state, lengths=lengths)
    g_out = rng.standard_normal(out.shape)
    g_h = rng.standard_normal(h0.shape)
    g_c = rng.standard_normal(c0.shape) if c0 is not None else None

    def loss() -> float:
        y = layer.forward(x, state=state, lengths=lengths)
        final = layer.final_state
        value = float((y * g_out).sum())
        if layer.cell == "lstm":
            value += float((final[0] * g_h).sum() + (final[1] * g_c).sum())
        else:
            value += float((final * g_h).sum())
        layer.clear_cache()
        return value

    for p in layer.parameters():
        p.grad[...] = 0
    layer.clear_cache()
    layer.forward(x, state=state, lengths=lengths)
    dx = layer.backward(g_out, dstate=(g_h, g_c) if layer.cell == "lstm" else g_h)
    errors = {"x": rel_error(dx, numeric_gradient(loss, x))}
    analytic = {p.name: p.grad.copy() for p in layer.parameters()}
    for p in layer.parameters():
        errors[p.name] = rel_error(analytic[p.name], numeric_gradient(loss, p.value))
    if with_state:
        grads = layer.state_grad if layer.cell == "lstm" else (layer.state_grad,)
        for name, analytic_s, value in zip(("h0", "c0"), grads, (h0, c0)):
            errors[name] = rel_error(analytic_s, numeric_gradient(loss, value))
    return errors


@pytest.mark.parametrize("name", ["rnn_tanh", "gru", "lstm_bidirectional_2layers", "lstm_proj_bidirectional_2layers",
                                  "lstm_peephole_bidirectional", "gru_bidirectional_2layers_last"])  # fmt: skip
def test_state_in_and_out_and_lengths(name, rng):
    layer = _layer(name, rng)
    x = rng.standard_normal((3, 5, 3))
    errors = _check_with_options(layer, x, rng, lengths=np.array([5, 2, 4]))
    assert max(errors.values()) < TOL, errors
    assert {"h0", "x"} <= set(errors)


def test_padded_steps_have_no_effect(rng):
    """Outputs at padded steps are 0; changing padded inputs changes no output, state or gradient."""
    layer = _layer("lstm_bidirectional_2layers", rng)
    x = rng.standard_normal((2, 6, 3))
    lengths = np.array([6, 3])
    out = layer.forward(x, lengths=lengths)
    h_n = layer.final_state[0].copy()
    assert np.all(out[1, 3:] == 0)
    g = rng.standard_normal(out.shape)
    dx = layer.backward(g)
    grads = [p.grad.copy() for p in layer.parameters()]
    noisy = x.copy()
    noisy[1, 3:] = 100 * rng.standard_normal((3, 3))
    for p in layer.parameters():
        p.grad[...] = 0
    out2 = layer.forward(noisy, lengths=lengths)
    np.testing.assert_array_equal(out2, out)
    np.testing.assert_array_equal(layer.final_state[0], h_n)
    dx2 = layer.backward(g)
    np.testing.assert_array_equal(dx2, dx)
    assert np.all(dx2[1, 3:] == 0)
    for a, p in zip(grads, layer.parameters()):
        np.testing.assert_array_equal(p.grad, a)
    # a sequence of length 3 in the batch gives what the same 3 steps give alone
    alone = layer.forward(x[1:2, :3])
    np.testing.assert_allclose(out[1:2, :3], alone, rtol=1e-13, atol=1e-15)


def test_a_model_with_an_embedding_and_a_recurrent_layer(rng):
    model = build("6 | embedding 7 3 padding_idx=0 | gru 4 | dense 2", dtype="float64", seed=3)
    ids = rng.integers(0, 7, (3, 6))
    out = model.forward(ids)
    g = rng.standard_normal(out.shape)
    model.zero_grad()
    model.backward(g)
    table = model.layers[0].weight

    def loss():
        return float((model.forward(ids) * g).sum())

    numeric = numeric_gradient(loss, table.value)
    assert rel_error(table.grad[1:], numeric[1:]) < TOL
    # the padding row is used like any other (its zeros reach the GRU), but by PyTorch's rule it never
    # trains: its gradient is 0 although the loss does depend on it
    assert np.all(table.grad[0] == 0) and np.abs(numeric[0]).max() > 1e-3


def test_truncated_bptt_matches_a_hand_computed_case():
    """1-unit tanh RNN, no bias, h0 = 0, T = 3, L = h_3. With bptt=2 the blocks are steps (1, 2) and (3):
    dL/du = (1 − h3²)·h2 and dL/dw = (1 − h3²)·x3 (h2 is a constant of the last block). Full BPTT adds
    the paths through h2 and h1: dL/du = (1 − h3²)(h2 + u(1 − h2²)h1)."""
    w, u = 0.7, 1.3
    xs = [0.5, -1.0, 2.0]
    h1 = math.tanh(w * xs[0])
    h2 = math.tanh(w * xs[1] + u * h1)
    h3 = math.tanh(w * xs[2] + u * h2)
    d3 = 1 - h3**2
    truncated = {"weight_hh_l0": d3 * h2, "weight_ih_l0": d3 * xs[2]}
    full = {
        "weight_hh_l0": d3 * (h2 + u * (1 - h2**2) * h1),
        "weight_ih_l0": d3 * (xs[2] + u * (1 - h2**2) * (xs[1] + u * (1 - h1**2) * xs[0])),
    }
    for bptt, expected in ((2, truncated), (0, full), (3, full), (1, truncated)):
        model = build(f"3x1 | rnn 1 bias=false return_sequences=false bptt={bptt}", dtype="float64")
        state = model.state_dict()
        state["0.weight_ih_l0"][...], state["0.weight_hh_l0"][...] = w, u
        out = model.forward(np.array(xs).reshape(1, 3, 1))
        assert out[0, 0] == pytest.approx(h3, rel=1e-14)
        model.zero_grad()
        model.backward(np.ones((1, 1)))
        grads = {p.name.removeprefix("0."): float(p.grad.ravel()[0]) for p in model.parameters()}
        assert grads == pytest.approx(expected, rel=1e-12), bptt


def test_dropout_acts_between_layers_only_and_only_in_training(rng):
    layer = Recurrent("gru", 3, 4, num_layers=2, dropout=0.5, rng=np.random.default_rng(7), dtype="float64")
    x = rng.standard_normal((2, 5, 3))
    bottom = Recurrent("gru", 3, 4, rng=rng, dtype="float64")
    top = Recurrent("gru", 4, 4, rng=rng, dtype="float64")
    for name, p in layer._params.items():
        target, local = (bottom, name) if name.endswith("_l0") else (top, name.replace("_l1", "_l0"))
        target._params[local].value[...] = p.value
    eval_out = layer.forward(x, train=False)
    np.testing.assert_allclose(eval_out, top.forward(bottom.forward(x)), rtol=1e-14)
    layer.rng = np.random.default_rng(11)
    train_out = layer.forward(x, train=True)
    keep = np.random.default_rng(11).random((5, 2, 4)) >= 0.5  # drawn time-major, as the layer does
    mask = keep.transpose(1, 0, 2) / 0.5
    np.testing.assert_allclose(train_out, top.forward(bottom.forward(x) * mask), rtol=1e-14)
    assert not np.allclose(train_out, eval_out)
