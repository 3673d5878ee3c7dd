"""`cnntool demo` is data: every stop's commands, typed by a student in any folder, print what the stop shows."""

from __future__ import annotations

import io
import shlex

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cnntool.cli.app import app
from cnntool.views.tour import TOUR


def _plain(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def _render(renderable) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=120, highlight=False, soft_wrap=False, emoji=False).print(renderable)
    return buffer.getvalue()


@pytest.mark.parametrize("stop", TOUR, ids=[s.title for s in TOUR])
def test_each_stop_prints_what_its_commands_print_from_any_folder(stop, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # the commands must not need files from the repository
    runner = CliRunner()
    printed = []
    for command in stop.commands:
        words = shlex.split(command)
        assert words[0] == "cnntool"
        result = runner.invoke(app, words[1:], env={"COLUMNS": "120", "NO_COLOR": "1"})
        assert result.exit_code == 0, result.output
        printed.append(result.stdout)
    assert _plain("".join(printed)) == _plain(_render(stop.show()))


def test_the_tour_shows_the_lectures_numbers() -> None:
    text = "".join(_render(stop.show()) for stop in TOUR)
    for number in ("861", "760", "34,944", "105,705,600", "1,048,576", "441", "57", "61,706", "7/9", "0.77"):
        assert number in text, number
    lstm, gru = (_render(TOUR[-1].show()).split("gru 128")[0], _render(TOUR[-1].show()).split("gru 128")[1])
    assert "82,944" in lstm and "62,208" in gru  # 4·128·(32+128) + 8·128 vs 3·128·(32+128) + 6·128


def test_demo_runs_without_re_entering_the_cli() -> None:
    result = CliRunner().invoke(app, ["demo"], env={"COLUMNS": "120"})
    assert result.exit_code == 0 and result.stdout.count("$ cnntool") == sum(len(s.commands) for s in TOUR)
