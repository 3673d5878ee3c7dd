"""Heat maps of real-valued grids (learned filters, feature maps) as rich renderables.

A cell is two terminal columns wide (so a square filter looks square). On a colour
console the sign picks the hue (red positive, blue negative) and the magnitude the
strength, relative to the largest magnitude of the grid; without colour a shade ramp
from the smallest to the largest value stands in. Takes nested sequences of floats,
so it needs no numpy.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.columns import Columns
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.style import Style
from rich.text import Text

from cnntool.views.grid import plain

Grid = Sequence[Sequence[float]]
_ZERO, _POSITIVE, _NEGATIVE = (40, 40, 40), (235, 80, 50), (50, 120, 235)
_SHADES = " ░▒▓█"


def _blend(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> str:
    r, g, bl = (round(x + (y - x) * t) for x, y in zip(a, b))
    return f"rgb({r},{g},{bl})"


def cell_style(value: float, scale: float) -> Style:
    """The background of one cell: hue by sign, strength by |value| / scale."""
    t = 0.0 if scale <= 0 else max(-1.0, min(1.0, value / scale))
    target = _POSITIVE if t >= 0 else _NEGATIVE
    return Style(bgcolor=_blend(_ZERO, target, abs(t)))


class Heatmap:
    """One grid drawn as coloured cells under a title (`scale`: the |value| of full colour; default the max)."""

    def __init__(self, values: Grid, title: str = "", scale: float | None = None) -> None:
        self.values = [list(map(float, row)) for row in values]
        self.title = title
        flat = [v for row in self.values for v in row]
        self.scale = scale if scale is not None else max((abs(v) for v in flat), default=0.0)
        self.low, self.high = (min(flat), max(flat)) if flat else (0.0, 0.0)
        self.width = 2 * max((len(row) for row in self.values), default=0)

    def _shade(self, value: float) -> str:
        span = self.high - self.low
        level = 0 if span <= 0 else round((value - self.low) / span * (len(_SHADES) - 1))
        return _SHADES[level] * 2

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.title:
            yield Text(self.title, style="bold", no_wrap=True, overflow="ellipsis")
        bare = plain(console)
        for row in self.values:
            line = Text(no_wrap=True)
            for value in row:
                if bare:
                    line.append(self._shade(value))
                else:
                    line.append("  ", style=cell_style(value, self.scale))
            yield line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = max(self.width, min(len(self.title), max(self.width, 12)))
        return Measurement(width, width)


def heatmaps(items: Sequence[tuple[str, Grid]], note: str = "") -> Group:
    """Several titled heat maps flowing across the width, with an optional note above them."""
    maps = Columns([Heatmap(values, title) for title, values in items], padding=(0, 2))
    return Group(Text(note, style="dim"), maps) if note else Group(maps)
