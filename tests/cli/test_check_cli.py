"""`cnntool check` and `cnntool quiz` through Typer's CliRunner: exit codes, reports, malformed files."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cnntool.cli import check

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

root = typer.Typer(pretty_exceptions_enable=False)
root.add_typer(check.app)


@root.callback()
def _root() -> None:
    """Stand-in for the cnntool root app (this module only registers its own commands)."""


runner = CliRunner()


def run(*args: str):
    return runner.invoke(root, [str(a) for a in args])


def assert_clean_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_exit_codes_for_examples() -> None:
    assert run("check", EXAMPLES / "lecture_answers.toml").exit_code == 0
    wrong = run("check", EXAMPLES / "lecture_answers_wrong.toml")
    assert wrong.exit_code == 1
    assert "hint: forgot the bias" in wrong.stdout
    assert "expected:    34,944" in wrong.stdout


def test_json_report() -> None:
    result = run("check", EXAMPLES / "lecture_answers_wrong.toml", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["score"] == 0.5 and data["max_score"] == 16 and data["all_correct"] is False
    assert data["counts"]["partial"] == 1 and data["counts"]["unanswered"] == 1
    q = {x["id"]: x for x in data["questions"]}
    assert q["alexnet-params"]["given"] == 34848
    assert q["alexnet-params"]["expected"] == "34,944"
    assert "params = 96 · (3·11·11 + 1) = 34,944" in q["alexnet-params"]["derivation"]
    assert set(q["mlp"]) == {"id", "kind", "status", "score", "max_score", "given", "expected", "derivation",
                             "notes", "hint", "prompt"}  # fmt: skip


def validate_gradescope(data: dict) -> None:
    """Gradescope's results.json schema (the parts the autograder reads)."""
    assert isinstance(data["score"], (int, float))
    assert isinstance(data["output"], str)
    assert isinstance(data["tests"], list)
    for key in ("output_format", "test_output_format", "test_name_format"):
        if key in data:
            assert data[key] in ("text", "html", "simple_format", "md", "ansi")
    for key in ("visibility", "stdout_visibility"):
        if key in data:
            assert data[key] in ("hidden", "after_due_date", "after_published", "visible")
    for test in data["tests"]:
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["score"], (int, float)) and isinstance(test["max_score"], (int, float))
        assert 0 <= test["score"] <= test["max_score"]
        assert isinstance(test["output"], str)
        assert test["status"] in ("passed", "failed")
    if data["tests"]:
        assert abs(data["score"] - sum(t["score"] for t in data["tests"])) < 1e-9


def test_gradescope_results(tmp_path: Path) -> None:
    # gradescope grades against a key (docs/grading.md); an answer file is its own key here
    wrong_file, right_file = EXAMPLES / "lecture_answers_wrong.toml", EXAMPLES / "lecture_answers.toml"
    result = run("check", wrong_file, "--key", wrong_file, "--format", "gradescope")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    validate_gradescope(data)
    assert data["score"] == 0.5 and len(data["tests"]) == 16
    first = data["tests"][0]
    assert first["status"] == "failed" and "hint: forgot the bias" in first["output"]
    right = json.loads(run("check", right_file, "--key", right_file, "-f", "gradescope").stdout)
    validate_gradescope(right)
    assert right["score"] == 31 and all(t["status"] == "passed" for t in right["tests"])
    out = tmp_path / "results.json"
    assert run("check", right_file, "-k", right_file, "-f", "gradescope", "-o", out).exit_code == 0
    validate_gradescope(json.loads(out.read_text()))


