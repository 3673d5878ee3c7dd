"""A 3,000-character word typed where a name belongs is echoed as its first 40 characters and its
length, never whole: the error stays readable (and a student's file cannot flood a report)."""

from __future__ import annotations

import pytest

from tests.hardening.sandbox import run

LONG = "x" * 3000


@pytest.mark.parametrize(
    "args",
    [
        ["summary", f"3x8x8 | {LONG}"],  # unknown layer (the spec picture is windowed already)
        ["summary", LONG],  # not a zoo net, a file or a spec
        ["summary", "lenet5", "--columns", LONG],
        ["train", "1x9x9 | flatten | dense 2", "--data", LONG],
        ["conv", "--image", LONG, "--kernel", "diag"],
        ["quiz", "--kinds", LONG],
        ["tui", "--screen", LONG],  # Typer's own "invalid value" message
        ["zoo", LONG],  # Typer's "unexpected extra argument"
    ],
)
def test_a_long_word_is_echoed_short(args: list[str]) -> None:
    outcome = run(args, stdin="")
    assert outcome.code == 2 and "Traceback" not in outcome.stderr, outcome.stderr[-500:]
    assert "characters)" in outcome.stderr and len(outcome.stderr) < 600, outcome.stderr[:700]
