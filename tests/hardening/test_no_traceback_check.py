"""Class 2 of the hardening issue, the checker's side: bad input never gives a traceback.

Every hostile answer file, key or folder entry runs in a child process with a memory limit
(tests/hardening/sandbox.py). The rule: a whole file that cannot be read is one `error:` line
and exit 2; one answer that cannot be read is that question's problem (exit 1), named by file,
question and field; nothing any input holds reaches a catch-all ("internal error").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnntool.check import AnswerFileError, grade, load_key
from cnntool.check.report import gradescope, report_json
from cnntool.check.toml_io import parse_toml
from tests.hardening.sandbox import ROOT, assert_refused, run

EXAMPLES = ROOT / "examples"
KEY = EXAMPLES / "lecture_key.toml"
DIGITS = "9" * 5000
CELL = '[[question]]\nid = "big"\nkind = "conv"\nimage = "1"\nkernel = "1"\nat = [0, 0]\n'


def _strict_json(text: str) -> object:
    """JSON as a strict reader takes it: NaN and Infinity are not JSON."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _questions(outcome) -> dict:
    data = _strict_json(outcome.stdout)
    return {q["id"]: q for q in data["questions"]}


def _wrong_with(question: dict, *fragments: str) -> None:
    assert question["status"] == "wrong" and question["score"] == 0, question
    note = question["notes"][0]
    assert note.startswith("your answer could not be read: "), note
    for fragment in fragments:
        assert fragment in note, (fragment, note)


# --- 5,000 digits -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        f'"{DIGITS}"',
        DIGITS,
        "9" * 1000,
        f'"{DIGITS}/7"',
        f'"0.{DIGITS}"',
        f"[[{DIGITS}]]",
        f'"1,{"999," * 1300}9"',
    ],
    ids=["quoted", "bare", "bare-1000", "fraction", "decimal", "nested", "separators"],
)
def test_a_huge_number_is_that_question_s_problem(tmp_path: Path, answer: str) -> None:
    path = tmp_path / "big.toml"
    path.write_text(f"{CELL}answer = {answer}\n" + '[[question]]\nid = "ok"\nkind = "feasible"\n'
                    "input = 7\nkernel = 3\nstride = 2\nanswer = true\n")  # fmt: skip
    outcome = run(["check", str(path), "--json"])
    assert outcome.code == 1 and "Traceback" not in outcome.stderr and outcome.seconds < 5, outcome.stderr
    questions = _questions(outcome)
    _wrong_with(questions["big"], f"{path}: question 'big', field 'answer'", "characters", "at most 40")
    assert questions["ok"]["status"] == "correct"  # (7 − 3)/2 + 1 = 3: the rest of the file is graded


def test_a_huge_number_in_a_submission_names_the_submission_and_question(tmp_path: Path) -> None:
    path = tmp_path / "eve.toml"
    path.write_text(f'[answers]\nq2 = {DIGITS}\nq1 = "32x32x10"\nq3 = "{DIGITS}x3"\n')
    outcome = run(["check", str(path), "--key", str(KEY), "--json"])
    assert outcome.code == 1 and outcome.seconds < 5, outcome.stderr
    questions = _questions(outcome)
    _wrong_with(questions["q2"], f"{path}: question 'q2', field 'answer'", "5,000")
    _wrong_with(questions["q3"], f"{path}: question 'q3', field 'answer'")
    assert questions["q1"]["status"] == "correct"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("image", f'"1 {DIGITS}"'),
        ("image", f'"[[1, {DIGITS}]]"'),
        ("bias", DIGITS),
        ("stride", f'"{DIGITS}"'),
    ],
)
def test_a_huge_number_in_a_question_fails_the_file_with_its_field(
    tmp_path: Path, field: str, value: str
) -> None:
    path = tmp_path / "q.toml"
    body = {"image": '"1 2; 3 4"', "kernel": '"1"', field: value}
    path.write_text(
        '[[question]]\nid = "q"\nkind = "conv"\n' + "".join(f"{k} = {v}\n" for k, v in body.items())
    )
    assert_refused(run(["check", str(path)]), f"{path}: question 'q', field '{field}", "characters")


def test_a_huge_number_in_the_key_is_the_key_s_error(tmp_path: Path) -> None:
    key = tmp_path / "key.toml"
    key.write_text(f'[[question]]\nid = "q1"\nkind = "feasible"\ninput = {DIGITS}\nkernel = 3\nstride = 1\n')
    assert_refused(run(["check", "--key", str(key), str(EXAMPLES / "submissions")]), "in the key", "'input'")


# --- what is not a file --------------------------------------------------------------------------


