"""What `cnntool pool` and `cnntool convT` print, built from `conv_render` and the shared views."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from rich.console import Console
from rich.text import Text

from cnntool.cli._common import console
from cnntool.cli.conv_render import Fmt, grid_text, heading, partial_grid, side_by_side, simple_grid
from cnntool.cli.conv_views import _channels, _padded
from cnntool.explain import serialize
from cnntool.explain.conv_transpose import ConvTResult, ConvTStep
from cnntool.explain.matrix import Tensor, shape
from cnntool.explain.pool import PoolGrads, PoolResult, PoolStep

# --- pooling ------------------------------------------------------------------------------


def _pool_step(con: Console, result: PoolResult, step: PoolStep, fmt: Fmt, values: dict | None) -> None:
    plan, s = result.plan, result.plan.settings
    _, h, w = shape(plan.image)
    rows = range(-s.padding[0], max(h + s.padding[0], step.rows[-1] + 1))
    cols = range(-s.padding[1], max(w + s.padding[1], step.cols[-1] + 1))
    chan = f"channel {step.channel + 1}, " if len(plan.image) > 1 else ""
    heading(
        con,
        f"{chan}output ({step.at[0]},{step.at[1]}): window rows {step.rows[0]}..{step.rows[-1]}, columns {step.cols[0]}..{step.cols[-1]}",
    )
    window = {(r, c) for r in step.rows for c in step.cols}
    pad_text = "-∞" if s.mode == "max" else "0"
    grid = plan.image[step.channel]
    second = {step.argmax} if step.argmax else None
    con.print(_padded(con, grid, rows, cols, fmt, window - (second or set()), pad_text, second))
    real = [v for row in step.window for v in row if v is not None]
    if any(v is None and not (-s.padding[0] <= r < h + s.padding[0] and -s.padding[1] <= c < w + s.padding[1])
           for r, row in zip(step.rows, step.window) for c, v in zip(step.cols, row)):  # fmt: skip
        con.print("the window hangs past the input (ceil_mode): cells marked · are ignored")
    if s.mode == "max":
        con.print(
            f"max({', '.join(fmt(v) for v in real)}) = {fmt(step.value)} at input ({step.argmax[0]},{step.argmax[1]})"
        )
    else:
        why = "window clipped to the padded image" + (
            ", padding counted" if s.count_include_pad else ", real cells only"
        )
        con.print(
            f"({' + '.join(fmt(v) for v in real)}) / {step.divisor} = {fmt(step.value)}   (divisor: {why})"
        )
    if values is not None:
        values[(step.channel, *step.at)] = step.value
        part = {(r, c): v for (ch, r, c), v in values.items() if ch == step.channel}
        con.print(partial_grid(con, plan.out_shape, part, fmt, {step.at}))


def show_pool(result: PoolResult, chosen, steps: bool, grads, fmt: Fmt) -> None:
    """Human output of `cnntool pool`."""
    con = console()
    plan = result.plan
    if chosen:
        for step in chosen:
            _pool_step(con, result, step, fmt, None)
    elif steps:
        values: dict = {}
        for step in result.steps:
            _pool_step(con, result, step, fmt, values)
    if chosen or steps:
        heading(con, "result")
    con.print(
        side_by_side(
            con,
            ("image", _channels(con, plan.image, lambda ch, g: simple_grid(con, g, fmt))),
            (
                f"{plan.settings.mode} pool",
                _channels(con, result.output, lambda ch, g: simple_grid(con, g, fmt)),
            ),
        )
    )
    c, h, w = shape(plan.image)
    s = plan.settings
    con.print(
        f"{c}x{h}x{w} → {c}x{plan.out_shape[0]}x{plan.out_shape[1]}, {s.mode} pool {s.size[0]}x{s.size[1]} stride "
        f"{plan.stride[0]}x{plan.stride[1]}{' ceil_mode' if s.ceil else ''}\n"
        + "\n".join(str(f) for f in plan.formulas)
    )
    if grads is not None:
        _pool_backward(con, result, *grads, steps, fmt)


def _pool_backward(
    con: Console, result: PoolResult, dout: Tensor, grads: PoolGrads, steps: bool, fmt: Fmt
) -> None:
    heading(con, "backward pass")
    con.print(_channels(con, dout, lambda ch, g: simple_grid(con, g, fmt)))
    if result.plan.settings.mode == "max":
        con.print("max pool: each dout cell goes entirely to its window's argmax; other cells get 0")
    else:
        con.print("avg pool: each dout cell is split evenly (÷ divisor) over its window's real cells")
    if steps:
        for st in grads.steps:
            chan = f"[{st.channel + 1}]" if len(result.plan.image) > 1 else ""
            targets = ", ".join(f"x({r},{c}) += {fmt(v)}" for (r, c), v in st.targets)
            con.print(f"dout{chan}({st.at[0]},{st.at[1]}) = {fmt(st.grad)} → {targets}")
    con.print(Text("dL/dx (summed where windows overlap)", style="bold"))
    con.print(_channels(con, grads.dinput, lambda ch, g: simple_grid(con, g, fmt)))


def pool_data(result: PoolResult, chosen, grads) -> dict:
    """The `--json` document of `cnntool pool`."""
    data: dict[str, Any] = serialize.pool_json(result, chosen)
    if grads is not None:
        data["backward"] = serialize.pool_grads_json(grads[1], grads[0])
    return data


# --- transposed convolution ---------------------------------------------------------------


def _convt_step(con: Console, result: ConvTResult, step: ConvTStep, fmt: Fmt, running: list | None) -> None:
    plan = result.plan
    out_h, out_w = plan.out_shape
    chan = f"channel {step.channel + 1}, " if len(plan.image) > 1 else ""
    heading(
        con, f"{chan}input ({step.at[0]},{step.at[1]}) = {fmt(step.value)} stamps {fmt(step.value)} × kernel"
    )
    inside = {(r, c) for r in step.rows for c in step.cols if 0 <= r < out_h and 0 <= c < out_w}
    cropped = len(step.rows) * len(step.cols) - len(inside)
    con.print(
        side_by_side(
            con,
            ("input", simple_grid(con, plan.image[step.channel], fmt, {step.at})),
            ("kernel", simple_grid(con, step.kernel, fmt)),
            ("products", simple_grid(con, step.products, fmt)),
        )
    )
    note = f"; {cropped} cell(s) fall in the cropped padding" if cropped else ""
    con.print(
        f"added to output rows {step.rows[0]}..{step.rows[-1]}, columns {step.cols[0]}..{step.cols[-1]}{note}"
    )
    if running is not None:
        for r, prow in zip(step.rows, step.products):
            for c, v in zip(step.cols, prow):
                if (r, c) in inside:
                    running[r][c] += v
        con.print(
            grid_text(con, lambda r, c: fmt(running[r][c]), range(out_h), range(out_w), highlight=inside)
        )


def show_convt(result: ConvTResult, chosen, steps: bool, fmt: Fmt) -> None:
    """Human output of `cnntool convT`."""
    con = console()
    plan = result.plan
    if chosen:
        for step in chosen:
            _convt_step(con, result, step, fmt, None)
    elif steps:
        running = [[Fraction(0)] * plan.out_shape[1] for _ in range(plan.out_shape[0])]
        for step in result.steps:
            _convt_step(con, result, step, fmt, running)
        if plan.settings.bias:
            con.print(f"+ bias {fmt(plan.settings.bias)} on every cell")
    if chosen or steps:
        heading(con, "result")
    con.print(
        side_by_side(
            con,
            ("input", _channels(con, plan.image, lambda ch, g: simple_grid(con, g, fmt))),
            ("kernel", _channels(con, plan.kernel, lambda ch, g: simple_grid(con, g, fmt))),
            ("output", simple_grid(con, result.output, fmt)),
        )
    )
    c, h, w = shape(plan.image)
    con.print(
        f"{c}x{h}x{w} → {plan.out_shape[0]}x{plan.out_shape[1]} (transposed convolution, as PyTorch's conv_transpose2d)\n"
        + "\n".join(str(f) for f in plan.formulas)
    )


def convt_data(result: ConvTResult, chosen) -> dict:
    """The `--json` document of `cnntool convT`."""
    return serialize.convt_json(result, chosen)
