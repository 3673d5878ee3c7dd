"""What grading one file costs, counted before the work starts (`budgets.GRADE_WORK`).

Each question's size is bounded on its own (a conv or pool question by its
multiplications, a spec by `budgets.LAYERS`), but a file of hundreds of maximal
questions, each wrong so that every known mistake is recomputed as a hint, would
still keep an autograder busy for minutes. So a file's questions are priced in
steps before any is computed: a multiply-add of a conv or pool question is one
step, a layer of a spec question's network `LAYER_STEPS` (it takes about as long
to analyse), a feasibility question one. A file over the budget is refused. The
hints then spend what is left: a wrong answer's hints cost its question's steps
once per mistake tried (`HINT_TRIES`); when a hint cannot be afforded the answer
is graded without one, and the report says so.
"""

from __future__ import annotations

from typing import Any

from cnntool import budgets
from cnntool.check.kinds import spec_net
from cnntool.errors import CnnToolError

LAYER_STEPS = 20  # one layer's arithmetic takes about as long as 20 exact multiply-adds
HINT_TRIES = {"conv": 5, "pool": 3, "feasible": 0}  # spec kinds: SPEC_HINT_TRIES
SPEC_HINT_TRIES = 16  # the generic and the recurrent variants of a spec question, at most


def window_work(inputs: dict[str, Any]) -> int:
    """A conv or pool question: padded cells × window cells (an upper bound of its multiply-adds)."""
    image = inputs["image"]
    c, h, w = len(image), len(image[0]), len(image[0][0])
    if "kernel" in inputs:
        kh, kw = len(inputs["kernel"][0]), len(inputs["kernel"][0][0])
        pad = inputs["padding"] if isinstance(inputs["padding"], tuple) else (kh, kw)
    else:
        (kh, kw), pad = inputs["size"], inputs["padding"]
    return c * (h + 2 * pad[0]) * (w + 2 * pad[1]) * kh * kw


def question_work(kind: str, inputs: dict[str, Any]) -> int:
    """The steps one question costs to compute once (0 for a spec that does not parse: it is an
    error of its own, reported with its question)."""
    if kind in ("conv", "pool"):
        return window_work(inputs)
    if kind == "feasible":
        return 1
    try:
        return LAYER_STEPS * len(spec_net(inputs).leaves())
    except (CnnToolError, RecursionError):
        return 0


def check_file(questions: Any, what: str) -> dict[str, int]:
    """Each question's steps by id; BudgetError when computing them all is over budget."""
    works = {q.id: question_work(q.kind, q.inputs) for q in questions}
    budgets.check(budgets.GRADE_WORK, sum(works.values()), what)
    return works


class HintAllowance:
    """The steps a file's hints may still take (what its questions left of the budget), with each
    question's price from `check_file`, so nothing is parsed twice to price a hint."""

    NOTE = (
        "no common mistake was looked for: grading this file has used its work budget (see docs/budgets.md)"
    )

    def __init__(self, remaining: int, works: dict[str, int]) -> None:
        self.remaining = remaining
        self.works = works

    def spend(self, question_id: str, kind: str) -> bool:
        """Take the steps a wrong answer's hints cost; False (nothing taken) when they do not fit."""
        cost = HINT_TRIES.get(kind, SPEC_HINT_TRIES) * self.works.get(question_id, 0)
        if cost > self.remaining:
            return False
        self.remaining -= cost
        return True
