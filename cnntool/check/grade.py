"""Grade an answer file, or a folder of them against a key: dataclasses in, dataclasses out.

No printing and no exit codes here (the CLI decides those). What fails what (docs/grading.md):

- The key is the instructor's: anything wrong with it (unreadable, malformed, a question that
  cannot be computed, an answer of its own that does not parse) raises `KeyFileError`, checked
  once before any submission is read, so a key error is never shown to a student as theirs.
- A submission fails as a whole (`AnswerFileError`) only when it cannot be read or its structure
  hides which answer belongs to which question: not a readable UTF-8 file within the budget, not
  TOML, `[answers]` not a table, a `[[question]]` table without an id, an id answered twice.
- One answer that cannot be read (a `nan`, a malformed shape, 5,000 digits) is that question's
  problem: graded wrong with the reason. Answers to ids the key does not have, stray fields and
  stray top-level keys are reported as warnings (with "did you mean"), and the rest is graded.
- Without a key the file defines its own questions: a malformed question definition still
  fails the file (its maximum score would be wrong), but a malformed answer does not.
- In a folder, one file never stops the others: it gets a `broken` row saying why (check/folder.py).

With a key, the key's questions are the truth: a submission only supplies answers by id (an
`[answers]` table, or `[[question]]` tables with `id` and `answer`), so a student cannot change a
question, or its points, by editing their file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnntool import budgets
from cnntool.budgets import BudgetError
from cnntool.check import questions as qs
from cnntool.check.compare import compare
from cnntool.check.hints import find_hint
from cnntool.check.kinds import Expected, expected_for
from cnntool.check.schema import FILE_FIELDS, MAX_QUESTIONS, TOP_LEVEL, allowed_fields
from cnntool.check.toml_io import AnswerFileError, parse_toml, read_toml
from cnntool.check.values import Where
from cnntool.check.work import HintAllowance, check_file
from cnntool.errors import CnnToolError, SpecError
from cnntool.text import closest

STATUSES = ("correct", "partial", "wrong", "unanswered", "error")
MAX_LISTED_IDS = 5


class KeyFileError(CnnToolError):
    """The instructor's key cannot be used; the message names the key and what to fix in it."""


@dataclass(frozen=True)
class QuestionResult:
    """One graded question. status: correct | partial | wrong | unanswered | error (not computable).

    `notes` are everything said about the answer; `answer_notes` are those of them about reading
    the student's own answer (why it could not be read, a stray field), which never reveal the
    expected value and so stay when answers are hidden (`hidden()`).
    """

    id: str
    kind: str
    status: str
    score: float
    max_score: float
    given: Any = None
    expected: str = ""
    derivation: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    hint: str = ""
    prompt: str = ""
    answer_notes: tuple[str, ...] = ()

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    def hidden(self) -> QuestionResult:
        """This result without the expected value, the derivation, the hint and the worked cells."""
        return dataclasses.replace(self, expected="", derivation=(), hint="", notes=self.answer_notes)


@dataclass(frozen=True)
class Report:
    """All questions of one answer file; `warnings` are about the file, not one question."""

    source: str
    results: tuple[QuestionResult, ...]
    title: str = ""
    student: str = ""
    warnings: tuple[str, ...] = ()
    answers_hidden: bool = False

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> float:
        return sum(r.max_score for r in self.results)

    @property
    def all_correct(self) -> bool:
        return all(r.correct for r in self.results)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def hidden(self) -> Report:
        """The report a student may see while answers must not leak (verdicts, scores, their answers)."""
        return dataclasses.replace(self, results=tuple(r.hidden() for r in self.results), answers_hidden=True)


@dataclass(frozen=True)
class FolderReport:
    """A folder graded against a key: a Report per readable file, an error message per broken one."""

    key: str
    reports: tuple[Report, ...]
    broken: tuple[tuple[str, str], ...]  # (file, message)


@dataclass(frozen=True)
class Key:
    """A validated key: its questions and each one's expected answer, computed once for a whole class."""

    name: str
    questions: tuple[qs.Question, ...]
    expected: dict[str, Expected]
    works: dict[str, int]  # each question's grading steps (check/work.py), to price its hints


# --- one question ----------------------------------------------------------------------------


def said(exc: CnnToolError) -> str:
    """An error on one line: a spec error without its caret picture (a report note, a stderr line)."""
    return exc.summary() if isinstance(exc, SpecError) else str(exc)


def _error(base: dict[str, Any], given: Any, note: str) -> QuestionResult:
    return QuestionResult(status="error", score=0.0, given=given, notes=(note,), **base)


