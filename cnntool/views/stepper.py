"""Frames of a step-by-step animation of a convolution or a pooling (the TUI's stepper).

`position` counts the steps done: 0 shows the inputs and the empty output map(s),
k ≥ 1 shows step k exactly as `cnntool conv --steps` / `cnntool pool --steps` print it
(the same `conv_step_view` / `pool_step_view`), with the map filled up to that step.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from cnntool.explain.api import ConvReport, PoolReport
from cnntool.explain.matrix import shape
from cnntool.numbers import Number
from cnntool.views.conv import conv_step_view
from cnntool.views.grid import (
    Fmt,
    heading,
    labelled,
    line,
    padded_grid,
    partial_grid,
    side_by_side,
    simple_grid,
)
from cnntool.views.pool import pool_step_view

Report = ConvReport | PoolReport
Filled = dict[tuple[int, int], Number]


def step_count(report: Report) -> int:
    """How many steps the animation has (every output cell of every filter or channel)."""
    return len(report.steps)


def _map_of(report: Report, step) -> int:
    return step.filter if isinstance(report, ConvReport) else step.channel


def filled_maps(report: Report, position: int) -> list[Filled]:
    """The cells of each output map (per filter, or per channel for pooling) known after `position` steps."""
    count = report.filters if isinstance(report, ConvReport) else len(report.plan.image)
    maps: list[Filled] = [{} for _ in range(count)]
    for step in report.steps[:position]:
        maps[_map_of(report, step)][step.at] = step.value
    return maps


def _start(report: Report, fmt: Fmt) -> Group:
    """Before the first step: the inputs and the empty output maps, with the size formulas."""
    plan = report.plan
    _, h, w = shape(plan.image)
    if isinstance(report, ConvReport):
        (pt, pb), (pl, pr) = plan.settings.padding
        rows, cols = range(-pt, h + pb), range(-pl, w + pr)
        kernels = [p.weights for p in report.plans]
        title = "kernel (flipped)" if plan.settings.flip else "kernel"
        many = report.filters > 1
        panels: list[tuple[str, RenderableType]] = [
            ("image", labelled(plan.image, lambda ch, g: padded_grid(g, rows, cols, fmt))),
            (
                "filters" if many else title,
                labelled(kernels, lambda f, k: labelled(k, lambda ch, g: simple_grid(g, fmt)), "filter")
                if many
                else labelled(kernels[0], lambda ch, g: simple_grid(g, fmt)),
            ),
            (
                "output maps" if many else "output",
                labelled(report.plans, lambda f, p: partial_grid(p.out_shape, {}, fmt), "filter"),
            ),
        ]
        what = f"{report.filters} filters" if many else "the kernel"
    else:
        s = plan.settings
        pad = s.padding
        rows, cols = range(-pad[0], h + pad[0]), range(-pad[1], w + pad[1])
        pad_text = "-∞" if s.mode == "max" else "0"
        panels = [
            ("image", labelled(plan.image, lambda ch, g: padded_grid(g, rows, cols, fmt, pad_text=pad_text))),
            (
                f"{s.mode} pool {s.size[0]}x{s.size[1]}",
                labelled(plan.image, lambda ch, g: partial_grid(plan.out_shape, {}, fmt)),
            ),
        ]
        what = "the window"
    return Group(
        heading("ready"),
        side_by_side(*panels),
        line("\n".join(str(f) for f in report.formulas)),
        Text(f"{step_count(report)} steps: press space or → to slide {what} one cell", style="dim"),
    )


def frame(report: Report, position: int, fmt: Fmt) -> Group:
    """The animation after `position` steps (0 ≤ position ≤ step_count(report))."""
    position = max(0, min(position, step_count(report)))
    if position == 0:
        return _start(report, fmt)
    step = report.steps[position - 1]
    filled = filled_maps(report, position)[_map_of(report, step)]
    if isinstance(report, ConvReport):
        return conv_step_view(report, step, fmt, filled)
    return pool_step_view(report.plan, step, fmt, filled)
