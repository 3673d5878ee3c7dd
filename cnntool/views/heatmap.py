"""Heatmaps of small arrays (learned filters, feature maps) for the terminal, with a plain fallback.

A cell is two characters wide so a square filter looks square. On a colour console the cell's
background shows the value: signed arrays (filters) blue for negative, white for zero, red for
positive, symmetric around 0; unsigned ones (feature maps after ReLU) black to yellow. Without
colour (a pipe, NO_COLOR) a small array (up to 9 columns: a filter) prints its values rounded to
two decimals, and a larger one a character per cell from a density ramp, so it still reads as a
picture in a log file.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.style import Style
from rich.text import Text

from cnntool.views.grid import plain

RAMP = " .:-=+*#%@"


def _rgb_signed(v: float) -> tuple[int, int, int]:
    """v in [−1, 1] → blue … white … red."""
    v = max(-1.0, min(1.0, v))
    if v >= 0:
        return 255, int(255 * (1 - v)), int(255 * (1 - v))
    return int(255 * (1 + v)), int(255 * (1 + v)), 255


def _rgb_unsigned(v: float) -> tuple[int, int, int]:
    """v in [0, 1] → black … orange … yellow."""
    v = max(0.0, min(1.0, v))
    return int(255 * min(1.0, 1.6 * v)), int(230 * v * v), int(40 * v)


class Heatmap:
    """One 2-D array as a block of coloured cells, with a title line above it."""

    def __init__(self, values: np.ndarray, title: str = "", signed: bool | None = None,
                 scale: float | None = None) -> None:  # fmt: skip
        self.values = np.asarray(values, dtype=np.float64)
        if self.values.ndim != 2:
            raise ValueError(f"a heatmap draws a 2-D array, got shape {self.values.shape}")
        self.title = title
        self.signed = bool((self.values < 0).any()) if signed is None else signed
        peak = float(np.abs(self.values).max()) if self.values.size else 0.0
        self.scale = scale if scale is not None else (peak or 1.0)

    @property
    def numbers(self) -> bool:
        """Whether the plain form prints numbers (small arrays) rather than ramp characters."""
        return self.values.shape[1] <= 9

    def cell_width(self, bare: bool) -> int:
        return 6 if bare and self.numbers else 2

    def width(self, bare: bool = False) -> int:
        return max(self.cell_width(bare) * self.values.shape[1], len(self.title))

    def _normal(self, v: float) -> float:
        if self.signed:
            return v / self.scale
        low = float(self.values.min())
        span = self.scale - low if self.scale > low else 1.0
        return (v - low) / span

    def rows(self, bare: bool) -> list[Text]:
        width = self.width(bare)
        lines = [Text(self.title.ljust(width), style="bold")] if self.title else []
        for row in self.values:
            line = Text()
            for v in row:
                n = self._normal(float(v))
                if bare and self.numbers:
                    line.append(f"{v:6.2f}")
                elif bare:
                    mark = RAMP[min(len(RAMP) - 1, int(abs(n) * (len(RAMP) - 1) + 0.5))]
                    line.append(("-" if self.signed and n < -0.05 else " ") + mark)
                else:
                    r, g, b = _rgb_signed(n) if self.signed else _rgb_unsigned(n)
                    line.append("  ", style=Style(bgcolor=f"rgb({r},{g},{b})"))
            line.append(" " * (width - self.cell_width(bare) * self.values.shape[1]))
            lines.append(line)
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.rows(plain(console))

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = self.width(plain(console))
        return Measurement(width, width)


class HeatmapRow:
    """Heatmaps side by side, wrapped onto more rows when the console is narrow."""

    def __init__(self, maps: Sequence[Heatmap], gap: int = 3) -> None:
        self.maps, self.gap = list(maps), gap

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        bare = plain(console)
        line: list[Heatmap] = []
        used = 0
        for m in self.maps:
            if line and used + self.gap + m.width(bare) > options.max_width:
                yield from self._join(line, bare)
                yield Text("")
                line, used = [], 0
            used += (self.gap if line else 0) + m.width(bare)
            line.append(m)
        if line:
            yield from self._join(line, bare)

    def _join(self, maps: list[Heatmap], bare: bool) -> list[Text]:
        columns = [m.rows(bare) for m in maps]
        height = max(len(c) for c in columns)
        out = []
        for i in range(height):
            text = Text()
            for j, (m, col) in enumerate(zip(maps, columns)):
                if j:
                    text.append(" " * self.gap)
                text.append_text(col[i] if i < len(col) else Text(" " * m.width(bare)))
            out.append(text)
        return out

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        bare = plain(console)
        total = sum(m.width(bare) for m in self.maps) + self.gap * max(0, len(self.maps) - 1)
        return Measurement(max((m.width(bare) for m in self.maps), default=1), total)


def legend(signed: bool) -> RenderableType:
    """One line saying how to read the colours (or the characters)."""

    class _Legend:
        def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
            if plain(console):
                yield Text(f"larger maps: '{RAMP.strip()}' from low to high" + (", '-' before a cell: negative"
                           if signed else ""), style="dim")  # fmt: skip
                return
            text = Text("scale: ", style="dim")
            for v in np.linspace(-1, 1, 9) if signed else np.linspace(0, 1, 9):
                r, g, b = _rgb_signed(v) if signed else _rgb_unsigned(v)
                text.append("  ", style=Style(bgcolor=f"rgb({r},{g},{b})"))
            text.append("  negative … 0 … positive" if signed else "  low … high", style="dim")
            yield text

    return _Legend()


def grid_of_maps(arrays: Sequence[np.ndarray], titles: Sequence[str], signed: bool | None = None,
                 shared_scale: bool = True) -> Group:  # fmt: skip
    """Several arrays as heatmaps in a row, on one colour scale when `shared_scale`."""
    scale = max((float(np.abs(a).max()) for a in arrays), default=1.0) or 1.0
    maps = [Heatmap(a, t, signed, scale if shared_scale else None) for a, t in zip(arrays, titles)]
    return Group(HeatmapRow(maps))


def heatmaps(items: Sequence[tuple[str, np.ndarray]], note: str = "") -> Group:
    """Titled arrays in a row on one shared signed scale, under a one-line note (the TUI's trainer)."""
    arrays = [np.asarray(a, dtype=float) for _, a in items]
    row = grid_of_maps(arrays, [title for title, _ in items], signed=True) if arrays else Group()
    return Group(*([Text(note, style="dim")] if note else []), row)