@pytest.fixture
def hostile_folder(tmp_path: Path) -> Path:
    """ada and bob, then a FIFO, a symlink loop, a link to /dev/zero, a dangling link and a folder."""
    folder = tmp_path / "subs"
    folder.mkdir()
    for name in ("ada.toml", "bob.toml"):
        (folder / name).write_bytes((EXAMPLES / "submissions" / name).read_bytes())
    os.mkfifo(folder / "fifo.toml")  # opening it would block forever: no writer ever comes
    (folder / "loop.toml").symlink_to(folder / "loop.toml")
    (folder / "zero.toml").symlink_to("/dev/zero")
    (folder / "gone.toml").symlink_to(folder / "nowhere.toml")
    (folder / "dir.toml").mkdir()
    return folder


def test_a_folder_with_pipes_devices_and_loops_is_graded_and_never_blocks(
    hostile_folder: Path, tmp_path: Path
) -> None:
    grades = tmp_path / "grades.csv"
    outcome = run(["check", "--key", str(KEY), str(hostile_folder), "--csv", str(grades)], timeout=20)
    assert outcome.code == 2 and "Traceback" not in outcome.stderr and outcome.seconds < 10, outcome.stderr
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("error: ")]
    reasons = {Path(line.split(": ")[1]).name: line for line in errors}
    assert set(reasons) == {"fifo.toml", "loop.toml", "zero.toml", "gone.toml", "dir.toml"}, errors
    assert "not a regular file" in reasons["fifo.toml"] and "not a regular file" in reasons["zero.toml"]
    assert "symbolic links" in reasons["loop.toml"] and "does not exist" in reasons["gone.toml"]
    assert "is a folder" in reasons["dir.toml"]
    rows = {Path(r.split(",")[0]).name: r for r in grades.read_text().splitlines()[1:]}
    assert rows["ada.toml"].split(",")[2] == "5" and rows["bob.toml"].split(",")[2] == "0.5"
    assert all(",error: " in rows[n] for n in reasons)


