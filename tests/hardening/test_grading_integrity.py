"""Grading integrity (hardening issue): the key decides, one bad answer costs one question, one broken
file costs one row, the key's errors are the instructor's, and answers can be kept from leaking.

The rules are docs/grading.md's; each test tries one with a hostile submission or key. Expected
scores are the lecture key's (examples/lecture_key.toml: five questions of 1 point, q2 with
partial = 0.5): 32x32x10, 760, false, 7/9 (0.77 truncated), 4x4x1.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

from cnntool.check import grade, grade_text
from cnntool.check.handout import render_markdown
from cnntool.check.quiz import make_quiz
from tests.hardening.sandbox import ROOT, assert_refused, run

EXAMPLES = ROOT / "examples"
KEY = EXAMPLES / "lecture_key.toml"
CHEAT = '[[question]]\nid = "q1"\nkind = "feasible"\ninput = 7\nkernel = 3\nstride = 1\nanswer = true\npoints = 1000\n'


def _gradescope(outcome) -> dict:
    assert "Traceback" not in outcome.stderr, outcome.stderr
    return json.loads(outcome.stdout)


# --- the key decides -------------------------------------------------------------------------------


def test_a_student_s_own_points_never_count_with_a_key(tmp_path: Path) -> None:
    path = tmp_path / "eve.toml"
    path.write_text(CHEAT)
    assert grade(path).score == 1000  # on its own, the file sets its points: why a grade needs a key
    report = grade(path, KEY)
    assert report.max_score == 5 and report.score == 0  # the key's q1 is a shape question: true is unreadable
    assert report.results[0].status == "wrong" and "expected a shape" in report.results[0].notes[0]


def test_gradescope_without_a_key_is_refused_and_says_so_to_both(tmp_path: Path) -> None:
    path = tmp_path / "eve.toml"
    path.write_text(CHEAT)
    out = tmp_path / "results.json"
    outcome = run(["check", str(path), "--format", "gradescope", "-o", str(out)])
    assert_refused(outcome, "--format gradescope needs --key KEY", "points = 1000")
    data = json.loads(out.read_text())
    assert data["score"] == 0 and data["tests"] == []
    assert "autograder's setup" in data["output"] and "not in your file" in data["output"]


def test_a_student_cannot_change_a_question_by_editing_it(tmp_path: Path) -> None:
    """q2 rewritten as a 1-filter layer (3·25 + 1 = 76 parameters) and answered 76: graded as the key's 760."""
    path = tmp_path / "eve.toml"
    path.write_text('[[question]]\nid = "q2"\nkind = "params"\nspec = "32x32x3 | conv 1 k5"\nanswer = 76\n')
    q2 = grade(path, KEY).results[1]
    assert q2.id == "q2" and q2.status == "wrong" and q2.expected == "760"


# --- one bad answer costs one question ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qid", "bad", "fragment"),
    [
        ("q4", "nan", "expected a finite number, got nan"),
        ("q4", "inf", "expected a finite number, got inf"),
        ("q1", '"10 by 32"', "expected a shape"),
        ("q4", "[[1, 2], [3]]", "expected a number"),
        ("q2", "{ a = 1 }", "got a table"),
        ("q2", f'"{"7" * 5000}"', "5,000 characters"),
        ("q2", "7" * 5000, "5,000 characters"),
        ("q3", "1979-05-27", "got date"),
        ("q5", "[]", "expected a shape"),
    ],
    ids=["nan", "inf", "shape", "ragged", "table", "digits", "bare-digits", "date", "empty"],
)
def test_one_bad_answer_marks_only_its_question_wrong(
    tmp_path: Path, qid: str, bad: str, fragment: str
) -> None:
    answers = {"q1": '"32x32x10"', "q2": "760", "q3": "false", "q4": '"7/9"', "q5": '"4x4x1"', qid: bad}
    path = tmp_path / "s.toml"
    path.write_text("[answers]\n" + "".join(f"{k} = {v}\n" for k, v in answers.items()))
    report = grade(path, KEY)
    by_id = {r.id: r for r in report.results}
    assert by_id[qid].status == "wrong" and by_id[qid].score == 0
    note = by_id[qid].notes[0]
    assert note.startswith(f"your answer could not be read: {path}: question '{qid}', field 'answer': "), note
    assert fragment in note, note
    assert all(r.correct for r in report.results if r.id != qid)  # the other four are graded
    assert report.score == 4 and report.max_score == 5


