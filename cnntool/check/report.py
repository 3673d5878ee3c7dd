"""Reports as data: the `--json` document, Gradescope's results.json, and CSV rows for a class.

Pure functions from `Report` to dicts and lists, so the CLI only serialises
them and tests can validate the structure without running a command. What a student
wrote is shown back as JSON-safe data (`plain`): TOML dates, NaN and infinities
become text, so every document is valid JSON whatever the file held.
"""

from __future__ import annotations

import datetime
import json
import math
from typing import Any

from cnntool.check.grade import STATUSES, FolderReport, QuestionResult, Report
from cnntool.spreadsheet import csv_text as spreadsheet_csv

GRADESCOPE_FORMAT = "text"
#: When students see a worked solution under --hide-answers: once the instructor publishes grades.
SOLUTION_VISIBILITY = "after_published"
#: Longest answer shown back as text (a 5,000-digit "number" is shown by its start and length).
MAX_GIVEN_TEXT = 200


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 6)


def plain(value: Any) -> Any:
    """A value from a TOML file as JSON can hold it: dates and times as ISO text, NaN and ±inf as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def question_json(result: QuestionResult) -> dict[str, Any]:
    return {
        "id": result.id,
        "kind": result.kind,
        "status": result.status,
        "score": _num(result.score),
        "max_score": _num(result.max_score),
        "given": plain(result.given),
        "expected": result.expected,
        "derivation": list(result.derivation),
        "notes": list(result.notes),
        "hint": result.hint,
        "prompt": result.prompt,
    }


def report_json(report: Report) -> dict[str, Any]:
    """The `cnntool check --json` document for one file (keys documented in the README)."""
    return {
        "source": report.source,
        "title": report.title,
        "student": report.student,
        "score": _num(report.score),
        "max_score": _num(report.max_score),
        "all_correct": report.all_correct,
        "counts": {status: report.count(status) for status in STATUSES},
        "warnings": list(report.warnings),
        "answers_hidden": report.answers_hidden,
        "questions": [question_json(r) for r in report.results],
    }


def folder_json(folder: FolderReport) -> dict[str, Any]:
    return {
        "key": folder.key,
        "files": [report_json(r) for r in folder.reports],
        "broken": [{"file": name, "error": message} for name, message in folder.broken],
    }


def given_text(value: Any) -> str:
    """The student's answer as they wrote it in TOML, on one line: true, 760, 10x32x32, [[2, -2], [-1, 1]].

    Answers that pass validation are numbers, booleans, strings and arrays of them,
    which JSON writes exactly as TOML's inline syntax does.
    """
    text = " ".join(value.split()) if isinstance(value, str) else json.dumps(plain(value), ensure_ascii=False)
    if len(text) > MAX_GIVEN_TEXT:
        return f"{text[: MAX_GIVEN_TEXT - 20]}… ({len(text):,} characters)"
    return text


def question_text(result: QuestionResult) -> str:
    """Plain-text feedback for one question: the verdict, then expected value, work and hint."""
    lines = [f"{result.status}: {_num(result.score)} / {_num(result.max_score)}"]
    if result.prompt:
        lines.append(result.prompt)
    if result.status != "correct":
        if result.given is not None:
            lines.append(f"your answer: {given_text(result.given)}")
        if result.expected:
            lines.append(f"expected: {result.expected}")
    lines += list(result.notes)
    if result.status != "correct":
        lines += [f"  {line}" for line in result.derivation]
    if result.hint:
        lines.append(f"hint: {result.hint}")
    return "\n".join(lines)


def _test(number: str, result: QuestionResult, name: str, visibility: str = "visible") -> dict[str, Any]:
    return {
        "name": name,
        "number": number,
        "score": _num(result.score),
        "max_score": _num(result.max_score),
        "status": "passed" if result.correct else "failed",
        "output": question_text(result),
        "output_format": GRADESCOPE_FORMAT,
        "visibility": visibility,
    }


def summary_line(report: Report) -> str:
    """ "answers.toml (Ada): 3 / 5 points, 3 of 5 questions right", then the file's warnings."""
    who = f" ({report.student})" if report.student else ""
    line = (
        f"{report.source}{who}: {_num(report.score)} / {_num(report.max_score)} points, "
        f"{report.count('correct')} of {len(report.results)} questions right"
    )
    return "\n".join([line, *(f"warning: {w}" for w in report.warnings)])


def gradescope(report: Report, hide_answers: bool = False) -> dict[str, Any]:
    """Gradescope's results.json: top-level score and one test per question (status passed/failed).

    `hide_answers`: each question's test shows the verdict, the score and the student's own answer
    only; the full feedback (expected value, derivation, hint) comes as a 0-point test with
    Gradescope's visibility `after_published`, which students see once the grades are published.
    """
    shown = report.hidden() if hide_answers else report
    tests = []
    for n, (full, result) in enumerate(zip(report.results, shown.results), start=1):
        tests.append(_test(str(n), result, f"{result.id} ({result.kind})"))
        if hide_answers:
            solution = _test(f"{n}.1", full, f"{full.id} ({full.kind}): worked solution", SOLUTION_VISIBILITY)
            tests.append({**solution, "score": 0, "max_score": 0})
    return {
        "score": _num(report.score),
        "output": summary_line(report),
        "output_format": GRADESCOPE_FORMAT,
        "test_output_format": GRADESCOPE_FORMAT,
        "test_name_format": GRADESCOPE_FORMAT,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def _failure(output: str) -> dict[str, Any]:
    return {
        "score": 0,
        "output": output,
        "output_format": GRADESCOPE_FORMAT,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }


def gradescope_failure(message: str) -> dict[str, Any]:
    """A results.json for a submission that could not be graded: score 0 and the reason."""
    return _failure(f"Your answer file could not be graded: {message}")


def gradescope_setup_failure(problem: str) -> dict[str, Any]:
    """A results.json when the autograder itself is at fault (its key, its command line): score 0, and
    words that tell the student it is not their file, without the key's path or contents."""
    return _failure(
        f"This submission could not be graded because of a problem in the autograder's setup ({problem}), "
        "not in your file. Please tell your instructor; your file will be graded once it is fixed."
    )


def csv_text(folder: FolderReport) -> str:
    """One row per file: file, student, score, max_score, status, then each question's score (key order).

    Written through `cnntool.spreadsheet`, so a file or student name cannot become a formula.
    """
    ids: list[str] = []
    for report in folder.reports:
        for r in report.results:
            if r.id not in ids:
                ids.append(r.id)
    rows: list[list[Any]] = [["file", "student", "score", "max_score", "status", *ids]]
    for report in folder.reports:
        scores = {r.id: _num(r.score) for r in report.results}
        status = "all correct" if report.all_correct else "graded"
        rows.append(
            [report.source, report.student, _num(report.score), _num(report.max_score), status]
            + [scores.get(i, "") for i in ids]
        )
    for name, message in folder.broken:
        rows.append([name, "", 0, "", f"error: {message}", *([""] * len(ids))])
    return spreadsheet_csv(rows)
