"""`cnntool demo` is data: every stop's commands, typed by a student in any folder, print what the stop shows."""

from __future__ import annotations

import io
import shlex

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cnntool.cli.app import app
from cnntool.views.tour import TOUR, training_stops


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
    stops = (*TOUR, *training_stops())
    assert result.exit_code == 0 and result.stdout.count("$ cnntool") == sum(len(s.commands) for s in stops)


@pytest.mark.parametrize("quick", [False, True])
def test_each_training_stops_command_reaches_the_same_accuracy(quick, tmp_path, monkeypatch) -> None:
    """A training stop prints a `cnntool train` command; run with the same seed it ends where the demo did."""
    import json

    from cnntool.training.session import Session

    monkeypatch.chdir(tmp_path)
    for stop in training_stops(quick):
        session = Session.start(stop.config)
        for _ in session.train():
            pass
        (command,) = stop.commands
        result = CliRunner().invoke(app, [*shlex.split(command)[1:], "--json", "--out", "run"])
        assert result.exit_code == 0, result.output
        end = [json.loads(line) for line in result.stdout.splitlines()][-2]  # the last epoch
        assert end["event"] == "epoch" and end["epoch"] == stop.config.epochs
        assert end["val_loss"] == session.history[-1].val_loss
        assert end["val_accuracy"] == session.history[-1].val_accuracy
        if stop.config.data == "xo":
            assert end["val_accuracy"] >= 0.98  # the demo's promise
        (tmp_path / "run").rename(tmp_path / f"done-{stop.config.data}-{quick}")


def test_demo_quick_trains_the_xo_cnn_and_shows_its_filters_beside_the_slides() -> None:
    result = CliRunner().invoke(app, ["demo", "--quick"], env={"COLUMNS": "120", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "A CNN learns X and O" in text and "epoch 2/2" in text
    assert "the lecture's hand-made filters" in text and "'\\' diagonal (diag)" in text
    assert "the slide's X → X" in text and "the slide's O → O" in text
    assert " 1.00 -1.00 -1.00" in text  # the diagonal filter's first row, printed plainly