def test_an_answer_under_the_wrong_id_is_said_where_the_student_looks(tmp_path: Path) -> None:
    report = grade_text('[answers]\nQ1 = "32x32x10"\nq2 = 760\nq9 = 1\n', KEY)
    q1 = report.results[0]
    assert q1.status == "unanswered" and "did you mean 'q1'?" in q1.notes[-1]
    assert report.warnings == ("answers to questions that are not in the key are not graded: 'Q1', 'q9'",)
    assert report.score == 1  # q2


def test_stray_fields_and_keys_are_warnings_and_the_rest_is_graded() -> None:
    text = 'q1 = "32x32x10"\nlayout = "chw"\nnmae = "x"\n[[question]]\nid = "q2"\nanswr = 760\n'
    report = grade_text(text, KEY)
    assert report.score == 0 and report.results[1].status == "unanswered"
    assert "field 'answr' is not read (did you mean 'answer'?)" in report.results[1].notes
    joined = " | ".join(report.warnings)
    assert "'q1' is at the top level" in joined and "after an [answers] line" in joined
    assert "top-level field 'layout' is ignored: the key sets it" in joined
    assert "top-level field 'nmae' is not read (did you mean 'name'" not in joined  # no such field
    assert "top-level field 'nmae' is not read" in joined


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[answers\nq1 = 1\n", "not valid TOML"),
        ("answers = 3\n", "'answers' must be a table"),
        ("question = 3\n", "array of tables"),
        ("[[question]]\nanswer = 760\n", "question #1, field 'id': missing"),
        ('[answers]\nq2 = 760\n[[question]]\nid = "q2"\nanswer = 750\n', "question 'q2' is answered twice"),
    ],
)
def test_structure_that_hides_whose_answer_is_which_fails_the_file(
    tmp_path: Path, text: str, fragment: str
) -> None:
    path = tmp_path / "s.toml"
    path.write_text(text)
    assert_refused(run(["check", str(path), "--key", str(KEY)]), str(path), fragment)


# --- one broken submission never stops a class ------------------------------------------------------


