"""Homework checking: answer files in, graded reports out; seeded quizzes with keys.

Pure core (docs/architecture.md, rule 1): `grade` returns dataclasses and never prints or
exits; `cnntool.cli.check` renders them and picks the exit code. Every expected
value comes from `cnntool.arith` or `cnntool.explain`.

    from cnntool.check import grade, make_quiz
    report = grade("answers.toml")
    report.score, report.max_score, [r.status for r in report.results]
"""

from cnntool.check.folder import grade_folder, grade_paths
from cnntool.check.grade import (
    FolderReport,
    Key,
    KeyFileError,
    QuestionResult,
    Report,
    grade,
    grade_text,
    load_key,
)
from cnntool.check.questions import Question
from cnntool.check.schema import KINDS
from cnntool.check.toml_io import AnswerFileError

__all__ = [
    "KINDS",
    "AnswerFileError",
    "FolderReport",
    "Key",
    "KeyFileError",
    "Question",
    "QuestionResult",
    "Report",
    "grade",
    "grade_folder",
    "grade_paths",
    "grade_text",
    "load_key",
    "make_quiz",
]


def __getattr__(name: str):  # make_quiz lives in a module that the grader does not need
    if name == "make_quiz":
        from cnntool.check.quiz import make_quiz

        return make_quiz
    raise AttributeError(name)
