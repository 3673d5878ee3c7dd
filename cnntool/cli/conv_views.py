"""What `cnntool conv`, `pool` and `convT` print: one function per view, built from `conv_render`.

Everything shown here was computed by `cnntool.explain`; the views only choose
the layout (image, kernel, products side by side; the output filling in).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import typer
from rich.console import Console, Group
from rich.text import Text

from cnntool.cli._common import console, print_json
from cnntool.cli.conv_render import (
    Fmt,
    grid_text,
    heading,
    matrix_rows,
    partial_grid,
    side_by_side,
    simple_grid,
    sum_line,
    weight_symbol,
)
from cnntool.explain import serialize
from cnntool.explain.as_matrix import ConvMatrix, ShiftResult
from cnntool.explain.conv import ConvGrads, ConvPlan, ConvResult, ConvStep
from cnntool.explain.matrix import parse_tensor, shape
from cnntool.explain.samples import SAMPLES
from cnntool.numbers import Grid, grid_to_json

__all__ = ["Fmt", "show_conv", "show_samples", "warn", "ones_like", "conv_data"]


def ones_like(out_shape: tuple[int, int]) -> Grid:
    """An all-ones dout (`--dout ones`): dL/dout = 1 everywhere, i.e. L = sum of the outputs."""
    return tuple(tuple(Fraction(1) for _ in range(out_shape[1])) for _ in range(out_shape[0]))


def warn(warnings: tuple[str, ...] | list[str]) -> None:
    """Warnings go to stderr so `--json` stays clean."""
    for text in warnings:
        typer.echo(f"warning: {text}", err=True)


def show_samples(json_out: bool) -> None:
    """`--list`: every named image and kernel as a small grid."""
    if json_out:
        items = [
            {
                "name": s.name,
                "kind": s.kind,
                "about": s.about,
                "matrix": grid_to_json(parse_tensor(s.text)[0]),
            }
            for s in SAMPLES.values()
        ]
        print_json({"samples": items})
        return
    con = console()
    for kind in ("image", "kernel"):
        heading(con, f"{kind}s")
        for s in (s for s in SAMPLES.values() if s.kind == kind):
            con.print(Text(f"{s.name}  ", style="bold"), Text(s.about, style="dim"))
            con.print(simple_grid(con, parse_tensor(s.text)[0], Fmt()))


def _channels(con: Console, tensor, cell_grid) -> Group:
    """Stack per-channel grids with a label when there is more than one channel."""
    parts: list = []
    for ch, grid in enumerate(tensor):
        if len(tensor) > 1:
            parts.append(Text(f"channel {ch + 1}", style="dim"))
        parts.append(cell_grid(ch, grid))
    return Group(*parts)


def _padded(
    con: Console, grid: Grid, rows: range, cols: range, fmt: Fmt, window=None, pad_text="0", second=None
):
    """The input with its padding ring drawn (dim), the current window highlighted.

    Cells past the padding (a ceil-mode window hanging off the edge) show as "·".
    """
    h, w = len(grid), len(grid[0])

    def cell(r: int, c: int) -> str:
        if 0 <= r < h and 0 <= c < w:
            return fmt(grid[r][c])
        return pad_text if rows[0] <= r < h - rows[0] and cols[0] <= c < w - cols[0] else "·"

    dim = {(r, c) for r in rows for c in cols if not (0 <= r < h and 0 <= c < w)}
    return grid_text(con, cell, rows, cols, highlight=window, dim=dim, second=second)


def _conv_ranges(plan: ConvPlan) -> tuple[range, range]:
    _, h, w = shape(plan.image)
    (pt, pb), (pl, pr) = plan.settings.padding
    return range(-pt, h + pb), range(-pl, w + pr)


def _summary(plan: ConvPlan) -> str:
    c, h, w = shape(plan.image)
    _, kh, kw = shape(plan.kernel)
    s = plan.settings
    kind = "true convolution (kernel flipped)" if s.flip else "cross-correlation, as PyTorch's conv2d"
    extra = f", ÷ {plan.divisor}" if plan.divisor else ""
    extra += f", bias {Fmt()(s.bias)}" if s.bias else ""
    return (
        f"{c}x{h}x{w} image ⋆ {c}x{kh}x{kw} kernel ({kind}{extra}) → {plan.out_shape[0]}x{plan.out_shape[1]} output\n"
        + "\n".join(str(f) for f in plan.formulas)
    )


def _conv_step(con: Console, plan: ConvPlan, step: ConvStep, fmt: Fmt, values: dict | None) -> None:
    rows, cols = _conv_ranges(plan)
    i, j = step.at
    heading(
        con,
        f"output ({i},{j}): window rows {step.rows[0]}..{step.rows[-1]}, columns {step.cols[0]}..{step.cols[-1]}",
    )
    window = {(r, c) for r in step.rows for c in step.cols}
    ktitle = "kernel (flipped)" if plan.settings.flip else "kernel"
    for ch in range(len(plan.image)):
        if len(plan.image) > 1:
            con.print(Text(f"channel {ch + 1}", style="dim"))
        con.print(
            side_by_side(
                con,
                ("image", _padded(con, plan.image[ch], rows, cols, fmt, window)),
                (ktitle, simple_grid(con, plan.weights[ch], fmt)),
                ("products", simple_grid(con, step.products[ch], fmt)),
            )
        )
        con.print(sum_line(step.window[ch], plan.weights[ch], fmt, step.channel_sums[ch]))
    if len(plan.image) > 1:
        con.print(f"sum over channels = {' + '.join(fmt(v) for v in step.channel_sums)} = {fmt(step.sum)}")
    if step.divisor:
        con.print(f"÷ {step.divisor} (window size) = {fmt(step.sum / step.divisor)}")
    if step.bias:
        con.print(f"+ bias {fmt(step.bias)} = {fmt(step.value)}")
    con.print(Text(f"output[{i},{j}] = {fmt(step.value)}", style="bold"))
    if values is not None:
        values[step.at] = step.value
        con.print(partial_grid(con, plan.out_shape, values, fmt, {step.at}))


def show_conv(result: ConvResult, chosen, steps: bool, grads, matrix, shifted, fmt: Fmt) -> None:
    """Human output of `cnntool conv`."""
    con = console()
    plan = result.plan
    if chosen:
        for step in chosen:
            _conv_step(con, plan, step, fmt, None)
    elif steps:
        values: dict = {}
        for step in result.steps:
            _conv_step(con, plan, step, fmt, values)
    rows, cols = _conv_ranges(plan)
    if chosen or steps:
        heading(con, "result")
    con.print(
        side_by_side(
            con,
            ("image", _channels(con, plan.image, lambda ch, g: _padded(con, g, rows, cols, fmt))),
            ("kernel", _channels(con, plan.kernel, lambda ch, g: simple_grid(con, g, fmt))),
            ("output", simple_grid(con, result.output, fmt, {s.at for s in chosen or ()})),
        )
    )
    con.print(_summary(plan))
    if grads is not None:
        _conv_backward(con, plan, *grads, steps, fmt)
    if matrix is not None:
        _matrix(con, matrix, fmt)
    if shifted is not None:
        _shift(con, shifted, fmt)


def _conv_backward(con: Console, plan: ConvPlan, dout: Grid, grads: ConvGrads, steps: bool, fmt: Fmt) -> None:
    heading(con, "backward pass")
    con.print(simple_grid(con, dout, fmt))
    con.print("dL/dW[a,b] = Σ_ij dout[i,j] · x_pad[i·s + a·d, j·s + b·d]  (the input correlated with dout)")
    con.print(
        "dL/dx = dout, stride-dilated and zero-padded, correlated with the flipped kernel (a full convolution)"
    )
    con.print("dL/db = Σ dout")
    if plan.divisor:
        con.print(
            f"--normalize divided each sum by {plan.divisor}, so dL/dW and dL/dx are scaled by 1/{plan.divisor}"
        )
    if steps:
        for st in grads.steps:
            label = {"dW": "dL/dW", "dx": "dL/dx", "db": "dL/db"}[st.target]
            where = "" if st.target == "db" else f"[{st.at[0]},{st.at[1]}]"
            chan = f" channel {st.channel + 1}" if len(plan.image) > 1 and st.target != "db" else ""
            heading(con, f"{label}{where}{chan}")
            titles = {
                "dW": ("input cells", "dout"),
                "dx": ("dout window", "flipped kernel"),
                "db": ("dout", "ones"),
            }
            real = {(r, c) for r, row in enumerate(st.sources) for c, src in enumerate(row) if src}
            win = grid_text(
                con,
                lambda r, c, st=st: fmt(st.window[r][c]),
                range(len(st.window)),
                range(len(st.window[0])),
                second=real,
            )
            con.print(side_by_side(con, (titles[st.target][0], win), (titles[st.target][1], simple_grid(con, st.kernel, fmt)),
                                   ("products", simple_grid(con, st.products, fmt))))  # fmt: skip
            line = sum_line(st.window, st.kernel, fmt, st.sum)
            con.print(line if st.scale == 1 else f"{line}; × {fmt(st.scale)} = {fmt(st.value)}")
    heading(con, "gradients")
    con.print(
        side_by_side(
            con,
            ("dL/dW", _channels(con, grads.dweight, lambda ch, g: simple_grid(con, g, fmt))),
            ("dL/dx", _channels(con, grads.dinput, lambda ch, g: simple_grid(con, g, fmt))),
        )
    )
    con.print(f"dL/db = {fmt(grads.dbias)}")


def _matrix(con: Console, m: ConvMatrix, fmt: Fmt) -> None:
    heading(con, "convolution as a matrix")
    rows, cols = len(m.matrix), len(m.matrix[0])
    _, kh, kw = shape(m.plan.kernel)
    legend = []
    for ch, grid in enumerate(m.plan.kernel):
        for a in range(kh):
            for b in range(kw):
                idx = ch * kh * kw + a * kw + b
                where = f"{ch},{a},{b}" if len(m.plan.kernel) > 1 else f"{a},{b}"
                legend.append(f"{weight_symbol(idx)}=w[{where}]={fmt(grid[a][b])}")
    con.print("  ".join(legend))
    if m.plan.divisor:
        con.print(f"(each entry is the weight ÷ {m.plan.divisor}, because of --normalize)")
    con.print(
        f"rows: the {rows} output cells; columns: the {cols} input cells (row-major); · = no connection"
    )
    con.print(matrix_rows(con, m.weight_index))
    note = "" if m.nonzero == m.connections else f" ({m.connections} connections; some weights are 0)"
    con.print(
        f"matrix has {rows}×{cols} = {m.entries:,} entries, {m.nonzero:,} non-zero{note}, "
        f"{m.distinct_weights} distinct weights (weight sharing); a dense layer would learn all {m.entries:,}."
    )


def _shift(con: Console, s: ShiftResult, fmt: Fmt) -> None:
    heading(con, f"translation equivariance: input shifted by {s.shift[0]},{s.shift[1]}")
    expected = tuple(
        tuple(v if ok else None for v, ok in zip(er, cr)) for er, cr in zip(s.expected, s.comparable)
    )
    con.print(
        side_by_side(
            con,
            ("shifted input", _channels(con, s.shifted_image, lambda ch, g: simple_grid(con, g, fmt))),
            ("conv(shifted input)", simple_grid(con, s.shifted_output, fmt)),
            (f"conv(input) shifted by {s.out_shift[0]},{s.out_shift[1]}", simple_grid(con, expected, fmt)),
        )
    )
    count = sum(map(sum, s.comparable))
    verdict = "equal" if s.agree else "NOT equal"
    con.print(
        f"conv(shift(x)) and shift(conv(x)) are {verdict} on the {count} cells away from the border "
        "(· = cells whose window touches the border, where content left or zeros came in)."
    )


def conv_data(
    result: ConvResult, chosen, grads, matrix: ConvMatrix | None, shifted: ShiftResult | None
) -> dict:
    """The `--json` document of `cnntool conv`."""
    data: dict[str, Any] = serialize.conv_json(result, chosen)
    if grads is not None:
        data["backward"] = serialize.conv_grads_json(grads[1], grads[0])
    if matrix is not None:
        data["matrix"] = serialize.matrix_json(matrix)
    if shifted is not None:
        data["shift"] = serialize.shift_json(shifted)
    return data
