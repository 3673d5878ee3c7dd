"""`unroll` (engine/unroll.py): the numbers of a 1-unit LSTM worked by hand, two steps forward and back
through time; weights from a saved model; peepholes; the vanishing/exploding RNN; bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cnntool.engine import build
from cnntool.engine.unroll import parse_sequence, parse_setting, parse_vector, unroll
from cnntool.errors import CnnToolError

# one input, one unit: weight_ih_l0 = (a_i, a_f, a_g, a_o), weight_hh_l0 = (u_i, u_f, u_g, u_o)
A = [0.5, -0.4, 0.9, 0.3]
U = [0.2, 0.6, -0.7, 0.1]
B_IH = [0.1, 0.2, -0.1, 0.0]
B_HH = [0.05, 0.3, 0.0, -0.2]
X = [1.0, -2.0]
H0, C0 = 0.2, -0.3


def sig(v: float) -> float:
    return 1 / (1 + math.exp(-v))


def _by_hand() -> list[dict[str, float]]:
    steps, h, c = [], H0, C0
    for x in X:
        pre = [A[k] * x + B_IH[k] + U[k] * h + B_HH[k] for k in range(4)]
        i, f, g, o = sig(pre[0]), sig(pre[1]), math.tanh(pre[2]), sig(pre[3])
        c_new = f * c + i * g
        h_new = o * math.tanh(c_new)
        steps.append(
            {"pre": pre, "i": i, "f": f, "g": g, "o": o, "c_prev": c, "h_prev": h, "c": c_new, "h": h_new}
        )
        h, c = h_new, c_new
    return steps


def _settings() -> dict[str, list[float]]:
    return {"weight_ih_l0": A, "weight_hh_l0": U, "bias_ih_l0": B_IH, "bias_hh_l0": B_HH}


def test_a_one_unit_lstm_step_by_step_equals_the_hand_computation():
    report = unroll("1 | lstm 1", [[x] for x in X], settings=_settings(), h0=[H0], c0=[C0], grad=True)
    (run,) = report.runs
    assert report.steps == 2 and run.direction == "forward"
    for step, hand in zip(run.steps, _by_hand()):
        assert step.x[0] == X[step.t - 1]
        assert step.h_prev[0] == pytest.approx(hand["h_prev"], abs=1e-15)
        assert step.c_prev[0] == pytest.approx(hand["c_prev"], abs=1e-15)
        assert [g.name for g in step.gates] == ["i", "f", "g", "o"]
        assert [g.pre[0] for g in step.gates] == pytest.approx(hand["pre"], abs=1e-14)
        assert [g.act[0] for g in step.gates] == pytest.approx([hand[k] for k in "ifgo"], abs=1e-14)
        assert step.c[0] == pytest.approx(hand["c"], abs=1e-14)
        assert step.h[0] == pytest.approx(hand["h"], abs=1e-14)
    # backward through time for L = h_2, by hand
    s1, s2 = _by_hand()
    dh2 = 1.0
    tc2 = math.tanh(s2["c"])
    dc2 = dh2 * s2["o"] * (1 - tc2**2)
    d_pre = [
        dc2 * s2["g"] * s2["i"] * (1 - s2["i"]),
        dc2 * s2["c_prev"] * s2["f"] * (1 - s2["f"]),
        dc2 * s2["i"] * (1 - s2["g"] ** 2),
        dh2 * tc2 * s2["o"] * (1 - s2["o"]),
    ]
    dh1 = sum(U[k] * d_pre[k] for k in range(4))
    dc1 = dc2 * s2["f"] + dh1 * s1["o"] * (1 - math.tanh(s1["c"]) ** 2)
    first, second = run.steps
    assert second.dh[0] == pytest.approx(dh2) and second.dc[0] == pytest.approx(dc2, abs=1e-14)
    assert first.dh[0] == pytest.approx(dh1, abs=1e-14) and first.dc[0] == pytest.approx(dc1, abs=1e-14)
    assert first.dh_norm == pytest.approx(abs(dh1), abs=1e-14)
    assert report.loss.startswith("L = Σ_j h_T^j")


def test_the_json_form_and_the_equations():
    data = unroll("3 | gru 2", [[1, 0, 0], [0, 1, 0]], seed=0).to_json()
    assert data["cell"] == "gru" and data["steps"] == 2 and data["loss"] is None
    assert [g["name"] for g in data["runs"][0]["steps"][0]["gates"]] == ["r", "z", "n"]
    assert "c" not in data["runs"][0]["steps"][0] and "dh" not in data["runs"][0]["steps"][0]
    assert data["equations"][2] == "n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn))"
    assert set(data["parameters"]) == {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}


def test_peephole_gates_see_the_cell_state():
    report = unroll("1 | lstm 1 peephole=true", [[1.0]], settings={**_settings(), "weight_ci_l0": [0.5],
                    "weight_cf_l0": [-1.0], "weight_co_l0": [2.0]}, h0=[H0], c0=[C0])  # fmt: skip
    step = report.runs[0].steps[0]
    plain = [A[k] * 1.0 + B_IH[k] + U[k] * H0 + B_HH[k] for k in range(4)]
    i, f, g = sig(plain[0] + 0.5 * C0), sig(plain[1] - 1.0 * C0), math.tanh(plain[2])
    c = f * C0 + i * g
    o_pre = plain[3] + 2.0 * c
    assert [gate.pre[0] for gate in step.gates] == pytest.approx(
        [plain[0] + 0.5 * C0, plain[1] - C0, plain[2], o_pre]
    )
    assert step.h[0] == pytest.approx(sig(o_pre) * math.tanh(c), abs=1e-14)
    assert "V_o ⊙ c_t" in report.equations[4]


def test_weights_come_from_the_first_recurrent_layer_of_a_saved_model(tmp_path):
    model = build("5x3 | dense 3 | gru 2 | dense 1", seed=4)
    path = tmp_path / "cell.npz"
    model.save(path)
    report = unroll("3 | gru 2", [[1, 2, 3]], weights=f"@{path}")
    saved = model.state_dict()
    for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        np.testing.assert_allclose(report.parameters[name], saved[f"1.{name}"], rtol=1e-7)
    with pytest.raises(CnnToolError, match=r"array '0.weight_ih_l0' expected float64\(6, 4\)"):
        unroll("4 | gru 2", [[1, 2, 3, 4]], weights=path)  # another input size than the saved cell
    build("3 | dense 2").save(tmp_path / "dense.npz")
    with pytest.raises(CnnToolError, match="has no top-level rnn, gru or lstm"):
        unroll("3 | gru 2", weights=tmp_path / "dense.npz")


def test_a_one_unit_rnn_shows_vanishing_and_exploding_gradients():
    def norms(w: float, first: float) -> list[float]:
        report = unroll("1 | rnn 1", [[first]] + [[0.0]] * 9, grad=True,
                        settings={"weight_ih_l0": [1], "weight_hh_l0": [w], "bias_ih_l0": [0], "bias_hh_l0": [0]})  # fmt: skip
        return [s.dh_norm for s in report.runs[0].steps]

    small = norms(0.5, 1.0)
    assert small[-1] == 1.0 and small[-2] == pytest.approx(0.5, rel=1e-3) and small[0] < 0.002
    big = norms(1.5, 0.01)
    assert big[-2] / big[-1] > 1.3 and big[0] > 25  # ×1.5 per step while tanh stays near-linear


def test_bidirectional_two_layer_runs_are_listed_in_the_order_taken():
    report = unroll("4x2 | lstm 2 layers=2 bidirectional", grad=True, seed=3)
    assert [(r.layer, r.direction) for r in report.runs] == [
        (0, "forward"),
        (0, "backward"),
        (1, "forward"),
        (1, "backward"),
    ]
    assert [s.t for s in report.runs[1].steps] == [4, 3, 2, 1]
    top_forward_last = report.runs[2].steps[-1]
    assert top_forward_last.dh == pytest.approx((1.0, 1.0))  # L = Σ h_T of the top layer


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"spec": "3 | lstm 9"}, "at most 8 hidden units"),
        (
            {"spec": "3 | lstm 2", "sequence": [[1, 2]]},
            "sequence step 1 has 2 numbers, but the cell takes 3 features",
        ),
        (
            {"spec": "5x3 | lstm 2", "sequence": [[1, 2, 3]]},
            "the spec's input is 5×3 .5 steps. but the sequence has 1",
        ),
        (
            {"spec": "3 | lstm 2", "settings": {"weight_hx_l0": [1.0]}},
            "this cell has no parameter 'weight_hx_l0'",
        ),
        (
            {"spec": "3 | lstm 2", "settings": {"bias_ih_l0": [1.0, 2.0]}},
            "bias_ih_l0 has 8 numbers .shape 8.; give 1",
        ),
        ({"spec": "3 | rnn 2 | dense 1"}, "unroll shows one recurrent layer"),
        ({"spec": "3x2x2 | lstm 2"}, r"needs a feature count \(3\) or T×F \(5x3\) input, not 3×2×2"),
        ({"spec": "17 | rnn 2"}, "at most 16 per step"),
        ({"spec": "3 | gru 2", "c0": [0, 0]}, "a gru has no cell state"),
        ({"spec": "3 | lstm 2", "h0": [0, 0, 0]}, "h0 has 2 units in this cell, got 3 numbers"),
    ],
)
def test_bad_input_is_one_clear_error(kwargs, message):
    with pytest.raises(CnnToolError, match=message):
        unroll(**kwargs)


def test_parsing_what_users_type():
    assert parse_sequence("1 0 0; 0, 1/2, 0\n-1 0 0") == [[1, 0, 0], [0, 0.5, 0], [-1, 0, 0]]
    assert parse_setting("weight_hh_l0 = 1.5") == ("weight_hh_l0", [1.5])
    assert parse_vector("0.5 -1", "h0") == [0.5, -1.0]
    with pytest.raises(CnnToolError, match="write a parameter setting as NAME=VALUES"):
        parse_setting("weight_hh_l0")
    with pytest.raises(CnnToolError, match="sequence step 2: 'x' is not a number"):
        parse_sequence("1; x")
    with pytest.raises(CnnToolError, match="no time steps given"):
        parse_sequence(" ; ")