def test_a_class_is_graded_whatever_one_submission_holds(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("ada.toml", "bob.toml"):
        (subs / name).write_bytes((EXAMPLES / "submissions" / name).read_bytes())
    (subs / "a_broken.toml").write_text("[answers\n")
    (subs / "b_nan.toml").write_text('student = "Nan"\n[answers]\nq1 = nan\nq2 = 760\n')
    (subs / "c_huge.toml").write_text("[answers]\nq1 = " + "9" * 5000 + "\n")
    (subs / "d_deep.toml").write_text("[answers]\nq1 = " + "[" * 3000 + "]" * 3000 + "\n")
    (subs / "e_binary.toml").write_bytes(b"\xff\xfe\x00" * 100)
    os.mkfifo(subs / "f_fifo.toml")
    grades = tmp_path / "grades.csv"
    outcome = run(["check", "--key", str(KEY), str(subs), "--csv", str(grades)], timeout=30)
    assert outcome.code == 2 and "Traceback" not in outcome.stderr and outcome.seconds < 10, outcome.stderr
    rows = {Path(r["file"]).name: r for r in csv.DictReader(io.StringIO(grades.read_text()))}
    assert [rows[n]["score"] for n in ("ada.toml", "bob.toml", "b_nan.toml", "c_huge.toml")] == [
        "5",
        "0.5",
        "1",
        "0",
    ]
    for name in ("a_broken.toml", "d_deep.toml", "e_binary.toml", "f_fifo.toml"):
        assert rows[name]["status"].startswith("error: "), rows[name]
    assert "internal error" not in outcome.stderr + grades.read_text()


# --- the key's errors are the instructor's ---------------------------------------------------------

BROKEN_KEYS = {
    "syntax": ("[[question]\n", "not valid TOML"),
    "kind": ('[[question]]\nid = "q1"\nkind = "shapes"\nspec = "3x8x8 | conv 2 k3"\n', "unknown kind 'shapes'"),
    "uncomputable": ('[[question]]\nid = "q1"\nkind = "shape"\nspec = "3x8x8 | conv 2 k9"\n', "cannot be computed"),
    "no-layers": ('[[question]]\nid = "q1"\nkind = "params"\nspec = "3x8x8"\n', "no layers"),
    "own-answer": ('[[question]]\nid = "q1"\nkind = "shape"\nspec = "3x8x8 | conv 2 k3"\nanswer = nan\n', "field 'answer'"),
    "empty": ('title = "x"\n', "no questions"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BROKEN_KEYS))
def test_a_broken_key_is_the_instructor_s_error_and_never_shown_to_a_student(
    tmp_path: Path, name: str
) -> None:
    text, fragment = BROKEN_KEYS[name]
    key = tmp_path / "secret-key-folder" / "key.toml"
    key.parent.mkdir()
    key.write_text(text)
    submission = EXAMPLES / "submissions" / "ada.toml"
    assert_refused(run(["check", "--key", str(key), str(submission)]), "in the key", fragment)
    assert_refused(run(["check", "--key", str(key), str(EXAMPLES / "submissions")]), "in the key", fragment)
    out = tmp_path / "results.json"
    outcome = run(["check", "--key", str(key), str(submission), "-f", "gradescope", "-o", str(out)])
    assert_refused(outcome, "in the key", fragment)  # the instructor reads stderr
    student_sees = out.read_text()
    data = json.loads(student_sees)
    assert data["score"] == 0 and data["tests"] == []
    assert "not in your file" in data["output"] and "could not be graded: " not in data["output"]
    for secret in ("secret-key-folder", "key.toml", fragment):
        assert secret not in student_sees


def test_a_key_error_is_found_before_any_submission_is_read(tmp_path: Path) -> None:
    key = tmp_path / "key.toml"
    key.write_text(BROKEN_KEYS["uncomputable"][0])
    assert_refused(run(["check", "--key", str(key), str(tmp_path / "missing.toml")]), "in the key")


# --- answers that must not leak ---------------------------------------------------------------------

# bob answers 28x28x10, 750, true, 0.78, 3x3x1: every expected value below differs from his
LEAKS = ("32x32x10", "760", "(I − F + 2P)/S + 1", "H_out", "4x4x1", "hint", "forgot", "expected:")


def test_hide_answers_keeps_expected_values_and_work_out_of_every_format(tmp_path: Path) -> None:
    bob = str(EXAMPLES / "submissions" / "bob.toml")
    text = run(["check", bob, "--key", str(KEY), "--hide-answers"])
    assert text.code == 1 and "28x28x10" in text.stdout and "score: 0.5 / 5" in text.stdout
    assert "hidden" in text.stdout
    for leak in LEAKS:
        assert leak not in text.stdout, leak
    data = json.loads(run(["check", bob, "--key", str(KEY), "--hide-answers", "--json"]).stdout)
    assert data["answers_hidden"] is True and data["score"] == 0.5
    for question in data["questions"]:
        assert question["expected"] == "" and question["derivation"] == [] and question["hint"] == ""
    for leak in LEAKS[:5]:
        assert leak not in json.dumps(data["questions"], ensure_ascii=False), leak
    results = _gradescope(run(["check", bob, "--key", str(KEY), "--hide-answers", "-f", "gradescope"]))
    visible = [t for t in results["tests"] if t["visibility"] == "visible"]
    solutions = [t for t in results["tests"] if t["visibility"] != "visible"]
    assert len(visible) == len(solutions) == 5 and results["score"] == 0.5
    assert sum(t["score"] for t in visible) == 0.5 and all(t["max_score"] == 0 for t in solutions)
    for leak in LEAKS:
        assert leak not in json.dumps(visible, ensure_ascii=False), leak
    assert all(t["visibility"] == "after_published" for t in solutions)
    assert "expected: 760" in solutions[1]["output"] and "hint: forgot the bias" in solutions[1]["output"]


def test_without_hide_answers_the_feedback_is_all_there() -> None:
    bob = str(EXAMPLES / "submissions" / "bob.toml")
    results = _gradescope(run(["check", bob, "--key", str(KEY), "-f", "gradescope"]))
    assert len(results["tests"]) == 5 and "expected: 760" in results["tests"][1]["output"]


def test_the_handout_never_suggests_a_command_that_prints_the_answers() -> None:
    for render_seed in range(3):
        handout = render_markdown(make_quiz(render_seed, 6))
        assert "cnntool check" not in handout and "graded against your instructor's key" in handout
