"""Validate answer-file tables into `Question`s by walking the schema table (`cnntool.check.schema`).

A question's definition (id, kind, inputs, points) is validated before grading, so a
file whose questions are malformed fails as a whole with one message (exit 2) instead
of a score out of the wrong maximum; each message names the file, the question id and
the field. Unknown fields are errors too: `strid = 2` silently ignored would grade the
wrong question. An *answer* that cannot be read is different: it is that question's
problem (`Question.answer_error`), graded wrong with the reason, and the rest of the
file is graded (docs/grading.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cnntool.check.field_types import Ident
from cnntool.check.schema import (
    ALIASES,
    COMMON_FIELDS,
    FILE_FIELDS,
    KINDS,
    LAYOUTS,
    MAX_QUESTIONS,
    QUESTION_KINDS,
    SPEC_KINDS,
    TOP_LEVEL,
    Field,
    KindName,
    allowed_fields,
)
from cnntool.check.toml_io import AnswerFileError
from cnntool.check.values import Where
from cnntool.text import closest

__all__ = [
    "ALIASES",
    "KINDS",
    "LAYOUTS",
    "SPEC_KINDS",
    "Question",
    "file_defaults",
    "parse_answer",
    "parse_question",
    "parse_questions",
    "question_id",
    "question_tables",
    "read_answer",
]

_COMMON = {f.name: f for f in COMMON_FIELDS}


@dataclass(frozen=True)
class Question:
    """One validated question: `inputs` are parsed values keyed by field name, `answer` is parsed too.

    `raw_answer` keeps what the student wrote, to show it back; `answer` is None when unanswered
    or unreadable, and then `answer_error` says why it could not be read (file, question, field).
    """

    id: str
    kind: str
    inputs: dict[str, Any] = field(hash=False)
    points: float = 1.0
    partial: float = 0.0
    prompt: str = ""
    answer: Any = None
    raw_answer: Any = None
    answer_error: str = ""


def _value(spec: Field, table: dict[str, Any], at: Where, defaults: dict[str, Any]) -> Any:
    """A field's parsed value: as written, else inherited from the file, else its default (or None)."""
    assert spec.type is not None
    where = at.at(spec.name)
    if spec.name in table:
        return spec.type.parse(table[spec.name], where)
    if spec.inherit:
        return defaults[spec.name]
    return None if spec.default is None else spec.type.parse(spec.default, where)


def _unknown(name: str, allowed: tuple[str, ...]) -> str:
    close = closest(name, allowed)
    return f" (did you mean {close!r}?)" if close else ""


def _check_fields(kind: str, table: dict[str, Any], at: Where) -> None:
    allowed = allowed_fields(kind)
    for name in table:
        if name not in allowed:
            raise at.at(name).error(
                f"unknown field for kind {kind!r}{_unknown(name, allowed)}; allowed: {', '.join(allowed)}"
            )
    required = QUESTION_KINDS[kind].required
    for name in required:
        if name not in table:
            raise at.at(name).error(f"missing; a {kind!r} question needs {', '.join(required)}")


def read_answer(kind: str, raw: Any, inputs: dict[str, Any], at: Where) -> tuple[Any, str]:
    """(parsed answer, "") or (None, why it cannot be read): one bad answer never fails a file."""
    try:
        return parse_answer(kind, raw, inputs, at), ""
    except AnswerFileError as exc:
        return None, str(exc)


def parse_answer(kind: str, raw: Any, inputs: dict[str, Any], at: Where) -> Any:
    """The student's answer, parsed by its kind's type (None when absent); `at` names the answer field."""
    if raw is None:
        return None
    schema = QUESTION_KINDS[kind]
    answer = schema.cell_answer if schema.cell_answer and inputs.get("at") is not None else schema.answer
    return answer.parse(raw, at.at("answer"))


def question_id(table: Any, position: int, name: str = "<answers>") -> str:
    """The question's id, checked: a short string (used in every message about the question)."""
    at = Where(name, position=position, field="id")
    if not isinstance(table, dict):
        raise AnswerFileError(f"{name}: question #{position}: expected a [[question]] table, got {table!r}")
    if "id" not in table:
        raise at.error("missing; every question needs an id")
    return Ident().parse(table["id"], at)


def parse_question(
    table: dict[str, Any], position: int, defaults: dict[str, Any], name: str = "<answers>"
) -> Question:
    """Validate one `[[question]]` table of file `name` (position is 1-based, for messages before
    the id is known); `defaults` are the file-level settings from `file_defaults`."""
    at = Where(name, question_id(table, position, name))
    if "kind" not in table:
        raise at.at("kind").error(f"missing; one of {', '.join(KINDS)}")
    kind = KindName().parse(table["kind"], at.at("kind"))
    _check_fields(kind, table, at)
    schema = QUESTION_KINDS[kind]
    inputs = {spec.name: _value(spec, table, at, defaults) for spec in schema.fields}
    if schema.check is not None:
        schema.check(inputs, at)
    points, partial, prompt = (
        _value(_COMMON[n], table, at, defaults) for n in ("points", "partial", "prompt")
    )
    raw = table.get("answer")
    answer, error = read_answer(kind, raw, inputs, at)
    return Question(at.qid or "", kind, inputs, float(points), float(partial), prompt, answer, raw, error)


def file_defaults(data: dict[str, Any], name: str) -> dict[str, Any]:
    """File-level settings every question inherits (layout, convention) and the title and student."""
    for key in data:
        if key not in TOP_LEVEL:
            raise AnswerFileError(
                f"{name}: unknown top-level field {key!r}{_unknown(key, TOP_LEVEL)}; "
                f"allowed: {', '.join(TOP_LEVEL)}"
            )
    at = Where(name)
    return {spec.name: _value(spec, data, at, {}) for spec in FILE_FIELDS}


def question_tables(data: dict[str, Any], name: str) -> list[Any]:
    tables = data.get("question", [])
    if not isinstance(tables, list):
        raise AnswerFileError(f"{name}: 'question' must be an array of tables, written [[question]]")
    if len(tables) > MAX_QUESTIONS:
        raise AnswerFileError(f"{name}: {len(tables)} questions is beyond the limit of {MAX_QUESTIONS}")
    return tables


def parse_questions(data: dict[str, Any], name: str) -> tuple[dict[str, Any], tuple[Question, ...]]:
    """All questions of a file, ids unique; the file-level defaults come back too."""
    defaults = file_defaults(data, name)
    tables = question_tables(data, name)
    if not tables:
        raise AnswerFileError(
            f"{name}: no questions; add [[question]] tables (see examples/lecture_answers.toml)"
        )
    questions: list[Question] = []
    seen: set[str] = set()
    for position, table in enumerate(tables, start=1):
        question = parse_question(table, position, defaults, name)
        if question.id in seen:
            raise Where(name, question.id, "id").error("is used by two questions; ids must be unique")
        seen.add(question.id)
        questions.append(question)
    return defaults, tuple(questions)