def grade_question(
    question: qs.Question,
    expected: Expected | None = None,
    answer_notes: tuple[str, ...] = (),
    allowance: HintAllowance | None = None,
) -> QuestionResult:
    """Compute the expected answer (unless given), compare, and look for a common mistake when wrong
    (if `allowance`, the file's remaining work budget, affords it)."""
    base = dict(id=question.id, kind=question.kind, max_score=question.points, prompt=question.prompt)
    given = question.raw_answer
    if expected is None:
        try:
            expected = expected_for(question.kind, question.inputs)
        except CnnToolError as exc:
            return _error(base, given, f"cannot compute this question: {said(exc)}")
        except RecursionError:
            return _error(base, given, "cannot compute: the spec nests too deeply")
    shown = dict(expected=expected.text, derivation=expected.derivation, **base)
    if question.answer_error:
        notes = (f"your answer could not be read: {question.answer_error}", *answer_notes)
        return QuestionResult(
            status="wrong", score=0.0, given=given, notes=notes, answer_notes=notes, **shown
        )
    if question.answer is None:
        notes = ("no answer given", *answer_notes)
        return QuestionResult(status="unanswered", score=0.0, notes=notes, answer_notes=notes, **shown)
    try:
        verdict = compare(question.kind, question.inputs, expected, question.answer)
    except CnnToolError as exc:
        return _error(base, given, str(exc))
    notes = (*answer_notes, *verdict.notes)
    if verdict.correct:
        return QuestionResult(status="correct", score=question.points, given=given, expected=expected.text,
                              notes=notes, answer_notes=answer_notes, **base)  # fmt: skip
    if allowance is not None and not allowance.spend(question.id, question.kind):
        hint, notes = "", (*notes, HintAllowance.NOTE)
    else:
        try:
            hint = find_hint(question.kind, question.inputs, expected, question.answer) or ""
        except (CnnToolError, RecursionError):
            hint = ""
    partial = question.partial if hint else 0.0
    return QuestionResult(
        status="partial" if partial else "wrong",
        score=round(question.points * partial, 6),
        given=given,
        notes=notes,
        hint=hint,
        answer_notes=answer_notes,
        **shown,
    )


# --- files -----------------------------------------------------------------------------------


def _load(source: str | Path | dict[str, Any], what: str = "answer file") -> tuple[str, dict[str, Any]]:
    if isinstance(source, dict):
        return "<answers>", source
    return str(source), read_toml(source, what)


def grade_questions(
    name: str, defaults: dict[str, Any], questions: tuple[qs.Question, ...], warnings: tuple[str, ...] = ()
) -> Report:
    works = _check_work(questions, name, AnswerFileError)
    allowance = HintAllowance(budgets.GRADE_WORK.limit - sum(works.values()), works)
    results = tuple(grade_question(q, allowance=allowance) for q in questions)
    return Report(name, results, defaults.get("title", ""), defaults.get("student", ""), warnings)


def load_key(key: str | Path | dict[str, Any] | Key) -> Key:
    """Read and validate a key: every question parses and can be computed, every answer of its own
    reads. Anything wrong is a KeyFileError (the instructor's to fix), raised before any grading."""
    if isinstance(key, Key):
        return key
    try:
        name, data = _load(key, "key")
        _, questions = qs.parse_questions(data, name)
    except AnswerFileError as exc:
        raise KeyFileError(f"in the key: {exc}") from None
    except RecursionError:
        raise KeyFileError(f"in the key {key}: nested too deeply") from None
    works = _check_work(questions, f"the key {name}", KeyFileError)
    expected: dict[str, Expected] = {}
    for q in questions:
        if q.answer_error:
            raise KeyFileError(f"in the key: {q.answer_error}")
        try:
            expected[q.id] = expected_for(q.kind, q.inputs)
        except CnnToolError as exc:
            raise KeyFileError(
                f"in the key {name}: question {q.id!r} cannot be computed: {said(exc)}"
            ) from None
        except RecursionError:
            raise KeyFileError(f"in the key {name}: question {q.id!r}: the spec nests too deeply") from None
    return Key(name, questions, expected, works)


def _check_work(questions: tuple[qs.Question, ...], name: str, error: type[CnnToolError]) -> dict[str, int]:
    """Each question's steps by id; `error` (the file's kind of error) when all of them are over budget."""
    try:
        return check_file(questions, f"grading {name}")
    except BudgetError as exc:
        raise error(str(exc)) from None


def grade(
    source: str | Path | dict[str, Any], key: str | Path | dict[str, Any] | Key | None = None
) -> Report:
    """Grade one answer file (a path or an already-parsed TOML dict), on its own or against a key."""
    if key is not None:
        return grade_against_key(load_key(key), source)
    name, data = _load(source)
    defaults, questions = qs.parse_questions(data, name)
    return grade_questions(name, defaults, questions)


