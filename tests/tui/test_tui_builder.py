"""The builder screen, driven by Pilot: typing updates the table to arith's numbers, errors keep the table."""

from __future__ import annotations

import json

import pytest

from cnntool.arith import summarize
from cnntool.tui.app import CnnToolApp
from cnntool.tui.launch import Launch, prepare
from cnntool.tui.widgets.spec_editor import SpecEditor, mark_of, one_layer_a_line
from tests.tui.conftest import record_notifications, static_text, table_cells

SIZE = (120, 40)


def app_with(spec: str) -> CnnToolApp:
    return CnnToolApp(prepare(spec))


async def type_at_end(app, pilot, text: str) -> None:
    editor = app.screen.query_one(SpecEditor)
    editor.focus()
    editor.move_cursor(editor.document.end)
    await pilot.press(*({"\n": "enter", "\b": "backspace"}.get(c, c) for c in text))
    await settle(app, pilot)


async def settle(app, pilot) -> None:
    """Wait until the builder has analysed the last keystroke (a slow machine may debounce it)."""
    await pilot.pause()
    while app.screen.pending is not None:
        await pilot.pause(0.05)


async def test_typing_a_layer_updates_the_table_to_the_lecture_numbers() -> None:
    app = app_with("3x32x32")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#layers")
        assert table.row_count == 0
        await type_at_end(app, pilot, "\nconv 10 k5 s1 p2")
        # 32x32x3, ten 5x5 filters, stride 1, pad 2 -> 32x32x10 with 760 parameters (lecture)
        expected = summarize("3x32x32 | conv 10 k5 s1 p2").layers[0]
        assert expected.params == 760
        assert table_cells(table) == [
            ["1", "conv 10 k5 s1 p2", "10×32×32", "760", f"{expected.params_unshared:,}",
             f"{expected.params_dense:,}", f"{expected.macs:,}", "5x5"]
        ]  # fmt: skip
        assert "params 760" in static_text(app.screen.query_one("#totals"))


async def test_every_keystroke_recomputes() -> None:
    app = app_with("3x227x227")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#layers")
        await type_at_end(app, pilot, "\nconv 96 k11 s4")
        # AlexNet's first layer: 55x55x96, 34,944 shared and 105,705,600 unshared parameters (lecture)
        assert table_cells(table)[0][2:5] == ["96×55×55", "34,944", "105,705,600"]
        await type_at_end(app, pilot, "\b\b\b\b\b")  # "conv 96 k" is an error while being typed...
        await type_at_end(app, pilot, "3")  # ...and "conv 96 k3" is a new valid layer
        assert table_cells(table)[0][2:4] == ["96×225×225", "2,688"]


async def test_an_invalid_line_shows_the_error_and_keeps_the_last_table() -> None:
    app = app_with("1x28x28 | conv 6 k5 p2 | relu")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#layers")
        before = table_cells(table)
        await type_at_end(app, pilot, "\nconvv 3")
        error = static_text(app.screen.query_one("#spec-error"))
        assert "convv" in error and "line 4" in error and "did you mean 'conv'" in error.lower()
        assert table_cells(table) == before and table.has_class("-stale")
        editor = app.screen.query_one(SpecEditor)
        assert editor.mark == (3, 0, 5)  # "convv" underlined on the fourth line
        assert editor.has_class("-invalid")
        styled = editor.get_line(3)
        assert styled.plain == "convv 3" and any(span.start == 0 and span.end == 5 for span in styled.spans)
        await type_at_end(app, pilot, "\b" * 8)  # delete the bad line again: all is well
        assert static_text(app.screen.query_one("#spec-error")).strip() == ""
        assert editor.mark is None and not table.has_class("-stale")


async def test_a_shape_error_points_at_its_layer() -> None:
    app = app_with("1x5x5 | conv 2 k3")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_at_end(app, pilot, "\nconv 2 k7")
        error = static_text(app.screen.query_one("#spec-error"))
        assert "layer 2 'conv 2 k7' cannot take input 2×3×3" in error
        assert app.screen.query_one(SpecEditor).mark == (2, 0, 9)
        assert table_cells(app.screen.query_one("#layers"))[0][2] == "2×3×3"


