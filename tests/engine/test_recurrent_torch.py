"""Recurrent layers and embeddings against PyTorch, with copied weights. The PyTorch modules are built
here from the spec's numbers (nn.RNN / nn.GRU / nn.LSTM with batch_first=True, nn.Embedding), not by
the engine's exporter: outputs, final states, the input gradient, every parameter gradient and the
initial-state gradients; packed variable-length batches; truncated BPTT against detaching the state
every k steps; and 20 Adam steps of a small LSTM classifier (losses equal to float32 tolerance)."""

from __future__ import annotations

import numpy as np
import pytest

from cnntool.engine import build, losses, optim

pytestmark = pytest.mark.torch

TOL = {"float64": 1e-10, "float32": 2e-5}

CASES = {
    "rnn_tanh": ("rnn", {}),
    "rnn_relu_2layers": ("rnn", {"nonlinearity": "relu", "num_layers": 2}),
    "rnn_bidirectional_nobias": ("rnn", {"bidirectional": True, "bias": False}),
    "gru": ("gru", {}),
    "gru_bidirectional_2layers": ("gru", {"bidirectional": True, "num_layers": 2}),
    "lstm": ("lstm", {}),
    "lstm_bidirectional_2layers": ("lstm", {"bidirectional": True, "num_layers": 2}),
    "lstm_proj": ("lstm", {"proj_size": 3}),
    "lstm_proj_bidirectional_2layers": ("lstm", {"proj_size": 2, "num_layers": 2, "bidirectional": True}),
}
STEPS, FEATURES, HIDDEN = 6, 4, 5


def _spec(cell: str, kw: dict, last: bool = False) -> str:
    opts = {"layers": kw.get("num_layers", 1), "bidirectional": kw.get("bidirectional", False),
            "bias": kw.get("bias", True), "return_sequences": not last}  # fmt: skip
    if "nonlinearity" in kw:
        opts["nonlinearity"] = kw["nonlinearity"]
    if "proj_size" in kw:
        opts["proj_size"] = kw["proj_size"]
    text = " ".join(f"{k}={str(v).lower()}" for k, v in opts.items())
    return f"{STEPS}x{FEATURES} | {cell} {HIDDEN} {text}"


def _twin(torch, cell: str, kw: dict, model, dtype: str):
    cls = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
    module = cls(FEATURES, HIDDEN, batch_first=True, **kw).to(getattr(torch, dtype))
    module.load_state_dict(
        {k.removeprefix("0."): torch.tensor(np.array(v)) for k, v in model.state_dict().items()}, strict=True
    )
    return module


def _close(ours, theirs, tol, what):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{what}: {ours.shape} vs torch {theirs.shape}"
    scale = max(1.0, float(np.abs(theirs).max(initial=0)))
    err = float(np.abs(ours.astype(np.float64) - theirs.astype(np.float64)).max(initial=0)) / scale
    assert err <= tol, f"{what}: relative difference {err:.2e} > {tol:.0e}"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_sequence_state_and_gradients_match_torch(name, dtype, torch, rng):
    cell, kw = CASES[name]
    model = build(_spec(cell, kw), dtype=dtype, seed=4)
    tmod = _twin(torch, cell, kw, model, dtype)
    layer = model.layers[0]
    n, ld = 3, layer.num_layers * layer.directions
    x = rng.standard_normal((n, STEPS, FEATURES)).astype(dtype)
    h0 = rng.standard_normal((ld, n, layer.hidden_out)).astype(dtype)
    c0 = rng.standard_normal((ld, n, HIDDEN)).astype(dtype)
    state = (h0, c0) if cell == "lstm" else h0
    model.input_grad = True
    out, final = model.forward(x, state=state, return_state=True)
    xt = torch.tensor(x, requires_grad=True)
    h0t, c0t = torch.tensor(h0, requires_grad=True), torch.tensor(c0, requires_grad=True)
    tout, tfinal = tmod(xt, (h0t, c0t) if cell == "lstm" else h0t)
    tol = TOL[dtype]
    _close(out, tout, tol, "output")
    finals = zip(final, tfinal) if cell == "lstm" else [(final, tfinal)]
    for ours, theirs in finals:
        _close(ours, theirs, tol, "final state")
    g_out = rng.standard_normal(out.shape).astype(dtype)
    g_h = rng.standard_normal(h0.shape).astype(dtype)
    g_c = rng.standard_normal(c0.shape).astype(dtype)
    model.zero_grad()
    dx = model.backward(g_out, dstate=(g_h, g_c) if cell == "lstm" else g_h)
    t_loss = (tout * torch.tensor(g_out)).sum()
    if cell == "lstm":
        t_loss = t_loss + (tfinal[0] * torch.tensor(g_h)).sum() + (tfinal[1] * torch.tensor(g_c)).sum()
    else:
        t_loss = t_loss + (tfinal * torch.tensor(g_h)).sum()
    t_loss.backward()
    _close(dx, xt.grad, tol, "input gradient")
    tparams = dict(tmod.named_parameters())
    for p in model.parameters():
        _close(p.grad, tparams[p.name.removeprefix("0.")].grad, tol, f"gradient of {p.name}")
    if cell == "lstm":
        _close(model.state_grad[0], h0t.grad, tol, "d h0")
        _close(model.state_grad[1], c0t.grad, tol, "d c0")
    else:
        _close(model.state_grad, h0t.grad, tol, "d h0")


