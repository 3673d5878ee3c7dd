"""The summary as a rich table, with its footer line and warnings (for the CLI and the TUI).

The columns, cells and footer text come from `cnntool.arith.table`; this module only
decides how they look in a terminal.

A number is never split across lines: every column but the layer's text is laid out on
one line (`no_wrap`), and when the table is wider than the terminal, whole columns are left
out, in `DROP_ORDER` (the lecture's extras first: dense-equiv, unshared; then the RF details;
never the layer's text), until it fits. A line under the table says which were left out.
The layer's text may wrap, at spaces only: the table is only kept when its narrowest column
can still hold the longest word.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Group
from rich.table import Table
from rich.text import Text

from cnntool.arith.results import Summary
from cnntool.arith.table import COLUMNS, cell_text, footer_text, table_rows

_SHORTCUT_ROLES = ("shortcut", "add")
#: The column whose text may wrap (at spaces); every other column keeps each cell on one line.
WRAPPING = "layer"
#: Which columns go first when the terminal is too narrow (the earliest first).
DROP_ORDER = (
    "dense", "unshared", "start", "jump", "activations", "buffers", "trainable", "kind", "input",
    "index", "rf", "macs", "output", "params",
)  # fmt: skip
#: Borders and padding: one border per column plus one, and a space each side of every cell.
_PADDING = 2


def _widths(summary: Summary, keys: tuple[str, ...], hwc: bool) -> dict[str, int]:
    """Each column's width on one line; the wrapping column's is its longest word."""
    headers, rows, totals = table_rows(summary, keys, hwc)
    widths = {}
    for i, key in enumerate(keys):
        cells = [headers[i], *(cell_text(row[i]) for row in rows), cell_text(totals[i])]
        if key == WRAPPING:
            widths[key] = max(cell_len(word) for cell in cells for word in (cell.split() or [""]))
        else:
            widths[key] = max(cell_len(cell) for cell in cells)
    return widths


def fit_columns(
    summary: Summary, keys: tuple[str, ...], hwc: bool, width: int | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(columns to show, columns left out) so that the table fits `width` without splitting a number."""
    if width is None:
        return keys, ()
    widths = _widths(summary, keys, hwc)
    shown = list(keys)
    for key in (k for k in DROP_ORDER if k in keys and k != WRAPPING):
        if sum(widths[k] + _PADDING for k in shown) + len(shown) + 1 <= width or len(shown) == 1:
            break
        shown.remove(key)
    hidden = tuple(k for k in keys if k not in shown)
    return tuple(shown), hidden


def summary_table(summary: Summary, keys: tuple[str, ...], hwc: bool, title: str = "") -> Table:
    """One row per layer (a residual block's shortcut and add dimmed), then the bold totals row."""
    headers, rows, totals = table_rows(summary, keys, hwc)
    table = Table(title=title, title_justify="left", show_footer=False, header_style="bold")
    for key, header in zip(keys, headers):
        table.add_column(
            header,
            justify="right" if COLUMNS[key].numeric else "left",
            overflow="fold",
            no_wrap=key != WRAPPING,
        )
    for row, layer in zip(rows, summary.layers):
        style = "dim" if layer.role in _SHORTCUT_ROLES else None
        table.add_row(*(Text(cell_text(v)) for v in row), style=style)
    table.add_section()
    table.add_row(*(Text(cell_text(v)) for v in totals), style="bold")
    return table


def summary_view(
    summary: Summary, keys: tuple[str, ...], hwc: bool, title: str = "", width: int | None = None
) -> Group:
    """The table (fitted to `width` columns when given), the footer line and each warning in yellow."""
    shown, hidden = fit_columns(summary, keys, hwc, width)
    parts: list = [summary_table(summary, shown, hwc, title)]
    if hidden:
        names = ", ".join(COLUMNS[k].header for k in hidden)
        parts.append(
            Text(f"not shown at {width} columns: {names} (a wider terminal shows them)", style="dim")
        )
    warnings = [Text.assemble(("warning:", "yellow"), f" {warning}") for warning in summary.warnings]
    return Group(*parts, Text(footer_text(summary, hwc)), *warnings)
