"""Rich building blocks of the explainer views: number format, grids with a marked window, panels.

Only draws what `cnntool.explain` computed. Every block is a renderable that
decides at render time how to mark cells: colour on a colour console, brackets
([x] the window, <x> a second mark) when colour is off (a pipe, NO_COLOR), so
one renderable serves the terminal, a file and the TUI alike. Plain text goes
in `Text` objects, never markup strings: `w[0,1]` must print as written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from cnntool.numbers import Number, format_number

HIGHLIGHT = "bold black on yellow"
SECOND = "bold black on cyan"
PALETTE = ("red", "green", "yellow", "blue", "magenta", "cyan", "bright_red", "bright_green", "bright_blue")
MAX_TERMS = 27  # longer sums are summarised rather than written out term by term

Cells = set[tuple[int, int]]


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


def line(text: str, style: str = "") -> Text:
    """One line of prose (no markup parsing, no wrapping surprises in a pipe)."""
    return Text(text, style=style)


def heading(text: str) -> Rule:
    """A rule with a title, between steps."""
    return Rule(Text(text, style="bold"), align="left")


class MarkedGrid:
    """A right-aligned grid; `highlight` cells stand out ([x] when plain), `second` ones too (<x>), `dim` fade.

    The cell texts are taken when the grid is built, so a grid of a map being filled in
    keeps showing the cells known at that step.
    """

    def __init__(self, cell: Callable[[int, int], str], rows: Iterable[int], cols: Iterable[int],
                 highlight: Cells | None = None, dim: Cells | None = None, second: Cells | None = None) -> None:  # fmt: skip
        self.rows, self.cols = list(rows), list(cols)
        self.highlight, self.dim, self.second = highlight or set(), dim or set(), second or set()
        self.texts = {(r, c): cell(r, c) for r in self.rows for c in self.cols}
        self.width = max((len(t) for t in self.texts.values()), default=1) + 3

    def text(self, bare: bool) -> Text:
        """The grid as one Text: brackets around marked cells when `bare` (no colour)."""
        out = Text(no_wrap=True)
        for n, r in enumerate(self.rows):
            if n:
                out.append("\n")
            for c in self.cols:
                text = self.texts[(r, c)]
                marked = (r, c) in self.highlight or (r, c) in self.second
                if bare and marked:
                    text = f"[{text}]" if (r, c) in self.highlight else f"<{text}>"
                else:
                    text = f" {text} "
                style = HIGHLIGHT if (r, c) in self.highlight else SECOND if (r, c) in self.second else ""
                if (r, c) in self.dim and not marked:
                    style = "dim"
                out.append(text.rjust(self.width), style=style)
        return out

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.text(plain(console))

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.text(plain(console)))


def grid_text(cell: Callable[[int, int], str], rows: Iterable[int], cols: Iterable[int],
              highlight: Cells | None = None, dim: Cells | None = None, second: Cells | None = None) -> MarkedGrid:  # fmt: skip
    """A grid of `cell(r, c)` texts over the given rows and columns (see `MarkedGrid`)."""
    return MarkedGrid(cell, rows, cols, highlight, dim, second)


def simple_grid(
    grid: Sequence[Sequence[Number | None]], fmt: Fmt, highlight: Cells | None = None
) -> MarkedGrid:
    """A whole grid (tuple of rows) with optional highlighted cells."""
    return MarkedGrid(lambda r, c: fmt(grid[r][c]), range(len(grid)), range(len(grid[0])), highlight)


def partial_grid(shape: tuple[int, int], values: Mapping[tuple[int, int], Number], fmt: Fmt,
                 current: Cells | None = None) -> MarkedGrid:  # fmt: skip
    """The output map as it fills in: computed cells shown, the rest as dots."""
    return MarkedGrid(
        lambda r, c: fmt(values[(r, c)]) if (r, c) in values else "·",
        range(shape[0]),
        range(shape[1]),
        current,
    )


def padded_grid(grid: Sequence[Sequence[Number]], rows: range, cols: range, fmt: Fmt, window: Cells | None = None,
                pad_text: str = "0", second: Cells | None = None) -> MarkedGrid:  # fmt: skip
    """The input with its padding ring drawn (dim), the current window highlighted.

    Cells past the padding (a ceil-mode window hanging off the edge) show as "·".
    """
    h, w = len(grid), len(grid[0])

    def cell(r: int, c: int) -> str:
        if 0 <= r < h and 0 <= c < w:
            return fmt(grid[r][c])
        return pad_text if rows[0] <= r < h - rows[0] and cols[0] <= c < w - cols[0] else "·"

    dim = {(r, c) for r in rows for c in cols if not (0 <= r < h and 0 <= c < w)}
    return MarkedGrid(cell, rows, cols, highlight=window, dim=dim, second=second)


def labelled(
    tensor: Sequence, draw: Callable[[int, Sequence], RenderableType], label: str = "channel"
) -> Group:
    """One drawing per channel (or filter), each under a dim "channel n" label when there are several."""
    parts: list[RenderableType] = []
    for n, grid in enumerate(tensor):
        if len(tensor) > 1:
            parts.append(Text(f"{label} {n + 1}", style="dim"))
        parts.append(draw(n, grid))
    return Group(*parts)


class SideBySide:
    """Panels next to each other with a title above each; stacked instead when too wide for the space."""

    def __init__(self, *panels: tuple[str, RenderableType]) -> None:
        self.panels = panels

    def _widths(self, console: Console, options: ConsoleOptions) -> list[int]:
        return [
            max(len(title), Measurement.get(console, options, body).maximum) for title, body in self.panels
        ]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths = self._widths(console, options)
        if sum(widths) + 3 * (len(self.panels) - 1) > options.max_width:
            yield Group(*(part for title, body in self.panels for part in (Text(title, style="bold"), body)))
            return
        table = Table.grid(padding=(0, 3))
        for _ in self.panels:
            table.add_column(no_wrap=True)
        table.add_row(*(Text(title, style="bold") for title, _ in self.panels))
        table.add_row(*(body for _, body in self.panels))
        yield table

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widths = self._widths(console, options)
        return Measurement(max(widths), sum(widths) + 3 * (len(widths) - 1))


def side_by_side(*panels: tuple[str, RenderableType]) -> SideBySide:
    """Grids next to each other with a title above each (see `SideBySide`)."""
    return SideBySide(*panels)


def sum_line(window, kernel, fmt: Fmt, total: Number) -> str:
    """`(0 × -1/2) + (1 × 1) + … = 2`, or a count when there are too many terms."""
    terms = [(x, k) for wrow, krow in zip(window, kernel) for x, k in zip(wrow, krow)]
    if len(terms) > MAX_TERMS:
        return f"sum of {len(terms)} products = {fmt(total)}"
    return " + ".join(f"({fmt(x)} × {fmt(k)})" for x, k in terms) + f" = {fmt(total)}"


def weight_symbol(index: int) -> str:
    """a, b, c, … then A…Z, then digits: one character per kernel weight in the matrix view."""
    symbols = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return symbols[index] if index < len(symbols) else "#"


def matrix_rows(weight_index) -> Group:
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
