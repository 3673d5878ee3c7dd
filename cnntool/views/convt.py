"""The view of `cnntool convT`: a `ConvTReport` as one rich renderable (nothing is printed here)."""

from __future__ import annotations

from fractions import Fraction

from rich.console import Group, RenderableType

from cnntool.explain.api import ConvTReport
from cnntool.explain.conv_transpose import ConvTPlan, ConvTStep
from cnntool.explain.matrix import shape
from cnntool.numbers import Number
from cnntool.views.backward import backward_view
from cnntool.views.grid import Fmt, grid_text, heading, labelled, line, side_by_side, simple_grid

__all__ = ["convt_step_view", "convt_view"]


def convt_step_view(
    plan: ConvTPlan, step: ConvTStep, fmt: Fmt, running: list[list[Number]] | None = None
) -> Group:
    """One stamp: the input cell, value × kernel, where it lands; `running` (the output so far,
    this stamp included) is drawn below with the stamp marked."""
    out_h, out_w = plan.out_shape
    chan = f"channel {step.channel + 1}, " if len(plan.image) > 1 else ""
    inside = {(r, c) for r in step.rows for c in step.cols if 0 <= r < out_h and 0 <= c < out_w}
    cropped = len(step.rows) * len(step.cols) - len(inside)
    note = f"; {cropped} cell(s) fall in the cropped padding" if cropped else ""
    parts: list[RenderableType] = [
        heading(
            f"{chan}input ({step.at[0]},{step.at[1]}) = {fmt(step.value)} stamps {fmt(step.value)} × kernel"
        ),
        side_by_side(
            ("input", simple_grid(plan.image[step.channel], fmt, {step.at})),
            ("kernel", simple_grid(step.kernel, fmt)),
            ("products", simple_grid(step.products, fmt)),
        ),
        line(
            f"added to output rows {step.rows[0]}..{step.rows[-1]}, columns {step.cols[0]}..{step.cols[-1]}{note}"
        ),
    ]
    if running is not None:
        parts.append(grid_text(lambda r, c: fmt(running[r][c]), range(out_h), range(out_w), highlight=inside))
    return Group(*parts)


def convt_view(report: ConvTReport, fmt: Fmt, steps: bool = False) -> Group:
    """Everything `cnntool convT` shows, the backward pass included when asked."""
    plan = report.plan
    out_h, out_w = plan.out_shape
    parts: list[RenderableType] = []
    if report.chosen:
        parts += [convt_step_view(plan, step, fmt) for step in report.chosen]
    elif steps:
        running: list[list[Number]] = [[Fraction(0)] * out_w for _ in range(out_h)]
        for step in report.steps:
            for r, prow in zip(step.rows, step.products):
                for c, v in zip(step.cols, prow):
                    if 0 <= r < out_h and 0 <= c < out_w:
                        running[r][c] += v
            parts.append(convt_step_view(plan, step, fmt, running))
        if plan.settings.bias:
            parts.append(line(f"+ bias {fmt(plan.settings.bias)} on every cell"))
    if report.chosen or steps:
        parts.append(heading("result"))
    by_channel = lambda ch, g: simple_grid(g, fmt)  # noqa: E731
    parts.append(
        side_by_side(
            ("input", labelled(plan.image, by_channel)),
            ("kernel", labelled(plan.kernel, by_channel)),
            ("output", simple_grid(report.output, fmt)),
        )
    )
    c, h, w = shape(plan.image)
    parts.append(
        line(
            f"{c}x{h}x{w} → {out_h}x{out_w} (transposed convolution, as PyTorch's conv_transpose2d)\n"
            + "\n".join(str(f) for f in report.formulas)
        )
    )
    if report.backward is not None:
        parts.append(backward_view(report.backward, "convT", fmt, steps, c))
    return Group(*parts)
