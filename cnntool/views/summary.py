"""The summary as a rich table, with its footer line and warnings (for the CLI and the TUI).

The columns, cells and footer text come from `cnntool.arith.table`; this module only
decides how they look in a terminal.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from cnntool.arith.results import Summary
from cnntool.arith.table import COLUMNS, cell_text, footer_text, table_rows

_SHORTCUT_ROLES = ("shortcut", "add")


def summary_table(summary: Summary, keys: tuple[str, ...], hwc: bool, title: str = "") -> Table:
    """One row per layer (a residual block's shortcut and add dimmed), then the bold totals row."""
    headers, rows, totals = table_rows(summary, keys, hwc)
    table = Table(title=title, title_justify="left", show_footer=False, header_style="bold")
    for key, header in zip(keys, headers):
        table.add_column(
            header,
            justify="right" if COLUMNS[key].numeric else "left",
            overflow="fold",
            no_wrap=key in ("output", "input"),
        )
    for row, layer in zip(rows, summary.layers):
        style = "dim" if layer.role in _SHORTCUT_ROLES else None
        table.add_row(*(Text(cell_text(v)) for v in row), style=style)
    table.add_section()
    table.add_row(*(Text(cell_text(v)) for v in totals), style="bold")
    return table


def summary_view(summary: Summary, keys: tuple[str, ...], hwc: bool, title: str = "") -> Group:
    """The table, the footer line (shapes, totals, memory) and each warning in yellow."""
    warnings = [Text.assemble(("warning:", "yellow"), f" {warning}") for warning in summary.warnings]
    return Group(summary_table(summary, keys, hwc, title), Text(footer_text(summary, hwc)), *warnings)
