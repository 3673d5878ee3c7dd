"""The builder's layer table: the summary's own columns (cnntool.arith.table), one row per layer.

Cells come from `table_rows`, the same function behind `cnntool summary`'s table, Markdown
and CSV, so the TUI can never show a number the command line would not.
"""

from __future__ import annotations

from rich.text import Text
from textual.coordinate import Coordinate
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
        self.numeric = [COLUMNS[k].numeric for k in keys]
        self.shown: list[tuple[list[str], str]] = []  # the cells on screen, and each row's style

    def on_mount(self) -> None:
        for key in self.keys:
            header = COLUMNS[key].header
            self.add_column(Text(header, justify="right") if COLUMNS[key].numeric else header, key=key)

    def show(self, summary: Summary, hwc: bool) -> None:
        """Show `summary`'s rows: only the cells that changed when the row count is the same (typing in one
        line of a long spec changes a few cells, and rebuilding 200 rows costs a frame), else all rows."""
        _, rows, _ = table_rows(summary, self.keys, hwc)
        new = [([cell_text(v) for v in row], "dim" if layer.role in _DIM_ROLES else "")
               for row, layer in zip(rows, summary.layers)]  # fmt: skip
        if len(new) == len(self.shown) == self.row_count:
            for r, (old, (cells, style)) in enumerate(zip(self.shown, new)):
                if old == (cells, style):
                    continue
                for c, text in enumerate(cells):
                    if text != old[0][c] or style != old[1]:
                        self.update_cell_at(Coordinate(r, c), self.cell(text, c, style), update_width=True)
        else:
            row = self.cursor_row
            self.clear()
            for n, (cells, style) in enumerate(new):
                self.add_row(*(self.cell(text, c, style) for c, text in enumerate(cells)), key=str(n))
            if new:
                self.move_cursor(row=min(max(row, 0), len(new) - 1), animate=False)
        self.shown = new

    def cell(self, text: str, column: int, style: str) -> Text:
        return Text(text, style=style, justify="right" if self.numeric[column] else "left")
