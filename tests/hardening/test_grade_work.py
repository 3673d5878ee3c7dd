"""A file's grading work is priced before any question is computed (budgets.GRADE_WORK, 600,000 steps).

Worked by hand: a spec layer is 20 steps, a conv question's step is one padded cell × one kernel
cell. 20 questions on a 5,000-layer network are 20 · 5,000 · 20 = 2,000,000 steps; a 54×54 image
with a 9×9 kernel is 54 · 54 · 81 = 236,196 steps, and its 5 hints would cost 1,180,980 more.
"""

from __future__ import annotations

import random
from pathlib import Path

from cnntool.check import grade
from cnntool.check.work import HintAllowance
from tests.hardening.sandbox import assert_refused, run

BIG_NET = "5x8 | 5000*[ lstm 8 ]"


def _spec_questions(n: int, spec: str) -> str:
    return "".join(
        f'[[question]]\nid = "q{i}"\nkind = "total_params"\nspec = "{spec}"\nanswer = 1\n\n' for i in range(n)
    )


def test_a_file_of_huge_networks_is_refused_before_any_is_analysed(tmp_path: Path) -> None:
    path = tmp_path / "eve.toml"
    path.write_text(_spec_questions(20, BIG_NET))
    outcome = run(["check", str(path)])
    assert_refused(outcome, "needs 2,000,000 steps", "work to grade one answer file", "by 1,400,000 steps")


def test_a_key_over_budget_is_the_instructor_s_error(tmp_path: Path) -> None:
    key, answers = tmp_path / "key.toml", tmp_path / "bob.toml"
    key.write_text(_spec_questions(20, BIG_NET))
    answers.write_text("[answers]\nq0 = 1\n")
    assert_refused(run(["check", "--key", str(key), str(answers)]), "the key", "2,000,000 steps")


def _conv_question(rng: random.Random, side: int, kernel: int, qid: str) -> str:
    image = "; ".join(" ".join(str(rng.randint(0, 9)) for _ in range(side)) for _ in range(side))
    weights = "; ".join(" ".join(str(rng.randint(-1, 1)) for _ in range(kernel)) for _ in range(kernel))
    out = side - kernel + 1
    wrong = [[0] * out for _ in range(out)]  # all zeros: not what 81 random weights give
    return f'[[question]]\nid = "{qid}"\nkind = "conv"\nimage = "{image}"\nkernel = "{weights}"\nanswer = {wrong}\n\n'


def test_hints_that_do_not_fit_are_skipped_and_said(tmp_path: Path) -> None:
    rng = random.Random(3)
    path = tmp_path / "big.toml"
    path.write_text(_conv_question(rng, 54, 9, "big"))  # 236,196 steps; its hints would need 1,180,980
    result = grade(path).results[0]
    assert result.status == "wrong" and not result.hint
    assert HintAllowance.NOTE in result.notes


def test_small_questions_keep_their_hints(tmp_path: Path) -> None:
    # the lecture's 760 (3x32x32 | conv 10 k5 p2) answered without biases: 750, "forgot the bias"
    path = tmp_path / "small.toml"
    path.write_text(
        '[[question]]\nid = "q"\nkind = "params"\nspec = "3x32x32 | conv 10 k5 p2"\nanswer = 750\n'
    )
    result = grade(path).results[0]
    assert result.hint.startswith("forgot the bias") and HintAllowance.NOTE not in result.notes