@pytest.mark.parametrize("name", ["gru_bidirectional_2layers", "lstm_proj_bidirectional_2layers", "rnn_tanh"])
def test_last_step_is_the_top_layers_final_state(name, torch, rng):
    cell, kw = CASES[name]
    model = build(_spec(cell, kw, last=True), dtype="float64", seed=2)
    tmod = _twin(torch, cell, kw, model, "float64")
    x = rng.standard_normal((2, STEPS, FEATURES))
    out = model.forward(x)
    tout, tfinal = tmod(torch.tensor(x))
    h_n = tfinal[0] if cell == "lstm" else tfinal
    d = 2 if kw.get("bidirectional") else 1
    expected = h_n[-d:].transpose(0, 1).reshape(2, -1)
    _close(out, expected, 1e-12, "last step")
    if d == 1:
        _close(out, tout[:, -1], 1e-12, "the output at the last step")


@pytest.mark.parametrize("name", ["lstm_bidirectional_2layers", "gru_bidirectional_2layers", "rnn_relu_2layers",
                                  "lstm_proj_bidirectional_2layers"])  # fmt: skip
def test_packed_variable_length_batches_match_torch(name, torch, rng):
    cell, kw = CASES[name]
    model = build(_spec(cell, kw), dtype="float64", seed=6)
    tmod = _twin(torch, cell, kw, model, "float64")
    lengths = np.array([4, 6, 1, 3])
    x = rng.standard_normal((4, STEPS, FEATURES))
    model.input_grad = True
    out, final = model.forward(x, lengths=lengths, return_state=True)
    xt = torch.tensor(x, requires_grad=True)
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        xt, torch.tensor(lengths), batch_first=True, enforce_sorted=False
    )
    tpacked, tfinal = tmod(packed)
    tout, _ = torch.nn.utils.rnn.pad_packed_sequence(tpacked, batch_first=True, total_length=STEPS)
    _close(out, tout, 1e-12, "padded output")
    for ours, theirs in zip(final, tfinal) if cell == "lstm" else [(final, tfinal)]:
        _close(ours, theirs, 1e-12, "final state")
    g = rng.standard_normal(out.shape)
    model.zero_grad()
    dx = model.backward(g)
    (tout * torch.tensor(g)).sum().backward()
    _close(dx, xt.grad, 1e-12, "input gradient")
    tparams = dict(tmod.named_parameters())
    for p in model.parameters():
        _close(p.grad, tparams[p.name.removeprefix("0.")].grad, 1e-12, f"gradient of {p.name}")


def test_truncated_bptt_equals_detaching_the_state_every_k_steps(torch, rng):
    """bptt=k gives PyTorch's usual truncated BPTT: run k steps, detach (h, c), run the next k."""
    k, steps = 3, 8
    model = build(f"{steps}x{FEATURES} | lstm {HIDDEN} layers=2 bptt={k} | dense 2", dtype="float64", seed=1)
    lstm = torch.nn.LSTM(FEATURES, HIDDEN, num_layers=2, batch_first=True).double()
    dense = torch.nn.Linear(HIDDEN, 2).double()
    state = model.state_dict()
    lstm.load_state_dict({k_[2:]: torch.tensor(v) for k_, v in state.items() if k_.startswith("0.")})
    dense.load_state_dict({k_[2:]: torch.tensor(v) for k_, v in state.items() if k_.startswith("1.")})
    x = rng.standard_normal((3, steps, FEATURES))
    y = rng.standard_normal((3, steps, 2))
    out = model.forward(x)
    _, dout = losses.mse(out, y)
    model.zero_grad()
    model.backward(dout)
    hc, outs = None, []
    for start in range(0, steps, k):
        chunk, hc = lstm(torch.tensor(x[:, start : start + k]), hc)
        hc = tuple(s.detach() for s in hc)
        outs.append(chunk)
    tout = dense(torch.cat(outs, dim=1))
    torch.nn.functional.mse_loss(tout, torch.tensor(y)).backward()
    _close(out, tout, 1e-12, "output")
    named = {f"0.{n}": p for n, p in lstm.named_parameters()} | {
        f"1.{n}": p for n, p in dense.named_parameters()
    }
    for p in model.parameters():
        _close(p.grad, named[p.name].grad, 1e-12, f"truncated gradient of {p.name}")


