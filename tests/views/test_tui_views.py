"""The views the TUI draws (heat maps, the weight-sharing chart, the stepper's frames), rendered to text."""

from __future__ import annotations

import io
import math

from rich.console import Console

from cnntool.arith import summarize
from cnntool.explain import ConvRequest, ConvSettings, parse_filters, parse_tensor, run_conv
from cnntool.views.conv import conv_step_view
from cnntool.views.grid import Fmt
from cnntool.views.heatmap import heatmaps
from cnntool.views.sharing import SharingChart, bar_length, compared_layers
from cnntool.views.stepper import filled_maps, frame, step_count


def render(renderable, width: int = 100, colour: bool = False) -> str:
    console = Console(file=io.StringIO(), width=width, record=True, color_system="truecolor" if colour else None,
                      force_terminal=colour)  # fmt: skip
    console.print(renderable)
    return console.export_text()


def test_trainer_heatmaps_put_the_note_above_titled_maps() -> None:
    both = render(heatmaps([("a", [[1, 2]]), ("b", [[3, 4]])], "note"), width=40)
    lines = both.splitlines()
    assert lines[0] == "note" and "a" in lines[1] and "b" in lines[1]


def test_sharing_bars_are_log_scaled_counts_of_arith() -> None:
    assert bar_length(0, 10**6, 30) == 0
    assert bar_length(10**6, 10**6, 30) == 30
    assert bar_length(999, 999_999, 30) == round(30 * math.log10(1000) / math.log10(10**6))  # 15
    summary = summarize("3x227x227 | conv 96 k11 s4 | relu | maxpool 3 s2")
    assert [r.index for r in compared_layers(summary)] == [1]
    text = render(SharingChart(summary), width=90)
    assert "34,944" in text and "105,705,600" in text and f"{summary.layers[0].params_dense:,}" in text
    lines = [line for line in text.splitlines() if "█" in line or "▓" in line or "▒" in line]
    assert len(lines) == 3 and lines[0].count("█") < lines[1].count("▓") < lines[2].count("▒")


def test_stepper_frames_are_the_cli_step_views() -> None:
    report = run_conv(
        ConvRequest(parse_tensor("x"), parse_filters("diag,cross"), ConvSettings(normalize=True))
    )
    assert step_count(report) == 98
    start = render(frame(report, 0, Fmt()))
    assert "98 steps" in start and "filters" in start and "output maps" in start
    step = report.steps[60]  # the second filter's twelfth cell
    maps = filled_maps(report, 61)
    assert len(maps[0]) == 49 and len(maps[1]) == 12 and maps[1][step.at] == step.value
    assert render(frame(report, 61, Fmt())) == render(conv_step_view(report, step, Fmt(), maps[1]))
    assert render(frame(report, 500, Fmt())) == render(frame(report, 98, Fmt()))  # clamped to the last step
