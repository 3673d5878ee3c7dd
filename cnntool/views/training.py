"""Views of training: live progress bars, the per-epoch table, curves, a confusion matrix, learned
filters beside the lecture's hand-made ones, predictions and experiment results.

Everything here is a rich renderable (or, for the progress bars, a rich Progress the shell starts
and stops); nothing prints. The shells (cli/train.py, cli/experiment.py, cli/demo.py) and a TUI
draw them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from cnntool.views.heatmap import Heatmap, HeatmapRow, grid_of_maps, legend
from cnntool.views.plots import LinePlot, Series


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def _num(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"


class TrainingBars:
    """Two bars: epochs and the batches of the current epoch, with loss, accuracy, samples/s and ETA."""

    def __init__(self, console: Any, epochs: int, first_epoch: int = 1, seen: int = 0) -> None:
        self.progress = Progress(
            TextColumn("{task.description}", style="bold"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.epochs = self.progress.add_task("epochs ", total=epochs, completed=first_epoch - 1, info="")
        self.batches = self.progress.add_task("batches", total=1, info="")
        self._started = time.perf_counter()
        self._samples = seen  # samples of the epoch when _started was taken (a resumed run's so far)

    def __enter__(self) -> TrainingBars:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def print(self, renderable: RenderableType) -> None:
        """Print above the bars (an epoch's row)."""
        self.progress.console.print(renderable)

    def update(self, event: Any) -> None:
        if event.kind == "step":
            if event.samples < self._samples:  # a new epoch began without an epoch event (resumed)
                self._started, self._samples = time.perf_counter(), 0
            elapsed = time.perf_counter() - self._started
            rate = (event.samples - self._samples) / elapsed if elapsed > 0 else 0.0
            acc = f"  acc {_pct(event.accuracy)}" if event.accuracy is not None else ""
            self.progress.update(self.batches, total=event.steps_per_epoch, completed=event.step,
                                 info=f"loss {_num(event.loss)}{acc}  {rate:,.0f} samples/s")  # fmt: skip
        elif event.kind == "epoch":
            self._started, self._samples = time.perf_counter(), 0
            self.progress.update(self.epochs, completed=event.epoch,
                                 info=f"epoch {event.epoch}: val {_pct(event.val_accuracy) if event.val_accuracy is not None else _num(event.val_loss)}")  # fmt: skip


def epoch_table(history: Sequence[Any], title: str = "") -> Table:
    """One row per epoch: loss, accuracy, validation loss and accuracy, lr, time, samples/s."""
    classify = any(r.accuracy is not None for r in history)
    table = Table(title=title or None, header_style="bold", title_justify="left")
    headers = (
        ["epoch", "loss"] + (["acc"] if classify else []) + ["val loss"] + (["val acc"] if classify else [])
    )
    for h in headers + ["lr", "s", "samples/s"]:
        table.add_column(h, justify="right")
    for r in history:
        cells = [str(r.epoch), _num(r.loss)] + ([_pct(r.accuracy)] if classify else []) + [_num(r.val_loss)]
        cells += [_pct(r.val_accuracy)] if classify else []
        table.add_row(*cells, f"{r.lr:.3g}", f"{r.seconds:.2f}", f"{r.samples_per_second:,.0f}")
    return table


def epoch_line(r: Any, epochs: int) -> Text:
    """One epoch as a line of text (for pipes, logs and --quiet-less runs without a terminal)."""
    parts = [f"epoch {r.epoch}/{epochs}", f"loss {_num(r.loss)}"]
    if r.accuracy is not None:
        parts.append(f"acc {_pct(r.accuracy)}")
    parts.append(f"val loss {_num(r.val_loss)}")
    if r.val_accuracy is not None:
        parts.append(f"val acc {_pct(r.val_accuracy)}")
    parts.append(f"{r.seconds:.2f} s")
    return Text("  ".join(parts))


def curves(histories: dict[str, Sequence[Any]], metric: str = "loss") -> Group:
    """Loss (and accuracy) curves per epoch: training and validation, one series per run."""
    several = len(histories) > 1
    plots = []
    keys = [("loss", "val_loss")] if metric == "loss" else [("accuracy", "val_accuracy")]
    if metric == "both":
        keys = [("loss", "val_loss"), ("accuracy", "val_accuracy")]
    for train_key, val_key in keys:
        series = []
        for name, hist in histories.items():
            for key, label in ((train_key, "train"), (val_key, "val")):
                points = [(r.epoch, getattr(r, key)) for r in hist if getattr(r, key) is not None]
                points = [(x, y) for x, y in points if math.isfinite(y)]
                if points:
                    tag = f"{name} {label}" if several else label
                    series.append(Series(tag, [p[0] for p in points], [p[1] for p in points]))
        if series:
            plots.append(LinePlot(series, train_key))
    return Group(*plots)


def confusion_view(confusion: Any) -> Table:
    """Rows: true class; columns: predicted class; the diagonal (right answers) in green."""
    names = list(confusion.class_names)
    table = Table(title=f"confusion matrix (validation): accuracy {_pct(confusion.accuracy)}",
                  title_justify="left", header_style="bold")  # fmt: skip
    table.add_column("true \\ predicted", justify="left")
    for name in names:
        table.add_column(name[:10], justify="right")
    table.add_column("recall", justify="right")
    for i, (name, row) in enumerate(zip(names, confusion.counts)):
        cells = [Text(str(int(v)), style="bold green" if i == j else ("red" if v else "dim"))
                 for j, v in enumerate(row)]  # fmt: skip
        table.add_row(name[:16], *cells, _pct(confusion.recall()[i]))
    return table


def filters_view(banks: Sequence[Any], references: dict[str, Any] | None = None, limit: int = 16) -> Group:
    """Each conv layer's learned filters as heatmaps (channel 0 … by filter), and hand-made references."""
    parts: list[RenderableType] = []
    for bank in banks:
        w = bank.weights
        parts.append(Text(f"{bank.label}: {w.shape[0]} filters of {w.shape[1]}×{w.shape[2]}×{w.shape[3]}",
                          style="bold"))  # fmt: skip
        arrays, titles = [], []
        for f in range(min(w.shape[0], limit)):
            for c in range(min(w.shape[1], 3 if w.shape[1] <= 3 else 1)):
                arrays.append(w[f, c])
                titles.append(f"#{f}" + (f" c{c}" if w.shape[1] > 1 else ""))
        parts.append(grid_of_maps(arrays, titles, signed=True))
        if w.shape[0] > limit:
            parts.append(Text(f"(first {limit} of {w.shape[0]} filters shown)", style="dim"))
    if references:
        parts.append(Text("the lecture's hand-made filters", style="bold"))
        parts.append(grid_of_maps(list(references.values()), list(references), signed=True))
    parts.append(legend(True))
    return Group(*parts)


def feature_maps_view(maps: Sequence[Any], limit: int = 16) -> Group:
    """One input's feature maps, a row of heatmaps per conv block."""
    parts: list[RenderableType] = []
    for fm in maps:
        parts.append(Text(f"{fm.label}: {fm.maps.shape[0]} maps of {fm.maps.shape[1]}×{fm.maps.shape[2]}",
                          style="bold"))  # fmt: skip
        shown = fm.maps[:limit]
        parts.append(HeatmapRow([Heatmap(m, f"#{i}") for i, m in enumerate(shown)]))
    return Group(*parts)


def input_view(x: Any, title: str = "input") -> RenderableType:
    """One image input (C, H, W) as heatmaps, one per channel."""
    return grid_of_maps([x[c] for c in range(x.shape[0])], [title if x.shape[0] == 1 else f"{title} c{c}"
                                                             for c in range(x.shape[0])])  # fmt: skip


def prediction_view(prediction: Any) -> Group:
    """The ranking as bars of probability, or the output values."""
    lines: list[RenderableType] = []
    for note in prediction.notes:
        lines.append(Text(f"note: {note}", style="dim"))
    if prediction.ranking:
        table = Table(show_header=True, header_style="bold", box=None)
        table.add_column("class")
        table.add_column("probability", justify="right")
        table.add_column("")
        for i, (name, p) in enumerate(prediction.ranking):
            bar = "█" * int(round(p * 30))
            table.add_row(Text(name, style="bold" if i == 0 else ""), f"{100 * p:.1f} %",
                          Text(bar, style="green" if i == 0 else "dim"))  # fmt: skip
        lines.append(table)
    else:
        lines.append(Text("output: " + ", ".join(f"{v:.4g}" for v in prediction.outputs[:20])))
    return Group(*lines)


def experiment_table(result: Any) -> Table:
    """One row per variant: final training and validation metrics, the gap, and how it ended."""
    classify = result.metric == "val_accuracy"
    table = Table(title=result.title, title_justify="left", header_style="bold")
    table.add_column("variant")
    table.add_column("params", justify="right")
    for h in (["train acc", "val acc", "gap"] if classify else []) + ["train loss", "val loss"]:
        table.add_column(h, justify="right")
    grads = any(v.gradient_norms.get("at_init") and isinstance(v.gradient_norms["at_init"], dict)
                for v in result.variants)  # fmt: skip
    if grads:
        table.add_column("‖∇W‖ first/last at init", justify="right", no_wrap=True)
    table.add_column("result")
    for v in result.variants:
        f = v.final
        cells = [v.name, f"{v.params:,}"]
        if classify:
            gap = None if f is None or f.accuracy is None else (f.accuracy - (f.val_accuracy or 0.0))
            cells += [_pct(f and f.accuracy), _pct(f and f.val_accuracy),
                      "—" if gap is None else f"{100 * gap:+.1f} pts"]  # fmt: skip
        cells += [_num(f and f.loss), _num(f and f.val_loss)]
        if grads:
            g = v.gradient_norms.get("at_init") or {}
            cells.append(f"{g.get('first', math.nan):.1e}/{g.get('last', math.nan):.1e}" if g else "—")
        cells.append(v.message if v.status != "finished" else "finished")
        table.add_row(*cells)
    return table


def experiment_view(result: Any) -> Group:
    """The table, the validation curves of every variant together, and (rnn-vs-lstm) ‖dL/dh_t‖ per step."""
    key = "val_accuracy" if result.metric == "val_accuracy" else "val_loss"
    series = []
    for v in result.variants:
        points = [(r.epoch, getattr(r, key)) for r in v.history if getattr(r, key) is not None]
        points = [(x, y) for x, y in points if math.isfinite(y)]
        if points:
            series.append(Series(v.name, [p[0] for p in points], [p[1] for p in points]))
    parts: list[RenderableType] = [experiment_table(result)]
    if series:
        parts.append(LinePlot(series, key.replace("_", " ")))
    norms = [
        (v.name, v.gradient_norms.get("trained") or v.gradient_norms.get("at_init")) for v in result.variants
    ]
    time_norms = [(n, g) for n, g in norms if isinstance(g, list) and g]
    if time_norms:
        plot = [Series(n, list(range(len(g))), [max(x, 1e-30) for x in g]) for n, g in time_norms]
        parts.append(LinePlot(plot, "‖dL/dh_t‖ per time step (log scale)", xlabel="time step t", log=True))
    parts.append(Text(result.lesson, style="italic"))
    return Group(*parts)