def test_embedding_with_padding_idx_matches_torch(torch, rng):
    model = build("7 | embedding 11 4 padding_idx=3", dtype="float64", seed=0)
    emb = torch.nn.Embedding(11, 4, padding_idx=3).double()
    assert np.all(model.layers[0].weight.value[3] == 0)  # as PyTorch initialises it
    emb.load_state_dict({"weight": torch.tensor(model.state_dict()["0.weight"])})
    ids = rng.integers(0, 11, (5, 7))
    ids[0, :3] = 3
    out = model.forward(ids)
    tout = emb(torch.tensor(ids))
    _close(out, tout, 0, "lookup")
    g = rng.standard_normal(out.shape)
    model.zero_grad()
    assert model.backward(g) is None  # token ids have no gradient
    (tout * torch.tensor(g)).sum().backward()
    _close(model.layers[0].weight.grad, emb.weight.grad, 1e-12, "table gradient")
    assert np.all(model.layers[0].weight.grad[3] == 0)


def _pair(torch, clip: float | None):
    model = build("10x4 | lstm 8 return_sequences=false | dense 3", dtype="float32", seed=5)
    lstm, dense = torch.nn.LSTM(4, 8, batch_first=True), torch.nn.Linear(8, 3)
    state = model.state_dict()
    lstm.load_state_dict({k[2:]: torch.tensor(v) for k, v in state.items() if k.startswith("0.")})
    dense.load_state_dict({k[2:]: torch.tensor(v) for k, v in state.items() if k.startswith("1.")})
    return model, lstm, dense


@pytest.mark.parametrize("clip", [None, 0.1])
def test_twenty_training_steps_match_torch(torch, clip):
    """20 Adam steps (with and without clip_norm) on random batches: the same losses as PyTorch."""
    model, lstm, dense = _pair(torch, clip)
    opt = optim.Adam(model.parameters(), lr=0.01, clip_norm=clip)
    params = [*lstm.parameters(), *dense.parameters()]
    topt = torch.optim.Adam(params, lr=0.01)
    data = np.random.default_rng(0)
    xs = data.standard_normal((64, 10, 4)).astype(np.float32)
    ys = xs[:, :, :3].mean(axis=1).argmax(axis=1)  # a learnable rule: which feature was largest on average
    ours, theirs, norms = [], [], []
    for step in range(20):
        x, y = xs[step % 4 * 16 : step % 4 * 16 + 16], ys[step % 4 * 16 : step % 4 * 16 + 16]
        loss, d = losses.cross_entropy(model.forward(x, train=True), y)
        model.backward(d)
        opt.step()
        opt.zero_grad()
        ours.append(loss)
        topt.zero_grad()
        out, (h_n, _) = lstm(torch.tensor(x))
        tloss = torch.nn.functional.cross_entropy(dense(out[:, -1]), torch.tensor(y))
        tloss.backward()
        if clip is not None:
            norms.append((opt.grad_norm, float(torch.nn.utils.clip_grad_norm_(params, clip))))
        topt.step()
        theirs.append(float(tloss.detach()))
    np.testing.assert_allclose(ours, theirs, rtol=2e-5, atol=2e-6)
    assert np.mean(ours[-4:]) < np.mean(ours[:4])  # it learns
    if clip is not None:
        ours_n, theirs_n = zip(*norms)
        np.testing.assert_allclose(ours_n, theirs_n, rtol=1e-4)
        assert max(theirs_n) > clip  # the clipping really acted


def test_the_exported_module_loads_the_state_dict_strictly(torch, rng):
    from cnntool.engine.export import to_torch

    for spec in ("6x4 | lstm 5 layers=2 bidirectional proj_size=2 return_sequences=false | dense 3",
                 "9 | embedding 12 4 padding_idx=0 | gru 5 dropout=0.2 layers=2 | dense 2",
                 "6x4 | rnn 3 nonlinearity=relu bidirectional"):  # fmt: skip
        model = build(spec, dtype="float64", seed=3)
        module = to_torch(model)  # load_state_dict(strict=True) inside
        x = (
            rng.integers(0, 12, (2, 9))
            if "embedding" in spec
            else rng.standard_normal((2, *model.input_shape))
        )
        _close(model.forward(x), module(torch.tensor(x)), 1e-12, spec)
