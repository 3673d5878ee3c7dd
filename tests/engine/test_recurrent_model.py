"""The recurrent API of a Model: the issue's examples, state in and out, lengths, several recurrent
layers, the gradient norm at every step (checked by hand), optimizer clipping, embeddings' input
checks, saving, and the clear refusals (peephole export, GRU reset_after=false)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cnntool.engine import build, hidden_grad_norms, load, losses, optim
from cnntool.errors import CnnToolError, InputError, ShapeError


def test_the_issue_examples(rng):
    m = build("50x32 | lstm 128 return_sequences=false | dense 10", seed=0)
    x = rng.standard_normal((4, 50, 32)).astype(np.float32)
    h0, c0 = np.zeros((1, 4, 128), np.float32), np.ones((1, 4, 128), np.float32)
    y, (h, c) = m.forward(x, state=(h0, c0), return_state=True)
    assert y.shape == (4, 10) and h.shape == c.shape == (1, 4, 128)
    chars = build("40 | embedding 65 32 | gru 128 layers=2 | dense 65", seed=0)
    assert chars.forward(rng.integers(0, 65, (2, 40))).shape == (2, 40, 65)
    bi = build("50x8 | lstm 64 bidirectional=true return_sequences=false | dense 1")
    out, (h, c) = bi.forward(rng.standard_normal((3, 50, 8)), return_state=True)
    assert out.shape == (3, 1) and h.shape == (2, 3, 64)


def test_the_parameters_are_named_and_initialised_as_pytorch():
    m = build("5x3 | lstm 4 layers=2 bidirectional proj_size=2", seed=1, dtype="float64")
    names = list(m.state_dict())
    assert names[:5] == ["0.weight_ih_l0", "0.weight_hh_l0", "0.bias_ih_l0", "0.bias_hh_l0", "0.weight_hr_l0"]
    assert "0.weight_hh_l1_reverse" in names and len(names) == 20
    assert m.state_dict()["0.weight_ih_l1"].shape == (16, 4)  # (4H, D·P)
    values = np.concatenate([v.ravel() for v in m.state_dict().values()])
    assert np.abs(values).max() <= 1 / math.sqrt(4) and np.abs(values).max() > 0.4  # U(−1/√H, 1/√H)
    peep = build("5x3 | lstm 4 peephole=true", seed=1)
    assert [n for n in peep.state_dict() if "_c" in n] == [
        "0.weight_ci_l0",
        "0.weight_cf_l0",
        "0.weight_co_l0",
    ]


def test_state_and_lengths_are_checked(rng):
    m = build("6x3 | gru 4 layers=2", dtype="float64")
    x = rng.standard_normal((2, 6, 3))
    with pytest.raises(ShapeError, match=r"h0 must have shape \(layers·directions, N, 4\) = \(2, 2, 4\)"):
        m.forward(x, state=np.zeros((1, 2, 4)))
    with pytest.raises(InputError, match="lengths must be between 1 and T = 6"):
        m.forward(x, lengths=np.array([7, 2]))
    with pytest.raises(InputError, match="lengths must be 2 whole numbers"):
        m.forward(x, lengths=np.array([2.0, 3.0]))
    lstm = build("6x3 | lstm 4", dtype="float64")
    with pytest.raises(InputError, match=r"an LSTM state is a pair \(h0, c0\)"):
        lstm.forward(x, state=np.zeros((1, 2, 4)))
    with pytest.raises(InputError, match="need a recurrent layer"):
        build("3 | dense 2").forward(np.zeros((1, 3)), lengths=np.array([1]))


def test_several_recurrent_layers_take_a_list_of_states(rng):
    m = build("6x3 | lstm 4 | gru 5", dtype="float64", seed=2)
    x = rng.standard_normal((2, 6, 3))
    out, (s_lstm, s_gru) = m.forward(x, return_state=True)
    assert s_lstm[0].shape == (1, 2, 4) and s_gru.shape == (1, 2, 5)
    again = m.forward(x, state=[None, s_gru])
    assert not np.allclose(again, out)
    np.testing.assert_allclose(m.forward(x, state=[None, np.zeros((1, 2, 5))]), out)
    with pytest.raises(InputError, match="the model has 2 recurrent layers, so give a list of 2 states"):
        m.forward(x, state=(np.zeros((1, 2, 4)), np.zeros((1, 2, 4))))
    m.forward(x)
    m.backward(np.ones_like(out))
    assert isinstance(m.state_grad, list) and m.state_grad[1].shape == (1, 2, 5)


def test_hidden_grad_norms_by_hand():
    """h_t = tanh(x_t + w·h_{t−1}) (1 unit, no bias), L = ½(h_T − 0)²·… with MSE on the last step:
    dL/dh_T = 2(h_T − y)/1, and dL/dh_t = dL/dh_{t+1} · w · (1 − h_{t+1}²)."""
    for w in (0.5, 1.5):
        m = build("8x1 | rnn 1 bias=false return_sequences=false", dtype="float64")
        state = m.state_dict()
        state["0.weight_ih_l0"][...], state["0.weight_hh_l0"][...] = 1.0, w
        xs = [0.01, 0, 0, 0, 0, 0, 0, 0]
        hs, h = [], 0.0
        for x in xs:
            h = math.tanh(x + w * h)
            hs.append(h)
        expected = [0.0] * 8
        expected[7] = 2 * (hs[7] - 0.0)
        for t in range(6, -1, -1):
            expected[t] = expected[t + 1] * w * (1 - hs[t + 1] ** 2)
        grads_before = [p.grad.copy() for p in m.parameters()]
        norms = hidden_grad_norms(m, np.array(xs).reshape(1, 8, 1), np.zeros((1, 1)), losses.mse)
        np.testing.assert_allclose(norms, np.abs(expected), rtol=1e-12)
        assert (norms[0] < norms[-1]) == (w < 1)  # vanishing for 0.5, exploding for 1.5
        for before, p in zip(grads_before, m.parameters()):
            np.testing.assert_array_equal(p.grad, before)  # parameter gradients untouched


def test_hidden_grad_norms_options_are_checked(rng):
    m = build("4x2 | lstm 3 layers=2 | dense 2", dtype="float64")
    x, y = rng.standard_normal((2, 4, 2)), rng.standard_normal((2, 4, 2))
    assert hidden_grad_norms(m, x, y, losses.mse, layer=0).shape == (4,)
    with pytest.raises(InputError, match="2 stacked layer"):
        hidden_grad_norms(m, x, y, losses.mse, layer=2)
    with pytest.raises(InputError, match="no recurrent layer"):
        hidden_grad_norms(build("3 | dense 1"), np.zeros((1, 3)), np.zeros((1, 1)), losses.mse)


def test_optimizer_clipping_scales_to_the_max_norm():
    m = build("3x2 | rnn 2 | dense 1", dtype="float64", seed=0)
    for p in m.parameters():
        p.grad[...] = 3.0
    total = math.sqrt(9 * sum(p.grad.size for p in m.parameters()))
    opt = optim.SGD(m.parameters(), lr=0.0, clip_norm=1.0)
    opt.step()
    assert opt.grad_norm == pytest.approx(total)
    assert math.sqrt(sum(float((p.grad**2).sum()) for p in m.parameters())) == pytest.approx(1.0, rel=1e-5)
    with pytest.raises(ValueError, match="clip_norm must be > 0"):
        optim.Adam(m.parameters(), clip_norm=0)


def test_embeddings_check_their_ids():
    m = build("4 | embedding 10 3", dtype="float64")
    with pytest.raises(InputError, match=r"token ids must be in \[0, 10\), got 0…10"):
        m.forward(np.array([[0, 1, 2, 10]]))
    with pytest.raises(InputError, match="token ids must be integers, got float64"):
        m.forward(np.zeros((1, 4)))


def test_a_recurrent_model_saves_and_loads(tmp_path, rng):
    m = build("5x3 | lstm 4 peephole=true bidirectional | dense 2", dtype="float64", seed=8)
    path = tmp_path / "m.npz"
    m.save(path)
    again = load(path)
    x = rng.standard_normal((2, 5, 3))
    np.testing.assert_array_equal(again.forward(x), m.forward(x))


def test_what_pytorch_cannot_do_is_refused_clearly():
    from cnntool.engine.export import torch_source

    with pytest.raises(CnnToolError, match="PyTorch has no peephole LSTM"):
        torch_source(build("5x3 | lstm 4 peephole=true"))
    with pytest.raises(CnnToolError, match=r"the engine trains PyTorch's GRU .*reset_after=false is counted"):
        build("5x3 | gru 4 reset_after=false")


def test_a_recorded_trace_is_a_copy(rng):
    layer = build("3x2 | gru 2", dtype="float64").layers[0]
    layer.record = True
    layer.forward(rng.standard_normal((1, 3, 2)))
    first = layer.trace[(0, 0)]["h"].copy()
    kept = layer.trace[(0, 0)]["h"]
    layer.forward(rng.standard_normal((1, 3, 2)))
    np.testing.assert_array_equal(kept, first)
