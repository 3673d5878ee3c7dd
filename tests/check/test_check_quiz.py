"""Quiz generation: reproducible across processes, well-posed, and round-trips through the checker."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cnntool.check import grade, make_quiz
from cnntool.check.questions import KINDS
from cnntool.check.toml_io import parse_toml

SCRIPT = (
    "from cnntool.check import make_quiz\n"
    "from cnntool.check.handout import render_markdown\n"
    "q = make_quiz(7, 12, 'shape,params,params_unshared,macs,receptive_field,total_params,conv,pool,infeasible',"
    " 'hard')\n"
    "import sys; sys.stdout.write(q.quiz_toml() + q.key_toml() + render_markdown(q))\n"
)


def test_same_seed_same_bytes_across_processes() -> None:
    outputs = set()
    for hashseed in ("0", "1", "12345"):
        run = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            capture_output=True,
            check=True,
            env={"PYTHONHASHSEED": hashseed, "PATH": ""},
        )
        outputs.add(run.stdout)
    assert len(outputs) == 1
    q = make_quiz(
        7, 12, "shape,params,params_unshared,macs,receptive_field,total_params,conv,pool,infeasible", "hard"
    )
    from cnntool.check.handout import render_markdown

    assert (q.quiz_toml() + q.key_toml() + render_markdown(q)).encode() == outputs.pop()


def test_different_seeds_differ() -> None:
    assert make_quiz(1).key_toml() != make_quiz(2).key_toml()


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_round_trip_200_quizzes(difficulty: str) -> None:
    """Each generated key, graded as an answer file, scores 100 % (67 quizzes per level, 201 in all)."""
    for seed in range(67):
        quiz = make_quiz(seed, len(KINDS), KINDS, difficulty)
        report = grade(parse_toml(quiz.key_toml()))
        assert report.all_correct, (
            seed,
            [(r.id, r.status, r.notes) for r in report.results if not r.correct],
        )
        # and the quiz file (no answers) parses and grades as all unanswered
        blank = grade(parse_toml(quiz.quiz_toml()))
        assert {r.status for r in blank.results} == {"unanswered"}


def test_questions_are_well_posed() -> None:
    """No quiz question has a 'does not fit' warning except the feasibility questions."""
    for seed in range(30):
        quiz = make_quiz(seed, 12, KINDS, "hard")
        report = grade(parse_toml(quiz.key_toml()))
        for table, result in zip(quiz.questions, report.results):
            if table["kind"] != "feasible":
                assert not any(
                    "not an integer" in line or "does not fit" in line for line in result.derivation
                )


def test_feasible_questions_mix_both_answers() -> None:
    answers = make_quiz(3, 40, "feasible", "medium").answers
    assert True in answers and False in answers


def test_kinds_alias_and_errors() -> None:
    assert make_quiz(0, 2, "infeasible").questions[0]["kind"] == "feasible"
    with pytest.raises(Exception, match="unknown kind"):
        make_quiz(0, 2, "shape,bogus")
    with pytest.raises(Exception, match="difficulty"):
        make_quiz(0, 2, "shape", "brutal")
    with pytest.raises(Exception, match="count"):
        make_quiz(0, 0)


def test_markdown_handout_has_tables() -> None:
    from cnntool.check.handout import render_markdown

    text = render_markdown(make_quiz(5, 4, "conv,pool", "easy"))
    assert text.startswith("# cnntool quiz, seed 5, easy")
    assert "**image**" in text and "**kernel**" in text
    assert "|---:|" in text
