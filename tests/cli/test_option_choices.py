"""Option values are Typer choices and ranges: shown in --help, completed by the shell, refused in one line."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest
from typer.testing import CliRunner

from cnntool.check import quiz as core_quiz
from cnntool.cli import check as check_cli
from cnntool.cli.app import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()
WIDE = {"COLUMNS": "200"}  # so that Typer's error box holds the message on one line

BAD_VALUES = [
    (
        ["summary", "lenet5", "--format", "xml"],
        "Invalid value for '--format' / '-f': 'xml' is not one of 'table', 'json', 'markdown', 'csv'.",
    ),
    (
        ["check", str(EXAMPLES / "lecture_answers.toml"), "-f", "yaml"],
        "Invalid value for '--format' / '-f': 'yaml' is not one of 'text', 'json', 'gradescope'.",
    ),
    (
        ["quiz", "--difficulty", "brutal"],
        "Invalid value for '--difficulty' / '-d': 'brutal' is not one of 'easy', 'medium', 'hard'.",
    ),
    (
        ["quiz", "--render", "pdf"],
        "Invalid value for '--render' / '-r': 'pdf' is not one of 'toml', 'markdown'.",
    ),
    (["quiz", "--count", "0"], "Invalid value for '--count' / '-n': 0 is not in the range 1<=x<=200."),
    (["quiz", "--count", "201"], "Invalid value for '--count' / '-n': 201 is not in the range 1<=x<=200."),
    (
        ["explain", "lenet5", "--layer", "0"],
        "Invalid value for '--layer' / '-l': 0 is not in the range x>=1.",
    ),
    (["export", "missing.npz"], "Invalid value for 'model': File 'missing.npz' does not exist."),
]


@pytest.mark.parametrize(("args", "message"), BAD_VALUES)
def test_bad_value_exits_2_with_one_line(args: list[str], message: str) -> None:
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    lines = [line.strip("│ ") for line in result.stderr.splitlines()]
    assert message in lines, result.stderr


def test_layer_beyond_the_network_is_refused_by_the_command() -> None:
    result = runner.invoke(app, ["explain", "lenet5", "--layer", "13"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --layer 13 is out of range: this network has layers 1 to 12"


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("summary", "<table|json|markdown|csv>"),
        ("check", "<text|json|gradescope>"),
        ("quiz", "<easy|medium|hard>"),
        ("quiz", "<toml|markdown>"),
        ("quiz", "1<=x<=200"),
        ("explain", "x>=1"),
    ],
)
def test_help_lists_the_choices(command: str, shown: str) -> None:
    result = runner.invoke(app, [command, "--help"], env=WIDE)
    assert result.exit_code == 0
    assert shown in result.stdout


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("cnntool summary lenet5 --format ", ["table", "json", "markdown", "csv"]),
        ("cnntool summary lenet5 -f m", ["markdown"]),
        ("cnntool check answers.toml --format g", ["gradescope"]),
        ("cnntool quiz --difficulty ", ["easy", "medium", "hard"]),
        ("cnntool quiz --render ", ["toml", "markdown"]),
        ("cnntool quiz --kinds shape,pa", ["shape,params", "shape,params_unshared", "shape,params_dense"]),
        ("cnntool quiz --kinds conv,in", ["conv,infeasible"]),
        ("cnntool summary lenet5 --columns layer,m", ["layer,macs"]),
        (
            "cnntool summary lenet5 -c layer,params,",
            [
                "layer,params,index",
                "layer,params,kind",
                "layer,params,input",
                "layer,params,output",
                "layer,params,trainable",
                "layer,params,buffers",
                "layer,params,unshared",
                "layer,params,dense",
                "layer,params,macs",
                "layer,params,rf",
                "layer,params,jump",
                "layer,params,start",
                "layer,params,activations",
            ],
        ),
    ],
)
def test_shell_completes_the_choices(words: str, expected: list[str]) -> None:
    env = {
        "_CNNTOOL_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
    }
    result = runner.invoke(app, [], env=env, prog_name="cnntool")
    assert result.exit_code == 0
    assert result.stdout.split() == expected


def test_choices_are_case_insensitive() -> None:
    result = runner.invoke(app, ["summary", "cs231n760", "-f", "CSV", "--columns", "params"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["params", "760", "760"]  # the layer, then the total


def test_cli_choices_are_the_core_ones() -> None:
    assert get_args(check_cli.Difficulty) == core_quiz.DIFFICULTIES
    assert check_cli.MAX_COUNT == core_quiz.MAX_COUNT


def test_list_options_help_names_every_item() -> None:
    from cnntool.arith.table import COLUMNS
    from cnntool.check.rnn_questions import TOPICS
    from cnntool.check.schema import KINDS

    quiz_help = " ".join(runner.invoke(app, ["quiz", "--help"], env={"COLUMNS": "2000"}).stdout.split())
    topics = "recurrent topics " + ", ".join(TOPICS) + " (recurrent: all four)."
    assert "Comma-separated kinds: " + ", ".join(KINDS) + " (alias infeasible); " + topics in quiz_help
    summary_help = " ".join(runner.invoke(app, ["summary", "--help"], env={"COLUMNS": "2000"}).stdout.split())
    assert "Comma-separated columns: " + ", ".join(COLUMNS) + "." in summary_help