@pytest.mark.parametrize("content", [None, "[[question]\nid = 1", "answers = 3"])
def test_gradescope_on_broken_or_missing_file(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "answers.toml"
    if content is not None:
        path.write_text(content)
    out = tmp_path / "results.json"
    result = run(
        "check", path, "--key", EXAMPLES / "lecture_key.toml", "--format", "gradescope", "--output", out
    )
    assert result.exit_code == 2
    data = json.loads(out.read_text())
    validate_gradescope(data)
    assert data["score"] == 0 and data["tests"] == []
    assert "could not be graded" in data["output"]


MALFORMED = {
    "toml_syntax": ('[[question]]\nid = "a"\nkind = "shape\nspec = 1\n', "line 3"),
    "toml_column": ('[[question]]\nid = "a"\nkind = = 2\n', "column"),
    "no_questions": ('title = "x"\n', "no questions"),
    "unknown_kind": ('[[question]]\nid = "a"\nkind = "shapes"\n', "did you mean 'shape'"),
    "missing_kind": ('[[question]]\nid = "a"\n', "field 'kind'"),
    "missing_id": ('[[question]]\nkind = "shape"\n', "field 'id'"),
    "missing_spec": (
        '[[question]]\nid = "a"\nkind = "shape"\nanswer = "1x2x2"\n',
        "question 'a', field 'spec'",
    ),
    "unknown_field": (
        '[[question]]\nid = "a"\nkind = "feasible"\ninput = 7\nkernel = 3\nstrid = 2\n',
        "field 'strid'",
    ),
    "wrong_type_spec": ('[[question]]\nid = "a"\nkind = "shape"\nspec = 3\n', "field 'spec'"),
    "bad_layer": (
        '[[question]]\nid = "a"\nkind = "shape"\nspec = "3x8x8 | conv 2 k3"\nlayer = 0\n',
        "field 'layer'",
    ),
    "bad_layout": (
        'layout = "nhwc"\n[[question]]\nid = "a"\nkind = "shape"\nspec = "3x8x8"\n',
        "field 'layout'",
    ),
    "bad_points": ('[[question]]\nid = "a"\nkind = "shape"\nspec = "3x8x8"\npoints = -1\n', "field 'points'"),
    "bad_partial": (
        '[[question]]\nid = "a"\nkind = "shape"\nspec = "3x8x8"\npartial = 2\n',
        "field 'partial'",
    ),
    "duplicate_id": (
        '[[question]]\nid = "a"\nkind = "shape"\nspec = "3x8x8"\n'
        '[[question]]\nid = "a"\nkind = "shape"\nspec = "3x8x8"\n',
        "ids must be unique",
    ),
    "bad_matrix": (
        '[[question]]\nid = "a"\nkind = "conv"\nimage = "1 2; 3"\nkernel = "1"\n',
        "field 'image'",
    ),
    "bad_matrix_entry": (
        '[[question]]\nid = "a"\nkind = "conv"\nimage = [[1, "x"]]\nkernel = "1"\n',
        "field 'image[0][1]'",
    ),
    "file_reference": (
        '[[question]]\nid = "a"\nkind = "conv"\nimage = "@/etc/passwd"\nkernel = "1"\n',
        "'@file' references are not read",
    ),
    "huge_matrix": (
        '[[question]]\nid = "a"\nkind = "conv"\nkernel = "1"\nimage = "'
        + "; ".join(["1 " * 100] * 100)
        + '"\n',
        "beyond the limit",
    ),
    "bad_fix": (
        '[[question]]\nid = "a"\nkind = "feasible"\ninput = 7\nkernel = 3\nstride = 1\nfix = 2\n',
        "field 'fix'",
    ),
    "unknown_top": (
        'titel = "x"\n[[question]]\nid = "a"\nkind = "shape"\nspec = "3x8x8"\n',
        "did you mean 'title'",
    ),
    "question_not_table": ("question = 3\n", "array of tables"),
    "not_utf8": (b"\xff\xfe[[question]]", "not UTF-8"),
    "bad_tolerance": (
        '[[question]]\nid = "a"\nkind = "conv"\nimage = "1"\nkernel = "1"\ntolerance = -1\n',
        "field 'tolerance'",
    ),
}


BAD_ANSWERS = {  # one answer that cannot be read: that question is wrong, the file is graded
    "wrong_type_answer": (
        '[[question]]\nid = "a"\nkind = "params"\nspec = "3x8x8 | conv 2 k3"\nanswer = true\n',
        "question 'a', field 'answer'",
    ),
    "wrong_type_shape": (
        '[[question]]\nid = "a"\nkind = "shape"\nspec = "3x8x8 | conv 2 k3"\nanswer = "big"\n',
        "field 'answer'",
    ),
    "bad_bool": (
        '[[question]]\nid = "a"\nkind = "feasible"\ninput = 7\nkernel = 3\nstride = 1\nanswer = 3\n',
        "expected true or false",
    ),
    "bad_number": (
        '[[question]]\nid = "a"\nkind = "conv"\nimage = "1"\nkernel = "1"\nat = [0, 0]\nanswer = "7/0"\n',
        "field 'answer'",
    ),
    "nan_answer": (
        '[[question]]\nid = "a"\nkind = "conv"\nimage = "1"\nkernel = "1"\nat = [0, 0]\nanswer = nan\n',
        "finite",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_ANSWERS))
def test_an_unreadable_answer_is_that_question_s_problem(tmp_path: Path, name: str) -> None:
    content, fragment = BAD_ANSWERS[name]
    path = tmp_path / f"{name}.toml"
    path.write_text(content)
    result = run("check", path)
    assert result.exit_code == 1, (result.exit_code, result.output)  # graded: a wrong answer, not a bad file
    assert "Traceback" not in result.output and fragment in " ".join(
        result.stdout.split()
    )  # rich wraps at spaces
    data = json.loads(run("check", path, "--json").stdout)
    (question,) = data["questions"]
    assert question["status"] == "wrong" and "your answer could not be read" in question["notes"][0]
    assert fragment in question["notes"][0]


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_files_exit_2_without_traceback(tmp_path: Path, name: str) -> None:
    content, fragment = MALFORMED[name]
    path = tmp_path / f"{name}.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    assert_clean_error(run("check", path), fragment)


def test_oversize_and_missing_files(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * 300_000 + "\n")
    assert_clean_error(run("check", big), "larger than the limit")
    assert_clean_error(run("check", tmp_path / "missing.toml"), "file not found")
    # an unknown format is refused by the option's choices (Typer's message, one line when the terminal is wide)
    bad_format = runner.invoke(
        root, ["check", str(EXAMPLES / "lecture_answers.toml"), "--format", "yaml"], env={"COLUMNS": "200"}
    )
    assert_clean_error(bad_format, "'--format'", "'yaml' is not one of 'text', 'json', 'gradescope'")


def test_folder_against_key_with_broken_file(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("ada.toml", "bob.toml"):
        (subs / name).write_text((EXAMPLES / "submissions" / name).read_text())
    (subs / "broken.toml").write_text("[answers\nq1 = 1\n")
    (subs / "stranger.toml").write_text("[answers]\nq9 = 1\n")
    out = tmp_path / "grades.csv"
    result = run("check", "--key", EXAMPLES / "lecture_key.toml", subs, "--csv", out)
    assert result.exit_code == 2  # graded, but a file could not be read
    assert "broken.toml" in result.stderr and "not in the key" in result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    by_file = {Path(r["file"]).name: r for r in rows}
    assert by_file["ada.toml"]["score"] == "5" and by_file["bob.toml"]["score"] == "0.5"
    assert by_file["broken.toml"]["status"].startswith("error")
    # an answer to an id the key does not have is a warning: the rest of that file is graded
    assert by_file["stranger.toml"]["score"] == "0" and by_file["stranger.toml"]["status"] == "graded"
    assert "warning: " in result.stderr and "stranger.toml" in result.stderr
    # never overwrite without --force, never the key or an answer file
    assert_clean_error(run("check", "--key", EXAMPLES / "lecture_key.toml", subs, "--csv", out), "--force")
    assert_clean_error(
        run(
            "check",
            "--key",
            EXAMPLES / "lecture_key.toml",
            subs,
            "--csv",
            EXAMPLES / "lecture_key.toml",
            "--force",
        ),
        "would overwrite",
    )
    assert_clean_error(
        run("check", "--key", EXAMPLES / "lecture_key.toml", subs, "--csv", subs / "ada.toml", "--force"),
        "would overwrite",
    )
    assert (subs / "ada.toml").read_text() == (EXAMPLES / "submissions" / "ada.toml").read_text()
    assert run("check", "--key", EXAMPLES / "lecture_key.toml", subs, "--csv", out, "--force").exit_code == 2


def test_folder_all_right_exits_0(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text((EXAMPLES / "submissions" / "ada.toml").read_text())
    result = run("check", "--key", EXAMPLES / "lecture_key.toml", tmp_path, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["broken"] == [] and data["files"][0]["score"] == 5


def test_malformed_key_exits_2(tmp_path: Path) -> None:
    key = tmp_path / "key.toml"
    key.write_text('[[question]]\nid = "a"\nkind = "nope"\n')
    assert_clean_error(run("check", "--key", key, EXAMPLES / "submissions"), "unknown kind")


def test_quiz_files_and_round_trip(tmp_path: Path) -> None:
    quiz, key = tmp_path / "quiz.toml", tmp_path / "key.toml"
    args = ("quiz", "--seed", "7", "--count", "10", "--kinds", "shape,params,conv,pool,infeasible")
    assert run(*args, "--out", quiz, "--key", key).exit_code == 0
    assert run("check", "--key", key, key).exit_code == 0
    assert run("check", key, "--json").exit_code == 0
    blank = run("check", "--key", key, quiz)
    assert blank.exit_code == 1
    # same seed → same bytes; refuse to overwrite without --force
    assert_clean_error(run(*args, "--out", quiz), "--force")
    again = tmp_path / "again.toml"
    assert run(*args, "--key", again).exit_code == 0
    assert again.read_bytes() == key.read_bytes()
    assert run(*args).stdout.encode() == quiz.read_bytes()


def test_quiz_markdown_and_errors() -> None:
    result = run("quiz", "--seed", "7", "--render", "markdown", "--kinds", "conv,pool,feasible")
    assert result.exit_code == 0 and result.stdout.startswith("# cnntool quiz, seed 7")
    assert_clean_error(run("quiz", "--kinds", "shape,bogus"), "unknown kind")
    assert_clean_error(run("quiz", "--difficulty", "brutal"), "difficulty")
    assert_clean_error(run("quiz", "--render", "pdf"), "--render")
    assert_clean_error(run("quiz", "--count", "0"), "--count")


def test_spec_is_never_read_as_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.net"
    secret.write_text("3x8x8 | conv 2 k3  # SECRET\n")
    path = tmp_path / "a.toml"
    path.write_text(f'[[question]]\nid = "a"\nkind = "params"\nspec = "{secret}"\nanswer = 56\n')
    result = run("check", path, "--json")
    assert result.exit_code == 1
    assert "SECRET" not in result.output
    assert json.loads(result.stdout)["questions"][0]["status"] == "error"


def test_too_much_work_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    image = "; ".join([" ".join(["1"] * 64)] * 64)
    path.write_text(
        f'[[question]]\nid = "a"\nkind = "conv"\nimage = "{image}"\nkernel = "{image}"\npadding = 100\n'
    )
    assert_clean_error(run("check", path), "field 'padding'")
    path.write_text(f'[[question]]\nid = "a"\nkind = "conv"\nimage = "{image}"\nkernel = "{image}"\n')
    assert_clean_error(run("check", path), "multiplications")


def test_quiz_recurrent_topics_from_the_shell(tmp_path: Path) -> None:
    quiz, key = tmp_path / "rnn.toml", tmp_path / "rnn-key.toml"
    made = run("quiz", "--seed", 3, "--kinds", "recurrent", "-d", "hard", "--out", quiz, "--key", key)
    assert made.exit_code == 0, made.output
    assert run("check", key).exit_code == 0  # the key grades 100 %
    assert 'kind = "total_params"' in quiz.read_text() and "answer" not in quiz.read_text()
    assert_clean_error(run("quiz", "--kinds", "rnn_parms"), "did you mean 'rnn_params'")
