"""Rich rendering for `cnntool conv`, `pool` and `convT`: grids, highlighted windows, sums.

Only draws what `cnntool.explain` computed. Without colour (a pipe, NO_COLOR)
highlighted cells are wrapped in brackets so the window is still visible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from cnntool.numbers import Number, format_number

HIGHLIGHT = "bold black on yellow"
SECOND = "bold black on cyan"
PALETTE = ("red", "green", "yellow", "blue", "magenta", "cyan", "bright_red", "bright_green", "bright_blue")
MAX_TERMS = 27  # longer sums are summarised rather than written out term by term


@dataclass(frozen=True)
class Fmt:
    """How numbers print: exact by default, `decimals` rounds, `truncate` chops like the slides."""

    decimals: int | None = None
    truncate: int | None = None

    def __call__(self, value: Number | None) -> str:
        return "·" if value is None else format_number(value, self.decimals, self.truncate)


def plain(console: Console) -> bool:
    """True when colours are off, so highlights need brackets."""
    return console.no_color or console.color_system is None


def grid_text(
    console: Console,
    cell: Callable[[int, int], str],
    rows: Iterable[int],
    cols: Iterable[int],
    highlight: set[tuple[int, int]] | None = None,
    dim: set[tuple[int, int]] | None = None,
    second: set[tuple[int, int]] | None = None,
) -> Text:
    """A right-aligned grid; `highlight` cells stand out (brackets when plain), `dim` cells are faded."""
    rows, cols = list(rows), list(cols)
    highlight, dim, second = highlight or set(), dim or set(), second or set()
    texts = {(r, c): cell(r, c) for r in rows for c in cols}
    width = max((len(t) for t in texts.values()), default=1) + 3
    bare = plain(console)
    out = Text(no_wrap=True)
    for n, r in enumerate(rows):
        if n:
            out.append("\n")
        for c in cols:
            text = texts[(r, c)]
            marked = (r, c) in highlight or (r, c) in second
            text = (f"[{text}]" if (r, c) in highlight else f"<{text}>") if bare and marked else f" {text} "
            style = HIGHLIGHT if (r, c) in highlight else SECOND if (r, c) in second else ""
            if (r, c) in dim and not marked:
                style = "dim"
            out.append(text.rjust(width), style=style)
    return out


def simple_grid(console: Console, grid, fmt: Fmt, highlight: set[tuple[int, int]] | None = None) -> Text:
    """A whole grid (tuple of rows) with optional highlighted cells."""
    return grid_text(console, lambda r, c: fmt(grid[r][c]), range(len(grid)), range(len(grid[0])), highlight)


def side_by_side(console: Console, *panels: tuple[str, RenderableType]) -> RenderableType:
    """Grids next to each other with a title above each; stacked instead when too wide for the console."""
    widths = [
        max(len(title), Measurement.get(console, console.options, body).maximum) for title, body in panels
    ]
    if sum(widths) + 3 * (len(panels) - 1) > console.width:
        return Group(*(part for title, body in panels for part in (Text(title, style="bold"), body)))
    table = Table.grid(padding=(0, 3))
    for _ in panels:
        table.add_column(no_wrap=True)
    table.add_row(*(Text(title, style="bold") for title, _ in panels))
    table.add_row(*(body for _, body in panels))
    return table


def sum_line(window, kernel, fmt: Fmt, total: Number) -> str:
    """`(0 × -1/2) + (1 × 1) + … = 2`, or a count when there are too many terms."""
    terms = [(x, k) for wrow, krow in zip(window, kernel) for x, k in zip(wrow, krow)]
    if len(terms) > MAX_TERMS:
        return f"sum of {len(terms)} products = {fmt(total)}"
    return " + ".join(f"({fmt(x)} × {fmt(k)})" for x, k in terms) + f" = {fmt(total)}"


def heading(console: Console, text: str) -> None:
    """A rule with a title, between steps."""
    console.rule(Text(text, style="bold"), align="left")


def partial_grid(console: Console, shape: tuple[int, int], values: dict[tuple[int, int], Number], fmt: Fmt,
                 current: set[tuple[int, int]] | None = None) -> Text:  # fmt: skip
    """The output map as it fills in: computed cells shown, the rest as dots."""
    return grid_text(
        console,
        lambda r, c: fmt(values[(r, c)]) if (r, c) in values else "·",
        range(shape[0]),
        range(shape[1]),
        highlight=current,
    )


def weight_symbol(index: int) -> str:
    """a, b, c, … then A…Z, then digits: one character per kernel weight in the matrix view."""
    symbols = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return symbols[index] if index < len(symbols) else "#"


def matrix_rows(console: Console, weight_index) -> Group:
    """The conv matrix drawn one character per entry, coloured by which weight it holds."""
    lines = []
    for row in weight_index:
        text = Text(no_wrap=True, overflow="crop")
        for idx in row:
            if idx is None:
                text.append("·", style="dim")
            else:
                text.append(weight_symbol(idx), style=PALETTE[idx % len(PALETTE)])
        lines.append(text)
    return Group(*lines)