@pytest.mark.parametrize("kind", ["fifo", "loop", "zero", "urandom", "folder"])
def test_one_file_that_is_not_a_file_is_one_error(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "answers.toml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "loop":
        path.symlink_to(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path.symlink_to(f"/dev/{kind}")
    outcome = run(["check", str(path)], timeout=20)
    assert_refused(outcome, str(path))
    assert_refused(
        run(["check", "--key", str(path), str(EXAMPLES / "submissions")], timeout=20), "in the key"
    )
    gradescope_run = run(["check", str(path), "--key", str(KEY), "-f", "gradescope"], timeout=20)
    assert gradescope_run.code == 2 and _strict_json(gradescope_run.stdout)["score"] == 0


def test_an_endless_or_huge_answer_file_is_read_only_to_its_budget(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_text('[answers]\nq1 = "' + "x" * 5_000_000 + '"\n')
    assert_refused(run(["check", str(big), "--key", str(KEY)], memory_mb=600), "big.toml", "262,144 bytes")


# --- nesting ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("a = " + "[" * 5000 + "]" * 5000, ("nested too deeply",)),
        ("a = " + "{b = " * 3000 + "1" + "}" * 3000, ("nested too deeply",)),
        ("a = " + "[" * 20 + "]" * 20, ("nested more than 8 levels",)),
        ("[answers]\nq1 = " + "[" * 9 + "1" + "]" * 9, ("nested more than 8 levels",)),
        (
            '[[question]]\nid = "a"\nkind = "conv"\nkernel = "1"\nimage = "' + "[" * 19_000 + '"',
            ("nested too deeply",),
        ),
    ],
    ids=["arrays", "tables", "twenty", "answer", "matrix-text"],
)
def test_absurd_nesting_is_one_error(tmp_path: Path, text: str, fragments: tuple[str, ...]) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(text)
    assert_refused(run(["check", str(path)]), "deep.toml", *fragments)
    assert_refused(
        run(["check", "--key", str(path), str(EXAMPLES / "submissions")]), "in the key", *fragments
    )


def test_a_deeply_nested_matrix_answer_is_that_question_s_problem(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text(f'{CELL}answer = "{"[" * 50_000}"\n')
    outcome = run(["check", str(path), "--json"])
    assert outcome.code == 1, outcome.stderr
    _wrong_with(_questions(outcome)["big"], "field 'answer'")


# --- values TOML has and JSON has not ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "given"),
    [
        ("nan", "nan"),
        ("-inf", "-inf"),
        ("1979-05-27T07:32:00Z", "1979-05-27T07:32:00+00:00"),
        ("07:32:00", "07:32:00"),
    ],
)
def test_answers_json_cannot_hold_still_give_valid_json(tmp_path: Path, answer: str, given: str) -> None:
    path = tmp_path / "a.toml"
    path.write_text(f"{CELL}answer = {answer}\n")
    outcome = run(["check", str(path), "--json"])
    assert outcome.code == 1 and "Traceback" not in outcome.stderr, outcome.stderr
    question = _strict_json(outcome.stdout)["questions"][0]
    assert question["given"] == given and question["status"] == "wrong"
    submission = tmp_path / "s.toml"
    submission.write_text(f"[answers]\nq4 = {answer}\nq2 = 760\n")  # q4: the X/O cell, a number
    outcome = run(["check", str(submission), "--key", str(KEY), "-f", "gradescope"])
    assert outcome.code == 1 and "Traceback" not in outcome.stderr, outcome.stderr
    tests = {t["name"]: t for t in _strict_json(outcome.stdout)["tests"]}
    assert given in tests["q4 (conv)"]["output"] and tests["q2 (params)"]["status"] == "passed"
    # the file as its own key: its unreadable answer is the instructor's error, said as the key's
    assert_refused(run(["check", str(path), "--key", str(path)]), "in the key", "field 'answer'")


def test_a_network_without_layers_is_a_question_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text('[[question]]\nid = "a"\nkind = "params"\nspec = "3x8x8"\nanswer = 1\n')
    outcome = run(["check", str(path), "--json"])
    assert outcome.code == 1 and "Traceback" not in outcome.stderr
    (question,) = _questions(outcome).values()
    assert question["status"] == "error" and "no layers" in question["notes"][0]
    assert_refused(
        run(["check", "--key", str(path), str(path)]), "in the key", "question 'a' cannot be computed"
    )


def test_ids_and_fields_of_60_000_characters_cost_nothing(tmp_path: Path) -> None:
    long_id = "q" * 60_000
    path = tmp_path / "a.toml"
    path.write_text(f'{long_id} = 1\n[answers]\n{long_id} = 2\n[[question]]\nid = "q2"\n{long_id} = 3\n')
    outcome = run(["check", str(path), "--key", str(KEY), "--json"])
    assert outcome.code == 1 and outcome.seconds < 5, outcome.stderr
    data = _strict_json(outcome.stdout)
    assert all(len(w) < 400 for w in data["warnings"]) and len(data["warnings"]) == 2
    assert any("not in the key" in w for w in data["warnings"])
    assert "is not read" in _questions(outcome)["q2"]["notes"][1]


# --- a closed pipe ----------------------------------------------------------------------------------


def _many_wrong(tmp_path: Path) -> Path:
    """500 wrong answers with their derivations: far more output than a pipe holds."""
    path = tmp_path / "many.toml"
    path.write_text("".join(f'[[question]]\nid = "q{n}"\nkind = "params"\nspec = "3x227x227 | conv 96 k11 s4"\n'
                            "answer = 1\n" for n in range(500)))  # fmt: skip
    return path


@pytest.mark.parametrize(
    "args", [[], ["--json"], ["-f", "gradescope", "--key", "{path}"], ["{path}", "--json"]]
)
def test_a_reader_that_leaves_early_is_not_a_wrong_answer(tmp_path: Path, args: list[str]) -> None:
    path = _many_wrong(tmp_path)
    command = [sys.executable, "-m", "cnntool", "check", str(path), *(a.format(path=path) for a in args)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.readline()  # `| head -1`
    child.stdout.close()
    stderr = child.stderr.read().decode()
    assert child.wait(timeout=60) == 0, stderr  # the wrong answers would be exit 1: nobody read them
    assert "Traceback" not in stderr and "Exception ignored" not in stderr


# --- no input reaches a catch-all ------------------------------------------------------------------

TOML_VALUES = st.recursive(
    st.one_of(
        st.integers(min_value=-(10**60), max_value=10**60),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
        st.sampled_from(["10x32x32", "7/9", "-1/0", "all", "x", "diag", "1 2; 3 4", "[[1, 2]]", "@/etc/passwd",
                         "34,944", "1e999", "nan", "0x10", "(10, 32, 32)", "5x5", "", " ", "[" * 40]),
    ),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(TOML_VALUES, min_size=5, max_size=5),
    st.dictionaries(st.text(max_size=8), TOML_VALUES, max_size=3),
)
def test_any_answers_are_graded_or_refused_never_crash(values: list, extra: dict) -> None:
    """In-process: whatever a submission answers, grading gives a report whose JSON and results.json
    are strict JSON, or an AnswerFileError (a TOML tomli-w cannot write is no input at all)."""
    answers = {f"q{n}": value for n, value in enumerate(values, start=1)} | extra
    try:
        text = tomli_w.dumps({"student": "x", "answers": answers})
    except (TypeError, ValueError):
        return
    key = load_key(KEY)
    try:
        report = grade(parse_toml(text), key)
    except AnswerFileError:
        return
    for document in (report_json(report), gradescope(report), gradescope(report, hide_answers=True)):
        encoded = json.dumps(document, allow_nan=False)
        assert "internal error" not in encoded
    assert len(report.results) == 5 and {r.status for r in report.results} <= {
        "correct",
        "partial",
        "wrong",
        "unanswered",
    }
