"""Recurrent questions: the quiz's rnn_ topics and the hints for the usual counting mistakes.

Every expected count is independent of cnntool: PyTorch's own modules (built here
from the question's spec), or worked by hand in the comment beside it.
"""

from __future__ import annotations

import re

import pytest

from cnntool.check import grade, make_quiz
from cnntool.check.quiz import parse_kinds
from cnntool.check.toml_io import parse_toml
from cnntool.errors import CnnToolError

LSTM_10_20 = "5x10 | lstm 20"  # 4·20·(10 + 20) + 2·4·20 = 2,560 (PyTorch); Keras one bias: 2,480


def _grade_one(answer: int, spec: str, kind: str = "params", **extra: str) -> object:
    fields = "".join(f'{k} = "{v}"\n' for k, v in extra.items())
    text = f'[[question]]\nid = "q"\nkind = "{kind}"\nspec = "{spec}"\n{fields}answer = {answer}\n'
    return grade(parse_toml(text)).results[0]


# --- hints: each common mistake, with the wrong number worked by hand -------------------------

HINTS = [
    # (spec, kind, convention, wrong answer worked by hand, words the hint must say)
    (LSTM_10_20, "params", "pytorch", 2_480, "one bias vector"),  # 4·20·30 + 4·20
    (LSTM_10_20, "params", "pytorch", 960, "recurrent weights U"),  # 4·20·10 + 8·20
    (LSTM_10_20, "params", "pytorch", 1_920, "as for a GRU"),  # 3·20·30 + 6·20
    (LSTM_10_20, "params", "pytorch", 640, "as for a plain RNN"),  # 20·30 + 2·20
    (LSTM_10_20, "params", "pytorch", 12_800, "multiplied by T"),  # 5 · 2,560
    (LSTM_10_20, "params_unshared", "pytorch", 2_560, "shared count"),
    (LSTM_10_20, "params", "keras", 2_560, "two bias vectors"),  # Keras wants 2,480
    ("5x10 | gru 20", "params", "pytorch", 2_560, "as for an LSTM"),  # 4·20·30 + 8·20; GRU is 1,920
    ("5x10 | gru 20", "params", "keras", 1_860, "one bias vector"),  # Keras GRU reset_after: 1,920
    ("5x10 | rnn 20", "params", "pytorch", 2_560, "plain RNN has one weight set"),  # RNN: 640
    ("5x10 | lstm 20 bidirectional=true", "params", "pytorch", 2_560, "one direction"),  # 5,120
    # GRU layers=2: 1,920 + (3·20·40 + 6·20 = 2,520) = 4,440
    ("5x10 | gru 20 layers=2", "params", "pytorch", 1_920, "only the first layer"),
    ("5x10 | gru 20 layers=2", "params", "pytorch", 3_840, "input size I for every stacked layer"),
    # bidirectional, 2 layers: 5,120 + 2·(4·20·40 + 160 = 3,360) = 11,840 if layer 2 read H (it reads 2H)
    ("5x10 | lstm 20 layers=2 bidirectional=true", "params", "pytorch", 11_840, "both directions"),
    # embedding 1000·32 = 32,000; lstm 64 bi ×2 layers 149,504; dense 645; one bias: −2·2·(4·64)
    (
        "20 | embedding 1000 32 | lstm 64 bidirectional=true layers=2 return_sequences=false | dense 5",
        "total_params",
        "pytorch",
        182_149 - 1_024,
        "one bias vector",
    ),
]


@pytest.mark.parametrize(("spec", "kind", "convention", "wrong", "words"), HINTS)
def test_hint_names_the_mistake(spec: str, kind: str, convention: str, wrong: int, words: str) -> None:
    result = _grade_one(wrong, spec, kind, convention=convention)
    assert not result.correct
    assert result.hint and words in result.hint, result.hint


def test_keras_lstm_counts_one_bias() -> None:
    assert _grade_one(2_480, LSTM_10_20, convention="keras").correct
    assert _grade_one(2_560, LSTM_10_20).correct


def test_an_unrelated_wrong_number_gets_no_hint() -> None:
    result = _grade_one(2_561, LSTM_10_20)
    assert not result.correct and not result.hint


def test_a_recognised_mistake_earns_the_partial_share() -> None:
    text = (
        '[[question]]\nid = "q"\nkind = "params"\npoints = 2\npartial = 0.5\n'
        f'spec = "{LSTM_10_20}"\nanswer = 2480\n'
    )
    report = grade(parse_toml(text))
    assert report.results[0].score == 1


