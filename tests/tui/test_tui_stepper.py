"""The stepper screen, driven by Pilot: its numbers are those of `cnntool conv --steps` / `pool --steps`."""

from __future__ import annotations

import io
import json
from fractions import Fraction

from rich.console import Console
from typer.testing import CliRunner

from cnntool.cli.app import app as cli
from cnntool.numbers import to_json
from cnntool.tui.app import CnnToolApp
from cnntool.tui.launch import prepare
from cnntool.tui.stepping import Form, run
from cnntool.views.grid import Fmt
from cnntool.views.stepper import filled_maps, frame
from tests.tui.conftest import record_notifications, static_text

SIZE = (120, 40)
runner = CliRunner()


def cli_json(*args: str) -> dict:
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def stepper(image: str = "x", kernel: str = "diag", normalize: bool = True) -> CnnToolApp:
    return CnnToolApp(prepare(screen="stepper", image=image, kernel=kernel, normalize=normalize))


def as_map(filled: dict, shape: tuple[int, int]) -> list[list]:
    return [[to_json(filled[(i, j)]) for j in range(shape[1])] for i in range(shape[0])]


async def test_49_steps_over_the_x_give_the_7x7_map_of_cnntool_conv() -> None:
    app = stepper()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.position == 0 and screen.total == 49
        for _ in range(49):
            await pilot.press("space")
        await pilot.pause()
        assert screen.position == 49
        report = screen.report
        (filled,) = filled_maps(report, screen.position)
        expected = cli_json("conv", "--image", "x", "--kernel", "diag", "--normalize")["output"]
        assert as_map(filled, (7, 7)) == expected
        assert filled[(0, 0)] == filled[(6, 6)] == Fraction(7, 9)  # the slides' 0.77, exactly
        assert "output[6,6] = 7/9" in static_text(screen.query_one("#frame"))
        await pilot.press("space")  # past the end: stays on the last step
        assert screen.position == 49


async def test_each_frame_is_the_cli_step_view() -> None:
    app = stepper(image="nine", kernel="filter32", normalize=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("right")
        await pilot.pause()
        shown = static_text(app.screen.query_one("#frame"), width=120)
        assert "output[0,0] = 32" in shown  # the lecture's '32' window
        result = runner.invoke(
            cli, ["conv", "--image", "nine", "--kernel", "filter32", "--steps"], env={"COLUMNS": "120"}
        )
        assert result.exit_code == 0
        first_step = result.stdout.split("output (0,1)")[0]
        body = [line.rstrip() for line in shown.splitlines() if line.strip()]
        cli_lines = [line.rstrip() for line in first_step.splitlines() if line.strip()][: len(body)]
        assert body[1:] == cli_lines[1:]  # the rule line's width differs; every number line is the same


async def test_keys_back_home_end_and_autoplay() -> None:
    app = stepper()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("right", "right", "right", "left")
        assert screen.position == 2
        await pilot.press("end")
        assert screen.position == 49
        await pilot.press("home")
        assert screen.position == 0
        await pilot.press("plus")  # 8 steps a second: the 49 steps take 6 s, longer than this test
        assert screen.speed == 8.0
        await pilot.press("a")
        assert screen.playing
        await pilot.pause(0.5)
        moved = screen.position
        assert 2 <= moved < 49  # the timer steps on its own...
        await pilot.press("left", "left")  # ...and keys still answer while it plays
        assert screen.playing, (moved, screen.position)
        await pilot.press("a")
        assert not screen.playing
        await pilot.press("minus")
        assert screen.speed == 4.0
        stopped = screen.position
        await pilot.pause(0.2)
        assert screen.position == stopped


async def test_three_filters_give_three_maps() -> None:
    app = stepper(kernel="diag,cross,antidiag")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.total == 3 * 49
        await pilot.press("end")
        maps = filled_maps(screen.report, screen.position)
        expected = cli_json("conv", "--image", "x", "--kernel", "diag,cross,antidiag", "--normalize")[
            "output"
        ]
        assert [as_map(m, (7, 7)) for m in maps] == expected
        # the antidiagonal map is the diagonal one mirrored: its top-right cell is 7/9 (0.77)
        assert maps[2][(0, 6)] == Fraction(7, 9)
        assert "map 3 output[6,6]" in static_text(screen.query_one("#frame"))


async def test_pooling_mode_steps_the_slides_max_pool() -> None:
    app = stepper(image="x-diag")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.query_one("#mode").value = "max"
        await pilot.pause()
        screen.query_one("#ceil").value = True
        await pilot.pause()
        assert screen.query_one("#stride").value == ""  # pooling's stride defaults to the window
        assert screen.total == 16
        await pilot.press("end")
        (filled,) = filled_maps(screen.report, screen.position)
        expected = cli_json("pool", "--image", "x-diag", "--size", "2", "--ceil")["output"][0]
        assert as_map(filled, (4, 4)) == expected
        assert expected[0][0] == 1 and expected[3][3] == "7/9"  # the slides' pooled map: 1.00 ... 0.77


async def test_a_bad_matrix_is_a_notification_not_a_crash() -> None:
    app = stepper()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        seen = record_notifications(app)
        screen = app.screen
        before = screen.report
        screen.query_one("#image").value = "1 2; 3"
        screen.query_one("#image").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert any("row 2 has 1" in m or "rows" in m for m, s in seen if s == "error"), seen
        assert screen.report is before
        screen.query_one("#image").value = "x"
        screen.query_one("#kernel").value = "@/no/such/file.txt"
        screen.query_one("#kernel").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert any("not found" in m for m, _ in seen)
        assert screen.report is before and screen.total == 49


async def test_matrix_and_backward_tabs() -> None:
    app = stepper(image="exercise", kernel="halves", normalize=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.query_one("#stepper-tabs").active = "tab-matrix"
        await pilot.pause()
        matrix = static_text(screen.query_one("#matrix"))
        assert "matrix has 4×16 = 64 entries, 36 non-zero" in matrix and "9 distinct weights" in matrix
        screen.query_one("#stepper-tabs").active = "tab-backward"
        await pilot.pause()
        backward = static_text(screen.query_one("#backward"))
        dbias = cli_json("conv", "--image", "exercise", "--kernel", "halves", "--backward")["backward"][
            "dbias"
        ]
        assert dbias == 4 and "dL/db = 4" in backward  # Σ dout over the 2x2 output


def test_frames_without_an_app() -> None:
    report = run(Form(image="exercise", kernel="halves"))
    console = Console(file=io.StringIO(), width=100, color_system=None, record=True)
    console.print(frame(report, 0, Fmt()))
    start = console.export_text()
    assert "4 steps" in start and "ready" in start
    maps = filled_maps(report, 4)
    assert as_map(maps[0], (2, 2)) == [[2, -2], [-1, 1]]  # the lecture's 4x4 exercise