def _ids(ids: list[str]) -> str:
    shown = ", ".join(repr(i if len(i) <= 64 else i[:60] + "…") for i in ids[:MAX_LISTED_IDS])
    return shown + (f" and {len(ids) - MAX_LISTED_IDS:,} more" if len(ids) > MAX_LISTED_IDS else "")


def submission_answers(data: dict[str, Any], name: str) -> dict[str, Any]:
    """id → raw answer from an `[answers]` table and/or `[[question]]` tables with id and answer.

    Raises AnswerFileError only for structure that hides which answer is whose (see the module doc).
    """
    answers: dict[str, Any] = {}
    table = data.get("answers", {})
    if not isinstance(table, dict):
        raise AnswerFileError(f"{name}: 'answers' must be a table: [answers] then lines like q1 = 760")
    if len(table) > MAX_QUESTIONS:
        raise AnswerFileError(f"{name}: {len(table):,} answers is beyond the limit of {MAX_QUESTIONS}")
    for qid, value in table.items():
        answers[str(qid)] = value
    for position, entry in enumerate(qs.question_tables(data, name), start=1):
        qid = qs.question_id(entry, position, name)
        if "answer" in entry:
            if qid in answers:
                raise AnswerFileError(f"{name}: question {qid!r} is answered twice")
            answers[qid] = entry["answer"]
    return answers


def _file_warnings(data: dict[str, Any], name: str, key: Key) -> tuple[dict[str, str], list[str]]:
    """A submission's title and student (when readable), and warnings about top-level keys it has
    that a submission does not use: nothing at the top level is fatal once answers can be found."""
    ids = {q.id for q in key.questions}
    warnings: list[str] = []
    for field in data:
        if field in ids:
            warnings.append(f"{field!r} is at the top level, where no answer is read; write answers "
                            "after an [answers] line")  # fmt: skip
        elif field in ("layout", "convention"):
            warnings.append(f"top-level field {field!r} is ignored: the key sets it for every question")
        elif field not in TOP_LEVEL:
            close = closest(field, TOP_LEVEL)
            hint = f" (did you mean {close!r}?)" if close else ""
            warnings.append(f"top-level field {_ids([field])} is not read{hint}")
    names: dict[str, str] = {}
    for spec in FILE_FIELDS:
        if spec.name in ("title", "student") and spec.name in data:
            assert spec.type is not None
            try:
                names[spec.name] = spec.type.parse(data[spec.name], Where(name, field=spec.name))
            except AnswerFileError as exc:
                warnings.append(f"{exc} (ignored)")
    return names, warnings


def _stray_fields(data: dict[str, Any], name: str, key: Key) -> dict[str, list[str]]:
    """id → notes about fields of its `[[question]]` table that are never read ('answr' for 'answer')."""
    kinds = {q.id: q.kind for q in key.questions}
    notes: dict[str, list[str]] = {}
    for position, entry in enumerate(qs.question_tables(data, name), start=1):
        qid = qs.question_id(entry, position, name)
        if qid not in kinds:
            continue
        allowed = allowed_fields(kinds[qid])
        for field in entry:
            if field not in allowed:
                close = closest(str(field), allowed)
                hint = f" (did you mean {close!r}?)" if close else ""
                notes.setdefault(qid, []).append(f"field {_ids([str(field)])} is not read{hint}")
    return notes


def grade_against_key(key: Key | str | Path | dict[str, Any], source: str | Path | dict[str, Any]) -> Report:
    """The key's questions with the submission's answers (each read by its question's kind)."""
    key = load_key(key)
    name, data = _load(source)
    names, warnings = _file_warnings(data, name, key)
    answers = submission_answers(data, name)
    stray = _stray_fields(data, name, key)
    known = [q.id for q in key.questions]
    unknown = [qid for qid in answers if qid not in set(known)]
    if unknown:
        warnings.append(f"answers to questions that are not in the key are not graded: {_ids(unknown)}")
    for qid in unknown:  # "Q1 = 760" for q1: said at q1 too, where the student looks
        close = closest(qid, known)
        if close and close not in answers:
            stray.setdefault(close, []).append(
                f"an answer was given as {_ids([qid])}: did you mean {close!r}?"
            )
    results = []
    allowance = HintAllowance(budgets.GRADE_WORK.limit, key.works)  # the key's answers are computed already
    for q in key.questions:
        answer, error = qs.read_answer(q.kind, answers.get(q.id), q.inputs, Where(name, q.id))
        question = dataclasses.replace(q, answer=answer, raw_answer=answers.get(q.id), answer_error=error)
        results.append(grade_question(question, key.expected[q.id], tuple(stray.get(q.id, ())), allowance))
    return Report(name, tuple(results), names.get("title", ""), names.get("student", ""), tuple(warnings))


def grade_text(text: str, key: str | Path | Key | None = None) -> Report:
    """Grade TOML text (for tests and tools that hold the file in memory)."""
    return grade(parse_toml(text), key)
