"""Grading the lecture's examples: right and wrong answer files, every common-mistake hint.

Expected values are the slides' numbers (or hand computation noted beside them),
never re-derived with the code under test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cnntool.check import grade, grade_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def one(body: str, header: str = "") -> object:
    """Grade a one-question file and return its result."""
    report = grade_text(f'{header}\n[[question]]\nid = "q"\n{body}\n')
    (result,) = report.results
    return result


def test_lecture_answers_all_right() -> None:
    report = grade(EXAMPLES / "lecture_answers.toml")
    assert report.all_correct, [(r.id, r.status, r.notes) for r in report.results if not r.correct]
    assert report.score == report.max_score == 31
    assert len(report.results) == 26


def test_lecture_answers_wrong_versions() -> None:
    report = grade(EXAMPLES / "lecture_answers_wrong.toml")
    status = {r.id: r.status for r in report.results}
    assert status.pop("alexnet-params") == "partial"
    assert status.pop("unanswered") == "unanswered"
    assert set(status.values()) == {"wrong"}
    assert report.score == 0.5


def test_key_and_submissions() -> None:
    ada = grade(EXAMPLES / "submissions" / "ada.toml", key=EXAMPLES / "lecture_key.toml")
    bob = grade(EXAMPLES / "submissions" / "bob.toml", key=EXAMPLES / "lecture_key.toml")
    assert ada.all_correct and ada.score == 5
    assert [r.status for r in bob.results] == ["wrong", "partial", "wrong", "wrong", "wrong"]
    assert all(r.hint for r in bob.results)


SPEC_CIFAR = 'spec = "3x32x32 | conv 10 k5 s1 p2"'


@pytest.mark.parametrize(
    ("body", "header", "hint"),
    [
        # 96·3·11·11 = 34,848 (the 96 biases left out of 34,944)
        ('kind = "params"\nspec = "3x227x227 | conv 96 k11 s4"\nanswer = 34848', "", "forgot the bias"),
        # (20·20) + (20·20) + (20·1) = 820 instead of 861
        (
            'kind = "total_params"\nspec = "20 | dense 20 | relu | dense 20 | relu | dense 1"\nanswer = 820',
            "",
            "forgot the bias",
        ),
        # 32x32x10 written channels-last where C×H×W is asked
        (f'kind = "shape"\n{SPEC_CIFAR}\nanswer = "32x32x10"', "", "counted channels-last"),
        # read 3x32x32 as H×W×C: 32 input channels, 10·(32·25 + 1) = 8,010
        (f'kind = "params"\n{SPEC_CIFAR}\nanswer = 8010', "", "counted channels-last"),
        # 7x7 pooled by 2 with ceil is 4x4; floor gives 3x3
        ('kind = "shape"\nspec = "1x7x7 | maxpool 2 ceil=true"\nanswer = "1x3x3"', "", "floor where ceil"),
        # (32 − 5)/1 + 1 = 28 without the padding of 2
        (f'kind = "shape"\n{SPEC_CIFAR}\nanswer = [10, 28, 28]', "", "forgot padding"),
        # unshared without padding: 28·28·10·76 = 595,840
        (f'kind = "params_unshared"\n{SPEC_CIFAR}\nanswer = 595840', "", "forgot padding"),
        # 7x7 input pooled 2, floor → 3x3 (but ceil was asked)
        (
            'kind = "pool"\nimage = "1 2 3 4 5 6 7; 1 2 3 4 5 6 7; 1 2 3 4 5 6 7; 1 2 3 4 5 6 7; 1 2 3 4 5 6 7; '
            '1 2 3 4 5 6 7; 1 2 3 4 5 6 7"\nceil = true\nanswer = [[2, 4, 6], [2, 4, 6], [2, 4, 6]]',
            "",
            "floor where ceil",
        ),
        # without padding the only window gives the slides' 32; with padding 1, cell (0, 0) sees
        # [0 0 0; 0 1 2; 0 4 5] → 2·1 + 4·2 = 10
        (
            'kind = "conv"\nimage = "1 2 3; 4 5 6; 7 8 9"\nkernel = "0 1 -1; 1 0 1; 1 2 0"\npadding = 1\nat = [0, 0]\n'
            "answer = 32",
            "",
            "forgot padding",
        ),
        # X ⋆ diag = 7 before dividing by 9
        (
            'kind = "conv"\nimage = "x"\nkernel = "diag"\nnormalize = true\nat = [0, 0]\nanswer = 7',
            "",
            "divide by the number of pixels",
        ),
        # 7/9 = 0.777…: rounded 0.78, the slides truncate to 0.77
        (
            'kind = "conv"\nimage = "x"\nkernel = "diag"\nnormalize = true\nat = [0, 0]\ntruncate = 2\nanswer = 0.78',
            "",
            "rounded",
        ),
        # a bias of 1 left out: 32 instead of 33
        (
            'kind = "conv"\nimage = "1 2 3; 4 5 6; 7 8 9"\nkernel = "0 1 -1; 1 0 1; 1 2 0"\nbias = 1\nanswer = 32',
            "",
            "forgot the bias",
        ),
        # (10 − 3)/2 + 1 = 4.5
        ('kind = "feasible"\ninput = 10\nkernel = 3\nstride = 2\nanswer = true', "", "whole number"),
    ],
)
def test_common_mistake_hints(body: str, header: str, hint: str) -> None:
    result = one(body, header)
    assert result.status == "wrong"
    assert hint in result.hint, result.hint


def test_hwc_file_accepts_lecture_shapes_and_flags_channels_first() -> None:
    right = one('kind = "shape"\nspec = "32x32x3 | conv 10 k5 p2"\nanswer = "32x32x10"', 'layout = "hwc"')
    assert right.correct
    wrong = one('kind = "shape"\nspec = "32x32x3 | conv 10 k5 p2"\nanswer = "10x32x32"', 'layout = "hwc"')
    assert "channels-first" in wrong.hint


@pytest.mark.parametrize(
    ("answer", "extra", "ok"),
    [
        ('"7/9"', "", True),
        ("0.77", "truncate = 2", True),
        ('"0.77"', "truncate = 2", True),
        ("0.78", "truncate = 2", False),
        ("0.78", "decimals = 2", True),
        ("0.77", "decimals = 2", False),
        ("0.78", "tolerance = 0.01", True),
        ("0.76", "tolerance = 0.01", False),
        ("0.77", "", False),
        ("[[0.77]]", "truncate = 2", True),
    ],
)
def test_decimal_styles(answer: str, extra: str, ok: bool) -> None:
    result = one(
        f'kind = "conv"\nimage = "x"\nkernel = "diag"\nnormalize = true\nat = [0, 0]\n{extra}\nanswer = {answer}'
    )
    assert result.correct is ok


def test_wrong_cell_shows_window_and_sum() -> None:
    result = one(
        'kind = "conv"\nimage = "0 1 0 1; 0 1 0 1; 1 1 1 1; 0 -2 0 -2"\n'
        'kernel = "-1/2 1 -1/2; -1/2 1 -1/2; -1/2 1 -1/2"\nanswer = [[2, -2], [-1, 2]]'
    )
    assert result.status == "wrong"
    assert "(1, 1): you wrote 2, expected 1" in result.notes[0]
    assert result.notes[1].startswith("cell (1, 1): rows 1..3, columns 1..3")
    assert result.notes[1].endswith("→ 1")


def test_derivation_shows_the_formula_with_numbers() -> None:
    result = one('kind = "params"\nspec = "3x227x227 | conv 96 k11 s4"\nanswer = 1')
    assert "params = 96 · (3·11·11 + 1) = 34,944" in result.derivation
    assert result.expected == "34,944"


def test_answer_spellings() -> None:
    for answer in ("34944", '"34,944"', '"34 944"', "34944.0", '"34_944"'):
        assert one(f'kind = "params"\nspec = "3x227x227 | conv 96 k11 s4"\nanswer = {answer}').correct
    for answer in ("[10, 32, 32]", '"10x32x32"', '"10×32×32"', '"(10, 32, 32)"'):
        assert one(f'kind = "shape"\n{SPEC_CIFAR}\nanswer = {answer}').correct


def test_receptive_field_and_unshared_from_slides() -> None:
    assert one('kind = "params_unshared"\nspec = "3x227x227 | conv 96 k11 s4"\nanswer = 105705600').correct
    # two 3x3 convs: 1 + 2 + 2 = 5
    assert one('kind = "receptive_field"\nspec = "1x9x9 | conv 1 k3 | conv 1 k3"\nanswer = 5').correct
    assert one('kind = "receptive_field"\nspec = "1x9x9 | conv 1 k3 | conv 1 k3"\nanswer = "5x5"').correct
    assert one(
        'kind = "receptive_field"\nspec = "1x9x9 | conv 1 k3 | flatten | dense 2"\nanswer = "all"'
    ).correct


def test_uncomputable_question_is_reported_and_others_graded() -> None:
    report = grade_text(
        '[[question]]\nid = "big"\nkind = "shape"\nspec = "1x4x4 | conv 1 k7"\nanswer = "1x1x1"\n'
        '[[question]]\nid = "ok"\nkind = "params"\nspec = "3x32x32 | conv 16 k5"\nanswer = 1216\n'
        '[[question]]\nid = "far"\nkind = "conv"\nimage = "1 2; 3 4"\nkernel = "1"\nat = [5, 5]\nanswer = 1\n'
        '[[question]]\nid = "layer"\nkind = "params"\nspec = "3x32x32 | conv 16 k5"\nlayer = 4\nanswer = 1\n'
    )
    assert [r.status for r in report.results] == ["error", "correct", "error", "error"]
    assert "cannot compute" in report.results[0].notes[0]


def test_feasible_fix() -> None:
    base = 'kind = "feasible"\ninput = 10\nkernel = 3\nstride = 2\nanswer = false\n'
    assert one(base + "fix = { stride = 1 }").correct  # (10 − 3)/1 + 1 = 8
    assert not one(base + "fix = { padding = 1 }").correct  # (10 − 3 + 2)/2 + 1 = 5.5
    assert one('kind = "feasible"\ninput = 7\nkernel = 3\nstride = 1\npadding = 1\nanswer = true').correct
    assert one('kind = "feasible"\ninput = 7\nkernel = 3\nstride = 3\nanswer = false').correct  # 7/3 + 1


def test_malformed_answer_is_wrong_with_id_and_field() -> None:
    result = one(f'kind = "shape"\n{SPEC_CIFAR}\nanswer = true')
    assert result.status == "wrong" and result.given is True and result.expected == "10x32x32 (C×H×W)"
    assert "question 'q', field 'answer': expected a shape" in result.notes[0]


def test_checker_imports_no_numpy_numba_or_textual() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from cnntool.check import grade, make_quiz\n"
        "from cnntool.cli import check\n"
        f"grade({str(EXAMPLES / 'lecture_answers.toml')!r}); make_quiz(1, 10)\n"
        "bad = [m for m in ('numpy', 'numba', 'textual', 'torch') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
