"""Render a Summary as a rich table, Markdown, CSV or JSON.

Columns are data (name, header, how to read a row), so `--columns` and every
output format share one definition.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cnntool.arith.results import LayerResult, Summary
from cnntool.cli._common import fmt_int, fmt_shape
from cnntool.spec.source import to_channels_last


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    value: Callable[[LayerResult, Callable], Any]
    numeric: bool = False
    total: Callable[[Summary], int] | None = None


def _rf(attr: str) -> Callable[[LayerResult, Callable], str]:
    def read(row: LayerResult, _shape: Callable) -> str:
        rf = row.receptive_field
        if rf is None:
            return ""
        if attr == "size":
            return rf.label()
        values = getattr(rf, attr)
        return "x".join(f"{float(v):g}" for v in values)

    return read


COLUMNS: dict[str, Column] = {
    c.key: c
    for c in (
        Column("index", "#", lambda r, s: r.index, True),
        Column("layer", "layer", lambda r, s: ("  " * r.depth) + r.text),
        Column("kind", "kind", lambda r, s: r.kind),
        Column("input", "input", lambda r, s: fmt_shape(s(r.input_shape, r.input_layout))),
        Column("output", "output", lambda r, s: fmt_shape(s(r.output_shape, r.layout))),
        Column("params", "params", lambda r, s: r.params, True, lambda t: t.total_params),
        Column("trainable", "trainable", lambda r, s: r.trainable_params, True, lambda t: t.trainable_params),
        Column("buffers", "buffers", lambda r, s: r.buffers, True, lambda t: t.total_buffers),
        Column(
            "unshared", "unshared", lambda r, s: r.params_unshared, True, lambda t: t.total_params_unshared
        ),
        Column("dense", "dense-equiv", lambda r, s: r.params_dense, True, lambda t: t.total_params_dense),
        Column("macs", "MACs", lambda r, s: r.macs, True, lambda t: t.total_macs),
        Column("rf", "RF", _rf("size")),
        Column("jump", "jump", _rf("jump")),
        Column("start", "start", _rf("start")),
        Column("activations", "activations", lambda r, s: r.activations, True, lambda t: t.total_activations),
    )
}
DEFAULT_COLUMNS = ("index", "layer", "output", "params", "unshared", "dense", "macs", "rf")


def shape_reader(hwc: bool) -> Callable[[tuple[int, ...], str], tuple[int, ...]]:
    """Shapes as printed: channels-first, or channels-last with --hwc (by the tensor's layout)."""
    if not hwc:
        return lambda shape, layout: shape
    return to_channels_last


def parse_columns(text: str | None) -> tuple[str, ...]:
    from cnntool.errors import CnnToolError
    from cnntool.text import did_you_mean

    if not text:
        return DEFAULT_COLUMNS
    keys = tuple(k.strip().lower() for k in text.split(",") if k.strip())
    for key in keys:
        if key not in COLUMNS:
            hint = did_you_mean(key, list(COLUMNS))
            raise CnnToolError(
                f"unknown column '{key}'. {hint + ' ' if hint else ''}Columns: {', '.join(COLUMNS)}"
            )
    return keys


def table_rows(
    summary: Summary, keys: tuple[str, ...], hwc: bool
) -> tuple[list[str], list[list[Any]], list[Any]]:
    """Headers, cells and the totals row (raw values: ints stay ints)."""
    read_shape = shape_reader(hwc)
    cols = [COLUMNS[k] for k in keys]
    rows = [[c.value(r, read_shape) for c in cols] for r in summary.layers]
    totals: list[Any] = []
    for i, c in enumerate(cols):
        if c.total is not None:
            totals.append(c.total(summary))
        elif i == 0 or (i == 1 and keys[0] == "index"):
            totals.append("total" if not totals or totals[-1] == "" else "")
        else:
            totals.append("")
    if totals and "total" not in totals:
        totals[0] = "total"
    return [c.header for c in cols], rows, totals


def render_table(summary: Summary, keys: tuple[str, ...], hwc: bool, title: str) -> None:
    from rich.table import Table

    from cnntool.cli._common import console

    headers, rows, totals = table_rows(summary, keys, hwc)
    table = Table(title=title, title_justify="left", show_footer=False, header_style="bold")
    for key, header in zip(keys, headers):
        numeric = COLUMNS[key].numeric
        table.add_column(
            header,
            justify="right" if numeric else "left",
            overflow="fold",
            no_wrap=key in ("output", "input"),
        )
    for row, layer in zip(rows, summary.layers):
        style = "dim" if layer.role in ("shortcut", "add") else None
        table.add_row(*(fmt_int(v) if isinstance(v, int) else str(v) for v in row), style=style)
    table.add_section()
    table.add_row(*(fmt_int(v) if isinstance(v, int) else str(v) for v in totals), style="bold")
    out = console()
    out.print(table)
    read_shape = shape_reader(hwc)
    shape_in = fmt_shape(read_shape(summary.input_shape, summary.layout))
    last_layout = summary.layers[-1].layout if summary.layers else summary.layout
    shape_out = fmt_shape(read_shape(summary.output_shape, last_layout))
    out.print(
        f"input {shape_in} → output {shape_out} · params {summary.total_params:,} "
        f"(trainable {summary.trainable_params:,}, non-trainable {summary.non_trainable_params:,})"
        + (f" · buffers {summary.total_buffers:,}" if summary.total_buffers else "")
        + f" · MACs {summary.total_macs:,} · memory: params {_mib(summary.total_params)}, "
        f"activations {_mib(summary.total_activations)} per sample (float32)"
    )
    for warning in summary.warnings:
        out.print(f"[yellow]warning:[/yellow] {warning}", markup=True, highlight=False)


def _mib(elements: int) -> str:
    size = elements * 4
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 / 1024:.1f} MiB"


def render_markdown(summary: Summary, keys: tuple[str, ...], hwc: bool) -> str:
    headers, rows, totals = table_rows(summary, keys, hwc)

    def cell(v: Any) -> str:
        return (fmt_int(v) if isinstance(v, int) else str(v)).replace("|", "\\|")

    align = ["---:" if COLUMNS[k].numeric else ":---" for k in keys]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    lines.append("| " + " | ".join(f"**{cell(v)}**" if cell(v) else "" for v in totals) + " |")
    return "\n".join(lines)


def render_csv(summary: Summary, keys: tuple[str, ...], hwc: bool) -> str:
    """Plain integers (no thousands separators) so spreadsheets read numbers as numbers."""
    headers, rows, totals = table_rows(summary, keys, hwc)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    writer.writerow(totals)
    return buffer.getvalue().rstrip("\n")


def summary_json(summary: Summary, hwc: bool) -> dict[str, Any]:
    data = summary.to_dict()
    if hwc:
        read_shape = shape_reader(True)
        for row, layer in zip(data["layers"], summary.layers):
            row["input_shape"] = list(read_shape(layer.input_shape, layer.input_layout))
            row["output_shape"] = list(read_shape(layer.output_shape, layer.layout))
        data["input_shape"] = list(read_shape(summary.input_shape, summary.layout))
        if summary.layers:
            data["output_shape"] = list(read_shape(summary.output_shape, summary.layers[-1].layout))
        data["shape_order"] = "channels_last"
    else:
        data["shape_order"] = "channels_first"
    return data
