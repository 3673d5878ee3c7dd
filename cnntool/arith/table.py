"""The summary table as data: its columns, rows and totals, and the plain-text renderings of it.

Columns are data (key, header, how to read a row, how to total it), so `--columns`,
the terminal table (`cnntool.views.summary`), the TUI and the Markdown and CSV
exports all show the same columns. Pure: no rich and no typer, so `--json`,
`--format markdown` and `--format csv` never import a renderer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cnntool.arith.results import ELEMENT_TYPE, LayerResult, Summary
from cnntool.errors import CnnToolError
from cnntool.spec.source import to_channels_last
from cnntool.spreadsheet import csv_text
from cnntool.text import did_you_mean, excerpt, shape_text

ShapeReader = Callable[[tuple[int, ...], str], tuple[int, ...]]


@dataclass(frozen=True)
class Column:
    """One column: `value(row, read_shape)` gives a cell (ints stay ints); `total` a footer value."""

    key: str
    header: str
    value: Callable[[LayerResult, ShapeReader], Any]
    numeric: bool = False
    total: Callable[[Summary], int] | None = None


def _rf(attr: str) -> Callable[[LayerResult, ShapeReader], str]:
    def read(row: LayerResult, _shape: ShapeReader) -> str:
        rf = row.receptive_field
        if rf is None:
            return ""
        if attr == "size":
            return rf.label()
        return "x".join(f"{float(v):g}" for v in getattr(rf, attr))

    return read


COLUMNS: dict[str, Column] = {
    c.key: c
    for c in (
        Column("index", "#", lambda r, s: r.index, True),
        Column("layer", "layer", lambda r, s: ("  " * r.depth) + r.text),
        Column("kind", "kind", lambda r, s: r.kind),
        Column("input", "input", lambda r, s: shape_text(s(r.input_shape, r.input_layout))),
        Column("output", "output", lambda r, s: shape_text(s(r.output_shape, r.layout))),
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


def shape_reader(hwc: bool) -> ShapeReader:
    """Shapes as shown: channels-first, or channels-last when `hwc` (by the tensor's layout)."""
    if not hwc:
        return lambda shape, layout: shape
    return to_channels_last


def parse_columns(text: str | None) -> tuple[str, ...]:
    """'layer,params,macs' → column keys (the default set when empty); an unknown key is an error."""
    if not text:
        return DEFAULT_COLUMNS
    keys = tuple(k.strip().lower() for k in text.split(",") if k.strip())
    for key in keys:
        if key not in COLUMNS:
            hint = did_you_mean(key, list(COLUMNS))
            raise CnnToolError(
                f"unknown column {excerpt(key)}. {hint + ' ' if hint else ''}Columns: {', '.join(COLUMNS)}"
            )
    return keys


def table_rows(
    summary: Summary, keys: tuple[str, ...], hwc: bool
) -> tuple[list[str], list[list[Any]], list[Any]]:
    """Headers, cells and the totals row (raw values: ints stay ints).

    The totals row is labelled "total" in the first column that has no total of its own
    (no label when every column is totalled, so that no total is lost).
    """
    read_shape = shape_reader(hwc)
    cols = [COLUMNS[k] for k in keys]
    rows = [[c.value(r, read_shape) for c in cols] for r in summary.layers]
    totals: list[Any] = [c.total(summary) if c.total is not None else "" for c in cols]
    label = next((i for i, c in enumerate(cols) if c.total is None), None)
    if label is not None:
        totals[label] = "total"
    return [c.header for c in cols], rows, totals


def cell_text(value: Any) -> str:
    """A cell as shown in a table: integers with thousands separators."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def byte_text(size: int) -> str:
    """1,234,567 → '1.2 MiB' (KiB below one MiB)."""
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 / 1024:.1f} MiB"


def footer_text(summary: Summary, hwc: bool) -> str:
    """The line under the table: input → output, parameter totals, MACs and memory."""
    read_shape = shape_reader(hwc)
    shape_in = shape_text(read_shape(summary.input_shape, summary.layout))
    last_layout = summary.layers[-1].layout if summary.layers else summary.layout
    shape_out = shape_text(read_shape(summary.output_shape, last_layout))
    memory = summary.memory_bytes()
    return (
        f"input {shape_in} → output {shape_out} · params {summary.total_params:,} "
        f"(trainable {summary.trainable_params:,}, non-trainable {summary.non_trainable_params:,})"
        + (f" · buffers {summary.total_buffers:,}" if summary.total_buffers else "")
        + f" · MACs {summary.total_macs:,} · memory: params {byte_text(memory['params'])}, "
        f"activations {byte_text(memory['activations'])} per sample ({ELEMENT_TYPE})"
    )


def markdown_table(summary: Summary, keys: tuple[str, ...], hwc: bool) -> str:
    """A Markdown table (for handouts): numbers right-aligned, the totals row in bold."""
    headers, rows, totals = table_rows(summary, keys, hwc)

    def cell(v: Any) -> str:
        return cell_text(v).replace("|", "\\|")

    align = ["---:" if COLUMNS[k].numeric else ":---" for k in keys]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    lines.append("| " + " | ".join(f"**{cell(v)}**" if cell(v) else "" for v in totals) + " |")
    return "\n".join(lines)


def csv_table(summary: Summary, keys: tuple[str, ...], hwc: bool) -> str:
    """CSV with plain integers (no thousands separators), so spreadsheets read numbers as numbers;
    written by `cnntool.spreadsheet`, so a layer's text can never become a formula."""
    headers, rows, totals = table_rows(summary, keys, hwc)
    return csv_text([headers, *rows, totals]).rstrip("\n")


def summary_json(summary: Summary, hwc: bool) -> dict[str, Any]:
    """`Summary.to_dict()` with shapes channels-last when `hwc`, and `shape_order` saying which."""
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
