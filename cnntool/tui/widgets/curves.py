"""A training curve (loss or accuracy against the step), drawn by textual-plotext.

The points come from the trainer's worker (engine.fit's Progress events); this widget keeps
them and redraws. Long runs are thinned (every other point dropped) past MAX_POINTS and at most
PLOTTED points are drawn, so a redraw stays cheap however long the training goes.
"""

from __future__ import annotations

from textual_plotext import PlotextPlot

MAX_POINTS = 4000
PLOTTED = 200  # at most this many points are drawn: drawing costs the interface time, not the points
Point = tuple[int, float, float | None]


class Curves(PlotextPlot):
    """The train curve (the epoch's running mean at each step) and the validation points per epoch."""

    DEFAULT_CSS = """
    Curves { min-width: 20; }
    """

    def __init__(self, what: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.what = what
        self.steps: list[int] = []
        self.values: list[float] = []
        self.val_steps: list[int] = []
        self.val_values: list[float] = []

    def on_mount(self) -> None:
        super().on_mount()
        self.replot()

    def reset(self) -> None:
        self.steps, self.values, self.val_steps, self.val_values = [], [], [], []
        self.replot()

    def add(
        self, points: tuple[Point, ...], val_points: tuple[Point, ...], index: int, draw: bool = True
    ) -> None:
        """Append the value at `index` (1 loss, 2 accuracy) of each point, skipping missing ones; redraw
        when `draw` (a hidden curve is drawn when it is shown: plotting costs the interface time)."""
        for point in points:
            if point[index] is not None:
                self.steps.append(point[0])
                self.values.append(float(point[index]))  # type: ignore[arg-type]
        for point in val_points:
            if point[index] is not None:
                self.val_steps.append(point[0])
                self.val_values.append(float(point[index]))  # type: ignore[arg-type]
        if len(self.steps) > MAX_POINTS:
            self.steps, self.values = self.steps[::2], self.values[::2]
        if draw and (points or val_points):
            self.replot()

    @property
    def points(self) -> int:
        """How many train points the curve holds."""
        return len(self.steps)

    def replot(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.title(self.what)
        plt.xlabel("step")
        if self.steps:
            every = -(-len(self.steps) // PLOTTED)
            plt.plot(self.steps[::every], self.values[::every], label="train", marker="braille")
        if self.val_steps:
            plt.plot(self.val_steps, self.val_values, label="validation", marker="dot")
        self.refresh()
