"""Reports as data: the `--json` document, Gradescope's results.json, and CSV rows for a class.

Pure functions from `Report` to dicts and lists, so the CLI only serialises
them and tests can validate the structure without running a command.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from cnntool.check.grade import STATUSES, FolderReport, QuestionResult, Report

GRADESCOPE_FORMAT = "text"


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 6)


def question_json(result: QuestionResult) -> dict[str, Any]:
    return {
        "id": result.id,
        "kind": result.kind,
        "status": result.status,
        "score": _num(result.score),
        "max_score": _num(result.max_score),
        "given": result.given,
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
    if isinstance(value, str):
        return value.strip()
    return json.dumps(value, ensure_ascii=False)


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


def gradescope(report: Report) -> dict[str, Any]:
    """Gradescope's results.json: top-level score and one test per question (status passed/failed)."""
    who = f" ({report.student})" if report.student else ""
    return {
        "score": _num(report.score),
        "output": f"{report.source}{who}: {_num(report.score)} / {_num(report.max_score)} points, "
        f"{report.count('correct')} of {len(report.results)} questions right",
        "output_format": GRADESCOPE_FORMAT,
        "test_output_format": GRADESCOPE_FORMAT,
        "test_name_format": GRADESCOPE_FORMAT,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": f"{r.id} ({r.kind})",
                "number": str(n),
                "score": _num(r.score),
                "max_score": _num(r.max_score),
                "status": "passed" if r.correct else "failed",
                "output": question_text(r),
                "output_format": GRADESCOPE_FORMAT,
                "visibility": "visible",
            }
            for n, r in enumerate(report.results, start=1)
        ],
    }


def gradescope_failure(message: str) -> dict[str, Any]:
    """A results.json for a submission that could not be graded: score 0 and the reason."""
    return {
        "score": 0,
        "output": f"Your answer file could not be graded: {message}",
        "output_format": GRADESCOPE_FORMAT,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }


def csv_text(folder: FolderReport) -> str:
    """One row per file: file, student, score, max_score, status, then each question's score (key order)."""
    ids: list[str] = []
    for report in folder.reports:
        for r in report.results:
            if r.id not in ids:
                ids.append(r.id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["file", "student", "score", "max_score", "status", *ids])
    for report in folder.reports:
        scores = {r.id: _num(r.score) for r in report.results}
        status = "all correct" if report.all_correct else "graded"
        writer.writerow(
            [report.source, report.student, _num(report.score), _num(report.max_score), status]
            + [scores.get(i, "") for i in ids]
        )
    for name, message in folder.broken:
        writer.writerow([name, "", 0, "", f"error: {message}", *([""] * len(ids))])
    return out.getvalue()