async def test_selected_row_shows_its_formulas_and_switches_change_the_shapes() -> None:
    app = app_with("3x32x32 | conv 10 k5 p2 | relu | maxpool 2")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        formula = static_text(app.screen.query_one("#formula"))
        assert "params = C_out · (C_in·K_h·K_w + 1)" in formula and "= 10 · (3·5·5 + 1) = 760" in formula
        table = app.screen.query_one("#layers")
        table.focus()
        await pilot.press("down", "down")
        await pilot.pause()
        assert "layer 3: maxpool 2" in static_text(app.screen.query_one("#formula"))
        await pilot.press("ctrl+g")  # --hwc: the lecture's channels-last shapes
        await pilot.pause()
        assert app.screen.hwc and app.screen.query_one("#hwc").value
        # --hwc reads the typed input channels-last too: 3x32x32 is 3 rows, 32 columns and 32 channels,
        # so the conv sees 32 channels: 10·(32·5·5 + 1) = 8,010 params, output 3x32x10 (H×W×C)
        assert table_cells(table)[0][2:4] == ["3×32×10", "8,010"]


async def test_switches_follow_arith_conventions() -> None:
    app = app_with("50x32 | lstm 128 | dense 10")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#layers")
        pytorch = summarize("50x32 | lstm 128 | dense 10").layers[0].params
        keras = summarize("50x32 | lstm 128 | dense 10", convention="keras").layers[0].params
        assert pytorch - keras == 4 * 128  # PyTorch's second bias vector per gate
        assert table_cells(table)[0][3] == f"{pytorch:,}"
        await pilot.click("#keras")
        await pilot.pause()
        assert app.screen.keras and table_cells(table)[0][3] == f"{keras:,}"
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert not app.screen.keras and table_cells(table)[0][3] == f"{pytorch:,}"


async def test_zoo_picker_loads_a_network_one_layer_a_line() -> None:
    app = CnnToolApp(Launch())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#layers").row_count == 12  # lenet5 by default
        app.screen.query_one("#zoo").value = "alexnet"
        await settle(app, pilot)
        text = app.screen.query_one(SpecEditor).text
        assert text.splitlines()[0] == "3x224x224" and "|" not in text
        totals = static_text(app.screen.query_one("#totals"))
        assert f"params {summarize('alexnet').total_params:,}" in totals


async def test_load_and_save_spec_files(tmp_path) -> None:
    source = tmp_path / "net.txt"
    source.write_text("# a small net\n1x9x9\nconv 4 k3 | relu\n", encoding="utf-8")
    app = app_with("3x32x32")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        seen = record_notifications(app)
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.query_one("#path").value = str(source)
        await pilot.press("enter")
        await settle(app, pilot)
        builder = app.screen
        assert builder.query_one(SpecEditor).text == "# a small net\n1x9x9\nconv 4 k3\nrelu"
        assert table_cells(builder.query_one("#layers"))[0][3] == "40"
        await pilot.press("ctrl+s")
        await pilot.pause()
        target = tmp_path / "saved.txt"
        app.screen.query_one("#path").value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert summarize(str(target)).total_params == 40
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.query_one("#path").value = str(tmp_path / "missing.txt")
        await pilot.press("enter")
        await pilot.pause()
        assert any("does not exist" in m and s == "error" for m, s in seen)
        assert app.screen is builder and builder.query_one(SpecEditor).text.endswith("relu")


async def test_copy_the_spec_and_its_summary_json() -> None:
    app = app_with("3x32x32 | conv 10 k5 p2")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+l")
        assert app.clipboard == "3x32x32\nconv 10 k5 p2"
        await pilot.press("ctrl+r")
        data = json.loads(app.clipboard)
        assert data["total_params"] == 760 and data["layers"][0]["output_shape"] == [10, 32, 32]


def test_one_layer_a_line_keeps_blocks_and_comments() -> None:
    text = "3x32x32 | conv 8 k3 p1 # first | layer\n| res[ conv 8 k3 p1 | relu ] | flatten"
    assert (
        one_layer_a_line(text) == "3x32x32\nconv 8 k3 p1 # first | layer\nres[ conv 8 k3 p1 | relu ]\nflatten"
    )
    assert summarize(one_layer_a_line(text)).total_params == summarize(text).total_params


@pytest.mark.parametrize(
    ("offset", "length", "mark"),
    [(0, 2, (0, 0, 2)), (8, 3, (1, 2, 5)), (9, 40, (1, 3, 5)), (11, 1, (1, 5, 6)), (99, 1, None)],
)
def test_error_marks(offset: int, length: int, mark) -> None:
    assert mark_of("ab cd\nefghi\n", offset, length) == mark


async def test_a_spec_over_the_budget_is_a_message_not_a_hang() -> None:
    app = app_with("1x8x8 | relu")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.screen.query_one(SpecEditor).load_text("1x8x8\n99999*[ 99999*[ relu ] ]")
        await settle(app, pilot)
        error = static_text(app.screen.query_one("#spec-error"))
        assert "budget of 10,000 layers" in error
        assert table_cells(app.screen.query_one("#layers"))[0][1] == "relu"  # the last valid table