def test_hints_leave_conv_questions_alone() -> None:
    # conv 10 k5 p2 on 3x32x32 = 760; 750 is "forgot the bias", never a recurrent hint
    result = _grade_one(750, "3x32x32 | conv 10 k5 p2")
    assert result.hint and result.hint.startswith("forgot the bias")


# --- the quiz's recurrent topics -------------------------------------------------------------


def test_recurrent_expands_to_every_topic() -> None:
    assert parse_kinds("recurrent") == ("rnn_params", "rnn_keras", "rnn_unshared", "rnn_total")
    assert parse_kinds("shape,rnn,rnn_keras") == (
        "shape",
        "rnn_params",
        "rnn_keras",
        "rnn_unshared",
        "rnn_total",
    )
    with pytest.raises(CnnToolError, match="did you mean 'rnn_params'"):
        parse_kinds("rnn_parms")


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_recurrent_keys_grade_full_marks(difficulty: str) -> None:
    for seed in range(15):
        quiz = make_quiz(seed, 8, "recurrent", difficulty)
        assert {q["kind"] for q in quiz.questions} == {"params", "params_unshared", "total_params"}
        assert grade(parse_toml(quiz.key_toml())).all_correct
        assert {r.status for r in grade(parse_toml(quiz.quiz_toml())).results} == {"unanswered"}


def _torch_recurrent(torch, layer: str, features: int):  # noqa: ANN001, ANN202 - torch is the fixture
    """The PyTorch module a question's layer text describes, written from the spec language here."""
    cell, hidden, *options = layer.split()
    opts = dict(o.split("=") for o in options if o != "return_sequences=false")
    kwargs = {
        "num_layers": int(opts.get("layers", 1)),
        "bidirectional": opts.get("bidirectional") == "true",
        "batch_first": True,
    }
    if "proj_size" in opts:
        kwargs["proj_size"] = int(opts["proj_size"])
    module = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
    return module(features, int(hidden), **kwargs)


def _count(module) -> int:  # noqa: ANN001
    return sum(p.numel() for p in module.parameters())


@pytest.mark.torch
@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_pytorch_convention_answers_equal_torch(torch, difficulty: str) -> None:  # noqa: ANN001
    """Every rnn_params / rnn_unshared / rnn_total key answer is PyTorch's own parameter count."""
    checked = 0
    for seed in range(10):
        quiz = make_quiz(seed, 8, "rnn_params,rnn_unshared,rnn_total", difficulty)
        for question, answer in zip(quiz.questions, quiz.answers):
            parts = [p.strip() for p in question["spec"].split("|")]
            if question["kind"] == "total_params":
                steps = int(parts[0])
                vocab, dim = map(int, parts[1].split()[1:])
                rec = _torch_recurrent(torch, parts[2], dim)
                width = rec.hidden_size if not rec.proj_size else rec.proj_size
                head = torch.nn.Linear(width * (2 if rec.bidirectional else 1), int(parts[3].split()[1]))
                expected = vocab * dim + _count(rec) + _count(head)
                assert steps > 0
            else:
                steps, features = map(int, parts[0].split("x"))
                expected = _count(_torch_recurrent(torch, parts[1], features))
                if question["kind"] == "params_unshared":
                    expected *= steps  # unrolled: every time step its own copy of the weights
            assert answer == expected, question
            checked += 1
    assert checked == 80


def test_keras_topic_answers_worked_by_hand() -> None:
    """The Keras counts have no Keras here to ask; these are worked by hand from Keras's formulas."""
    quiz = make_quiz(0, 40, "rnn_keras", "easy")
    gates = {"rnn": 1, "gru": 3, "lstm": 4}
    for question, answer in zip(quiz.questions, quiz.answers):
        assert question["convention"] == "keras"
        features = int(re.match(r"\d+x(\d+)", question["spec"]).group(1))
        cell, hidden = question["spec"].split("|")[1].split()[:2]
        h, g = int(hidden), gates[cell]
        biases = 2 if cell == "gru" and "reset_after=false" not in question["spec"] else 1
        assert answer == g * h * (features + h) + biases * g * h, question


def test_a_huge_unknown_kind_is_echoed_short() -> None:
    with pytest.raises(CnnToolError) as caught:
        parse_kinds("x" * 5000)
    assert "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' (5,000 characters)" in str(caught.value)
    assert len(str(caught.value)) < 400
    with pytest.raises(CnnToolError) as caught:  # the same in an answer file's kind field
        grade(parse_toml(f'[[question]]\nid = "q"\nkind = "{"k" * 3000}"\n'))
    assert "(3,000 characters)" in str(caught.value) and len(str(caught.value)) < 400
