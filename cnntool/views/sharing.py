"""Weight sharing, seen: per layer, bars for its parameters, the same map without sharing, and a
dense layer between the same inputs and outputs (the lecture's point about convolutions).

The counts are the summary's own (`params`, `params_unshared`, `params_dense` of
`cnntool.arith`); this view only draws them. The bars are on a log scale, because a
dense-equivalent is often millions of times larger than the shared filter bank.
"""

from __future__ import annotations

import math

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from cnntool.arith.results import LayerResult, Summary
from cnntool.views.grid import plain

BARS = (
    ("params", "params", "green", "█"),
    ("unshared", "params_unshared", "yellow", "▓"),
    ("dense", "params_dense", "red", "▒"),
)


def compared_layers(summary: Summary) -> list[LayerResult]:
    """The layers worth a bar: those with parameters, or whose unshared/dense counts differ from 0."""
    return [r for r in summary.layers if r.params or r.params_unshared or r.params_dense]


def bar_length(value: int, largest: int, width: int) -> int:
    """Cells of a log-scale bar: log10(value + 1) of log10(largest + 1), at least 1 for a non-zero value."""
    if value <= 0 or largest <= 0:
        return 0
    return max(1, round(width * math.log10(value + 1) / math.log10(largest + 1)))


class SharingChart:
    """One group of three bars per layer with parameters; the bars fill the width they are given."""

    def __init__(self, summary: Summary, label_width: int = 18) -> None:
        self.rows = compared_layers(summary)
        self.label_width = label_width
        self.largest = max((max(r.params, r.params_unshared, r.params_dense) for r in self.rows), default=0)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.rows:
            yield Text("no layer has parameters: nothing is shared", style="dim")
            return
        numbers = max(len(f"{self.largest:,}"), 1)
        width = max(8, options.max_width - self.label_width - 10 - numbers - 4)
        bare = plain(console)
        table = Table.grid(padding=(0, 1))
        table.add_column(width=self.label_width, no_wrap=True, overflow="ellipsis")
        table.add_column(width=8, no_wrap=True)
        table.add_column(no_wrap=True)
        for row in self.rows:
            for n, (name, attr, colour, symbol) in enumerate(BARS):
                value = getattr(row, attr)
                bar = Text((symbol if bare else "█") * bar_length(value, self.largest, width), style=colour)
                bar.append(f" {value:,}")
                label = Text(f"{row.index} {row.text}" if n == 0 else "", style="bold")
                table.add_row(label, Text(name, style="dim"), bar)
        yield table
        yield Text(
            "bars on a log scale (each ×10 adds the same length): params = with weight sharing, "
            "unshared = a filter per output position, dense = every input to every output",
            style="dim",
        )

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.label_width + 20, options.max_width)
