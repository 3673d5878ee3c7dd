"""The view of `cnntool pool`: a `PoolReport` as one rich renderable (nothing is printed here)."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Group, RenderableType
from rich.text import Text

from cnntool.explain.api import PoolBackward, PoolReport
from cnntool.explain.matrix import shape
from cnntool.explain.pool import PoolPlan, PoolStep
from cnntool.numbers import Number
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

__all__ = ["pool_step_view", "pool_view"]


def pool_step_view(plan: PoolPlan, step: PoolStep, fmt: Fmt,
                   filled: Mapping[tuple[int, int], Number] | None = None) -> Group:  # fmt: skip
    """One output cell of one channel: the window on the padded input, the max (and where) or the mean.

    `filled`: the cells of this channel's output known so far (this one included), drawn below.
    """
    s = plan.settings
    _, h, w = shape(plan.image)
    rows = range(-s.padding[0], max(h + s.padding[0], step.rows[-1] + 1))
    cols = range(-s.padding[1], max(w + s.padding[1], step.cols[-1] + 1))
    chan = f"channel {step.channel + 1}, " if len(plan.image) > 1 else ""
    parts: list[RenderableType] = [
        heading(
            f"{chan}output ({step.at[0]},{step.at[1]}): window rows {step.rows[0]}..{step.rows[-1]}, "
            f"columns {step.cols[0]}..{step.cols[-1]}"
        )
    ]
    window = {(r, c) for r in step.rows for c in step.cols}
    pad_text = "-∞" if s.mode == "max" else "0"
    second = {step.argmax} if step.argmax else None
    parts.append(
        padded_grid(plan.image[step.channel], rows, cols, fmt, window - (second or set()), pad_text, second)
    )
    real = [v for row in step.window for v in row if v is not None]
    if any(v is None and not (-s.padding[0] <= r < h + s.padding[0] and -s.padding[1] <= c < w + s.padding[1])
           for r, row in zip(step.rows, step.window) for c, v in zip(step.cols, row)):  # fmt: skip
        parts.append(line("the window hangs past the input (ceil_mode): cells marked · are ignored"))
    if s.mode == "max":
        argmax = step.argmax or (0, 0)
        parts.append(
            line(
                f"max({', '.join(fmt(v) for v in real)}) = {fmt(step.value)} at input ({argmax[0]},{argmax[1]})"
            )
        )
    else:
        why = "window clipped to the padded image" + (
            ", padding counted" if s.count_include_pad else ", real cells only"
        )
        parts.append(
            line(
                f"({' + '.join(fmt(v) for v in real)}) / {step.divisor} = {fmt(step.value)}   (divisor: {why})"
            )
        )
    if filled is not None:
        parts.append(partial_grid(plan.out_shape, filled, fmt, {step.at}))
    return Group(*parts)


def pool_view(report: PoolReport, fmt: Fmt, steps: bool = False) -> Group:
    """Everything `cnntool pool` shows."""
    plan = report.plan
    parts: list[RenderableType] = []
    if report.chosen:
        parts += [pool_step_view(plan, step, fmt) for step in report.chosen]
    elif steps:
        filled: list[dict[tuple[int, int], Number]] = [{} for _ in plan.image]
        for step in report.steps:
            filled[step.channel][step.at] = step.value
            parts.append(pool_step_view(plan, step, fmt, filled[step.channel]))
    if report.chosen or steps:
        parts.append(heading("result"))
    by_channel = lambda ch, g: simple_grid(g, fmt)  # noqa: E731
    parts.append(
        side_by_side(
            ("image", labelled(plan.image, by_channel)),
            (f"{plan.settings.mode} pool", labelled(report.output, by_channel)),
        )
    )
    c, h, w = shape(plan.image)
    s = plan.settings
    parts.append(
        line(
            f"{c}x{h}x{w} → {c}x{plan.out_shape[0]}x{plan.out_shape[1]}, {s.mode} pool {s.size[0]}x{s.size[1]} "
            f"stride {plan.stride[0]}x{plan.stride[1]}{' ceil_mode' if s.ceil else ''}\n"
            + "\n".join(str(f) for f in report.formulas)
        )
    )
    if report.backward is not None:
        parts.append(pool_backward_view(plan, report.backward, steps, fmt))
    return Group(*parts)


def pool_backward_view(plan: PoolPlan, backward: PoolBackward, steps: bool, fmt: Fmt) -> Group:
    """Where each dout cell goes: all to the argmax (max) or split evenly (avg); then dL/dx."""
    by_channel = lambda ch, g: simple_grid(g, fmt)  # noqa: E731
    parts: list[RenderableType] = [heading("backward pass"), labelled(backward.dout, by_channel)]
    if plan.settings.mode == "max":
        parts.append(line("max pool: each dout cell goes entirely to its window's argmax; other cells get 0"))
    else:
        parts.append(
            line("avg pool: each dout cell is split evenly (÷ divisor) over its window's real cells")
        )
    if steps:
        for st in backward.grads.steps:
            chan = f"[{st.channel + 1}]" if len(plan.image) > 1 else ""
            targets = ", ".join(f"x({r},{c}) += {fmt(v)}" for (r, c), v in st.targets)
            parts.append(line(f"dout{chan}({st.at[0]},{st.at[1]}) = {fmt(st.grad)} → {targets}"))
    parts.append(Text("dL/dx (summed where windows overlap)", style="bold"))
    parts.append(labelled(backward.grads.dinput, by_channel))
    return Group(*parts)
