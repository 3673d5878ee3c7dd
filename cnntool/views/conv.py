"""The view of `cnntool conv`: a `ConvReport` as one rich renderable (nothing is printed here).

Everything shown was computed by `cnntool.explain`; the view only chooses the
layout: per step, each channel's window, kernel and products side by side with
its partial sum, then the channels' total, ÷ N, + bias and the map filling in.
`conv_step_view` draws one step alone, so a TUI can animate the steps.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Group, RenderableType
from rich.text import Text

from cnntool.explain.api import ConvReport
from cnntool.explain.as_matrix import ConvMatrix, ShiftResult
from cnntool.explain.conv import ConvPlan, ConvStep
from cnntool.explain.matrix import shape
from cnntool.numbers import Number
from cnntool.views.backward import backward_view
from cnntool.views.grid import (
    Fmt,
    heading,
    labelled,
    line,
    matrix_rows,
    padded_grid,
    partial_grid,
    side_by_side,
    simple_grid,
    sum_line,
    weight_symbol,
)

__all__ = ["Fmt", "conv_step_view", "conv_view"]


def _ranges(plan: ConvPlan) -> tuple[range, range]:
    _, h, w = shape(plan.image)
    (pt, pb), (pl, pr) = plan.settings.padding
    return range(-pt, h + pb), range(-pl, w + pr)


def _summary(report: ConvReport) -> str:
    plan = report.plan
    c, h, w = shape(plan.image)
    _, kh, kw = shape(plan.kernel)
    s = plan.settings
    kind = "true convolution (kernel flipped)" if s.flip else "cross-correlation, as PyTorch's conv2d"
    extra = f", ÷ {plan.divisor}" if plan.divisor else ""
    biases = [p.settings.bias for p in report.plans]
    out_h, out_w = plan.out_shape
    if report.filters == 1:
        extra += f", bias {Fmt()(s.bias)}" if s.bias else ""
        head = f"{c}x{h}x{w} image ⋆ {c}x{kh}x{kw} kernel ({kind}{extra}) → {out_h}x{out_w} output"
    else:
        extra += f", biases {', '.join(Fmt()(b) for b in biases)}" if any(biases) else ""
        head = (
            f"{c}x{h}x{w} image ⋆ {report.filters} filters of {c}x{kh}x{kw} ({kind}{extra}) → "
            f"{report.filters}x{out_h}x{out_w} output: {report.filters} maps of {out_h}x{out_w}"
        )
    return head + "\n" + "\n".join(str(f) for f in report.formulas)


def conv_step_view(report: ConvReport, step: ConvStep, fmt: Fmt,
                   filled: Mapping[tuple[int, int], Number] | None = None) -> Group:  # fmt: skip
    """One output cell: per channel the window, kernel, products and partial sum; then total, ÷ N, + bias.

    `filled`: the cells of this filter's map known so far (this one included), drawn below.
    """
    plan = report.plans[step.filter]
    rows, cols = _ranges(plan)
    i, j = step.at
    many = report.filters > 1
    which = f"filter {step.filter + 1}, " if many else ""
    parts: list[RenderableType] = [
        heading(
            f"{which}output ({i},{j}): window rows {step.rows[0]}..{step.rows[-1]}, "
            f"columns {step.cols[0]}..{step.cols[-1]}"
        )
    ]
    window = {(r, c) for r in step.rows for c in step.cols}
    ktitle = "kernel (flipped)" if plan.settings.flip else "kernel"
    channels = len(plan.image)
    for ch in range(channels):
        if channels > 1:
            parts.append(Text(f"channel {ch + 1}", style="dim"))
        parts.append(
            side_by_side(
                ("image", padded_grid(plan.image[ch], rows, cols, fmt, window)),
                (ktitle, simple_grid(plan.weights[ch], fmt)),
                ("products", simple_grid(step.products[ch], fmt)),
            )
        )
        label = f"channel {ch + 1} partial sum: " if channels > 1 else ""
        parts.append(line(label + sum_line(step.window[ch], plan.weights[ch], fmt, step.channel_sums[ch])))
    if channels > 1:
        parts.append(
            line(f"sum over channels = {' + '.join(fmt(v) for v in step.channel_sums)} = {fmt(step.sum)}")
        )
    if step.divisor:
        parts.append(line(f"÷ {step.divisor} (window size) = {fmt(step.sum / step.divisor)}"))
    if step.bias:
        parts.append(line(f"+ bias {fmt(step.bias)} = {fmt(step.value)}"))
    map_name = f"map {step.filter + 1} " if many else ""
    parts.append(Text(f"{map_name}output[{i},{j}] = {fmt(step.value)}", style="bold"))
    if filled is not None:
        parts.append(partial_grid(plan.out_shape, filled, fmt, {step.at}))
    return Group(*parts)


def _result(report: ConvReport, fmt: Fmt) -> RenderableType:
    plan = report.plan
    rows, cols = _ranges(plan)
    chosen = {s.at for s in report.chosen}
    image = ("image", labelled(plan.image, lambda ch, g: padded_grid(g, rows, cols, fmt)))
    if report.filters == 1:
        return side_by_side(
            image,
            ("kernel", labelled(plan.kernel, lambda ch, g: simple_grid(g, fmt))),
            ("output", simple_grid(report.outputs[0], fmt, chosen)),
        )
    kernels = [p.kernel for p in report.plans]
    return side_by_side(
        image,
        ("filters", labelled(kernels, lambda f, k: labelled(k, lambda ch, g: simple_grid(g, fmt)), "filter")),
        ("output maps", labelled(report.outputs, lambda f, g: simple_grid(g, fmt, chosen), "filter")),
    )


def conv_view(report: ConvReport, fmt: Fmt, steps: bool = False) -> Group:
    """Everything `cnntool conv` shows: chosen cells or all steps, the result, then the optional parts."""
    parts: list[RenderableType] = []
    if report.chosen:
        parts += [conv_step_view(report, step, fmt) for step in report.chosen]
    elif steps:
        filled: list[dict[tuple[int, int], Number]] = [{} for _ in report.plans]
        for step in report.steps:
            filled[step.filter][step.at] = step.value
            parts.append(conv_step_view(report, step, fmt, filled[step.filter]))
    if report.chosen or steps:
        parts.append(heading("result"))
    parts += [_result(report, fmt), line(_summary(report))]
    if report.backward is not None:
        divisor = report.plan.divisor
        parts.append(backward_view(report.backward, "conv", fmt, steps, len(report.plan.image), divisor))
    if report.matrix is not None:
        parts.append(matrix_view(report.matrix, fmt))
    if report.shift is not None:
        parts.append(shift_view(report.shift, fmt))
    return Group(*parts)


def matrix_view(m: ConvMatrix, fmt: Fmt) -> Group:
    """The conv as one sparse matrix with tied weights: legend, one character per entry, the counts."""
    rows, cols = len(m.matrix), len(m.matrix[0])
    channels, kh, kw = shape(m.plan.kernel)
    filters = len(m.plans)
    legend = []
    for f, plan in enumerate(m.plans):
        for ch, grid in enumerate(plan.kernel):
            for a in range(kh):
                for b in range(kw):
                    idx = (f * channels + ch) * kh * kw + a * kw + b
                    where = ",".join(
                        map(str, ((f,) if filters > 1 else ()) + ((ch,) if channels > 1 else ()) + (a, b))
                    )
                    legend.append(f"{weight_symbol(idx)}=w[{where}]={fmt(grid[a][b])}")
    parts: list[RenderableType] = [heading("convolution as a matrix"), line("  ".join(legend))]
    if m.plan.divisor:
        parts.append(line(f"(each entry is the weight ÷ {m.plan.divisor}, because of the normalisation)"))
    which = f"the {rows} output cells, filter by filter" if filters > 1 else f"the {rows} output cells"
    parts.append(line(f"rows: {which}; columns: the {cols} input cells (row-major); · = no connection"))
    parts.append(matrix_rows(m.weight_index))
    note = "" if m.nonzero == m.connections else f" ({m.connections} connections; some weights are 0)"
    parts.append(
        line(
            f"matrix has {rows}×{cols} = {m.entries:,} entries, {m.nonzero:,} non-zero{note}, "
            f"{m.distinct_weights} distinct weights (weight sharing); a dense layer would learn all {m.entries:,}."
        )
    )
    return Group(*parts)


def shift_view(shifts: tuple[ShiftResult, ...], fmt: Fmt) -> Group:
    """conv(shift(x)) next to shift(conv(x)) for every filter, and the verdict."""
    first = shifts[0]
    parts: list[RenderableType] = [
        heading(f"translation equivariance: input shifted by {first.shift[0]},{first.shift[1]}")
    ]
    many = len(shifts) > 1
    if many:
        parts.append(
            side_by_side(("shifted input", labelled(first.shifted_image, lambda ch, g: simple_grid(g, fmt))))
        )
    for f, s in enumerate(shifts):
        expected = tuple(
            tuple(v if ok else None for v, ok in zip(er, cr)) for er, cr in zip(s.expected, s.comparable)
        )
        panels = (
            [] if many else [("shifted input", labelled(s.shifted_image, lambda ch, g: simple_grid(g, fmt)))]
        )
        if many:
            parts.append(Text(f"filter {f + 1}", style="dim"))
        parts.append(
            side_by_side(
                *panels,
                ("conv(shifted input)", simple_grid(s.shifted_output, fmt)),
                (f"conv(input) shifted by {s.out_shift[0]},{s.out_shift[1]}", simple_grid(expected, fmt)),
            )
        )
    count = sum(map(sum, first.comparable))
    verdict = "equal" if all(s.agree for s in shifts) else "NOT equal"
    maps = " of every map" if many else ""
    parts.append(
        line(
            f"conv(shift(x)) and shift(conv(x)) are {verdict} on the {count} cells{maps} away from the border "
            "(· = cells whose window touches the border, where content left or zeros came in)."
        )
    )
    return Group(*parts)
