"""Terminal line plots of training curves (plotext, imported when a plot is drawn).

The plot is built at render time for the console's width; on a colour console each series has its
own colour (braille dots), without colour each has its own marker character, named in the legend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

from cnntool.views.grid import plain

MARKERS = ("•", "x", "+", "o", "*", "#")
COLOURS = ("blue", "red", "green", "orange", "magenta", "cyan")


@dataclass(frozen=True)
class Series:
    label: str
    x: Sequence[float]
    y: Sequence[float]


class LinePlot:
    """Several series on one set of axes. `log` plots log10 of y (gradient norms over many decades)."""

    def __init__(self, series: Sequence[Series], title: str, xlabel: str = "epoch", height: int = 14,
                 log: bool = False, width: int | None = None) -> None:  # fmt: skip
        self.series = [s for s in series if len(s.x)]
        self.title, self.xlabel, self.height, self.log, self.width = title, xlabel, height, log, width

    def build(self, width: int, colour: bool) -> str:
        import plotext as plt

        plt.clear_figure()
        plt.plotsize(width, self.height)
        for i, s in enumerate(self.series):
            marker = "braille" if colour else MARKERS[i % len(MARKERS)]
            plt.plot(list(s.x), list(s.y), label=s.label, marker=marker, color=COLOURS[i % len(COLOURS)])
        if self.log:
            plt.yscale("log")
        plt.title(self.title)
        plt.xlabel(self.xlabel)
        plt.theme("clear")
        text = plt.build()
        plt.clear_figure()
        return text if colour else plt.uncolorize(text)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.series:
            return
        width = min(options.max_width, self.width or 100)
        colour = not plain(console)
        built = self.build(width, colour)
        yield Text.from_ansi(built) if colour else Text(built)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(40, min(options.max_width, self.width or 100))
