"""Grade an answer file, or a folder of them against a key: dataclasses in, dataclasses out.

No printing and no exit codes here (the CLI decides those): `grade()` raises
`AnswerFileError` for a file that cannot be graded at all, and a question that
cannot be computed comes back as status "error" while the others are graded.

With a key, the key's questions are the truth: a submission only supplies
answers by id (an `[answers]` table, or `[[question]]` tables with `id` and
`answer`), so a student cannot change a question by editing its inputs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnntool.check import questions as qs
from cnntool.check.compare import compare
from cnntool.check.hints import find_hint
from cnntool.check.kinds import expected_for
from cnntool.check.toml_io import AnswerFileError, parse_toml, read_toml
from cnntool.check.values import Where
from cnntool.errors import CnnToolError

MAX_FOLDER_FILES = 2000
STATUSES = ("correct", "partial", "wrong", "unanswered", "error")


@dataclass(frozen=True)
class QuestionResult:
    """One graded question. status: correct | partial | wrong | unanswered | error (not computable)."""

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

    @property
    def correct(self) -> bool:
        return self.status == "correct"


@dataclass(frozen=True)
class Report:
    """All questions of one answer file."""

    source: str
    results: tuple[QuestionResult, ...]
    title: str = ""
    student: str = ""

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


@dataclass(frozen=True)
class FolderReport:
    """A folder graded against a key: a Report per readable file, an error message per broken one."""

    key: str
    reports: tuple[Report, ...]
    broken: tuple[tuple[str, str], ...]  # (file, message)


def grade_question(question: qs.Question) -> QuestionResult:
    """Compute the expected answer, compare, and look for a common mistake when wrong."""
    base = dict(id=question.id, kind=question.kind, max_score=question.points, prompt=question.prompt)
    given = question.raw_answer
    try:
        expected = expected_for(question.kind, question.inputs)
    except CnnToolError as exc:
        return QuestionResult(
            status="error", score=0.0, given=given, notes=(f"cannot compute this question: {exc}",), **base
        )
    except RecursionError:
        return QuestionResult(
            status="error",
            score=0.0,
            given=given,
            notes=("cannot compute: the spec nests too deeply",),
            **base,
        )
    if question.answer is None:
        return QuestionResult(status="unanswered", score=0.0, expected=expected.text,
                              derivation=expected.derivation, notes=("no answer given",), **base)  # fmt: skip
    try:
        verdict = compare(question.kind, question.inputs, expected, question.answer)
    except CnnToolError as exc:
        return QuestionResult(status="error", score=0.0, given=given, notes=(str(exc),), **base)
    if verdict.correct:
        return QuestionResult(status="correct", score=question.points, given=given, expected=expected.text,
                              notes=verdict.notes, **base)  # fmt: skip
    try:
        hint = find_hint(question.kind, question.inputs, expected, question.answer) or ""
    except (CnnToolError, RecursionError):
        hint = ""
    partial = question.partial if hint else 0.0
    return QuestionResult(
        status="partial" if partial else "wrong",
        score=round(question.points * partial, 6),
        given=given,
        expected=expected.text,
        derivation=expected.derivation,
        notes=verdict.notes,
        hint=hint,
        **base,
    )


def _load(source: str | Path | dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if isinstance(source, dict):
        return "<answers>", source
    return str(source), read_toml(source)


def grade_questions(name: str, defaults: dict[str, Any], questions: tuple[qs.Question, ...]) -> Report:
    results = tuple(grade_question(q) for q in questions)
    return Report(name, results, defaults.get("title", ""), defaults.get("student", ""))


def grade(source: str | Path | dict[str, Any], key: str | Path | dict[str, Any] | None = None) -> Report:
    """Grade one answer file (a path or an already-parsed TOML dict), on its own or against a key."""
    if key is not None:
        key_name, key_data = _load(key)
        _, key_questions = qs.parse_questions(key_data, key_name)
        return grade_against_key(key_questions, source)
    name, data = _load(source)
    defaults, questions = qs.parse_questions(data, name)
    return grade_questions(name, defaults, questions)


def submission_answers(data: dict[str, Any], name: str) -> dict[str, Any]:
    """id → raw answer from an `[answers]` table and/or `[[question]]` tables with id and answer."""
    answers: dict[str, Any] = {}
    table = data.get("answers", {})
    if not isinstance(table, dict):
        raise AnswerFileError(f"{name}: 'answers' must be a table: [answers] then lines like q1 = 760")
    for qid, value in table.items():
        answers[str(qid)] = value
    for position, entry in enumerate(qs.question_tables(data, name), start=1):
        qid = qs.question_id(entry, position, name)
        if "answer" in entry:
            if qid in answers:
                raise AnswerFileError(f"{name}: question {qid!r} is answered twice")
            answers[qid] = entry["answer"]
    return answers


def grade_against_key(key_questions: tuple[qs.Question, ...], source: str | Path | dict[str, Any]) -> Report:
    """The key's questions with the submission's answers (validated for each question's kind)."""
    name, data = _load(source)
    defaults = qs.file_defaults(data, name)
    answers = submission_answers(data, name)
    known = {q.id for q in key_questions}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise AnswerFileError(
            f"{name}: question {unknown[0]!r} is not in the key (known ids: {', '.join(sorted(known))})"
        )
    questions = tuple(
        dataclasses.replace(
            q,
            answer=qs.parse_answer(q.kind, answers.get(q.id), q.inputs, Where(name, q.id)),
            raw_answer=answers.get(q.id),
        )
        for q in key_questions
    )
    return grade_questions(name, defaults, questions)


def answer_files(folder: str | Path) -> list[Path]:
    """The .toml files of a folder (not recursive), sorted by name so reports are reproducible."""
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".toml" and not p.name.startswith("."))
    if len(files) > MAX_FOLDER_FILES:
        raise AnswerFileError(
            f"{folder}: {len(files)} answer files is beyond the limit of {MAX_FOLDER_FILES}"
        )
    return files


