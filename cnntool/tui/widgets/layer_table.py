"""The builder's layer table: the summary's own columns (cnntool.arith.table), one row per layer.

Cells come from `table_rows`, the same function behind `cnntool summary`'s table, Markdown
and CSV, so the TUI can never show a number the command line would not.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from cnntool.arith.results import Summary
from cnntool.arith.table import COLUMNS, DEFAULT_COLUMNS, cell_text, table_rows

_DIM_ROLES = ("shortcut", "add")


class LayerTable(DataTable):
    """Rows of a Summary; `stale` dims the table while the spec above does not parse."""

    DEFAULT_CSS = """
    LayerTable {
        height: 1fr;
        min-height: 4;
        &.-stale { opacity: 60%; }
    }
    """

    def __init__(self, keys: tuple[str, ...] = DEFAULT_COLUMNS, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.keys = keys

    def on_mount(self) -> None:
        for key in self.keys:
            header = COLUMNS[key].header
            self.add_column(Text(header, justify="right") if COLUMNS[key].numeric else header, key=key)

    def show(self, summary: Summary, hwc: bool) -> None:
        """Replace the rows with `summary`'s (the cursor stays on the same row number when it can)."""
        _, rows, _ = table_rows(summary, self.keys, hwc)
        row = self.cursor_row
        self.clear()
        numeric = [COLUMNS[k].numeric for k in self.keys]
        for cells, layer in zip(rows, summary.layers):
            style = "dim" if layer.role in _DIM_ROLES else ""
            self.add_row(
                *(
                    Text(cell_text(v), style=style, justify="right" if n else "left")
                    for v, n in zip(cells, numeric)
                ),
                key=str(layer.index),
            )
        if rows:
            self.move_cursor(row=min(max(row, 0), len(rows) - 1), animate=False)