def grade_folder(key: str | Path | None, folder: str | Path, exclude: tuple[Path, ...] = ()) -> FolderReport:
    """Grade every .toml file in `folder`; a broken file is listed in `broken`, the rest are graded."""
    return grade_paths(key, [Path(folder)], exclude)


def grade_paths(
    key: str | Path | None, paths: list[Path] | tuple[Path, ...], exclude: tuple[Path, ...] = ()
) -> FolderReport:
    """Grade files and folders (their .toml files); broken files are reported, the rest graded.

    A malformed key is an error for the whole run (raised), since nothing could be graded.
    The key itself and `exclude` are skipped when a folder holds them.
    """
    key_questions = None
    if key is not None:
        _, key_questions = qs.parse_questions(read_toml(key), str(key))
    skip = {p.resolve() for p in exclude} | ({Path(key).resolve()} if key is not None else set())
    files: list[Path] = []
    for path in paths:
        if Path(path).is_dir():
            files += [p for p in answer_files(path) if p.resolve() not in skip]
        else:
            files.append(Path(path))
    if len(files) > MAX_FOLDER_FILES:
        raise AnswerFileError(f"{len(files)} answer files is beyond the limit of {MAX_FOLDER_FILES}")
    reports, broken = [], []
    for path in files:
        try:
            if key_questions is not None:
                reports.append(grade_against_key(key_questions, path))
            else:
                reports.append(grade(path))
        except CnnToolError as exc:
            broken.append((str(path), str(exc)))
        except RecursionError:
            broken.append((str(path), f"{path}: nested too deeply"))
    return FolderReport(str(key) if key is not None else "", tuple(reports), tuple(broken))


def grade_text(text: str, key: str | Path | None = None) -> Report:
    """Grade TOML text (for tests and tools that hold the file in memory)."""
    return grade(parse_toml(text), key)
