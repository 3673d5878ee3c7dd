"""The trainer: pick a dataset and a spec, then start, pause and stop training while watching it learn.

Training runs in a thread worker (`@work(thread=True)`) around `engine.fit` (tui/training.py);
the worker checks for cancellation at every step, waits on an event while paused, and posts
dataclass messages with new curve points and NumPy copies of the filters and feature maps, so
the interface stays responsive and never touches the live model. Stop saves a checkpoint
(`model.save`) to the path in the form; quitting the app cancels without saving.
"""

from __future__ import annotations

import gc
import threading

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Label, Select, Static, TabbedContent, TabPane
from textual.worker import Worker, get_current_worker

from cnntool.errors import CnnToolError
from cnntool.tui.launch import one_line
from cnntool.tui.messages import TrainingEnded, TrainingProgress
from cnntool.tui.training import DATASETS, DEFAULT_SPECS, OPTIMIZERS, Settings, TrainingRun, settings
from cnntool.tui.widgets.curves import Curves
from cnntool.tui.widgets.key_bar import KeyBar
from cnntool.views.heatmap import heatmaps

MAX_PICTURES = 16


class TrainerScreen(Screen):
    """Form on the left; status, curves, filters and feature maps on the right."""

    TITLE = "trainer"
    BINDINGS = [
        Binding("f5", "start", "Start", tooltip="Start training (a new model from the spec)"),
        Binding("f6", "pause", "Pause/resume", tooltip="Pause or resume training"),
        Binding("f7", "stop", "Stop", tooltip="Stop training and save the checkpoint"),
    ]

    state: reactive[str] = reactive("idle", init=False)

    def __init__(self, data: str = "xo") -> None:
        super().__init__()
        self.data = data if data in DEFAULT_SPECS else "xo"
        self.resume = threading.Event()
        self.resume.set()
        self.stop_requested = False
        self.worker: Worker | None = None
        self.last = ""
        self.pictures: dict[str, tuple[str, object]] = {}
        self.updates = 0

    def compose(self) -> ComposeResult:
        defaults = Settings()
        datasets = [(name, name) for name in DATASETS]
        yield Header()
        with Horizontal(id="trainer"):
            with VerticalScroll(id="trainer-controls"):
                yield Label("dataset")
                yield Select(datasets, value=self.data, allow_blank=False, compact=True, id="data")
                yield Label("spec (input shape first)")
                yield Input(DEFAULT_SPECS[self.data], compact=True, id="train-spec")
                yield Static(id="spec-info")
                for field, label, value in (
                    ("epochs", "epochs", str(defaults.epochs)),
                    ("batch", "batch", str(defaults.batch_size)),
                    ("lr", "lr", f"{defaults.lr:g}"),
                    ("seed", "seed", str(defaults.seed)),
                ):
                    with Horizontal(classes="pair"):
                        yield Label(label)
                        yield Input(value, compact=True, id=field)
                yield Label("optimizer")
                yield Select(
                    [(o, o) for o in OPTIMIZERS],
                    value="adam",
                    allow_blank=False,
                    compact=True,
                    id="optimizer",
                )
                yield Label("checkpoint on stop (.npz)")
                yield Input(f"{self.data}-model.npz", compact=True, id="checkpoint")
                with Horizontal(id="train-buttons"):
                    yield Button("Start", variant="success", compact=True, id="start")
                    yield Button("Pause", compact=True, id="pause", disabled=True)
                    yield Button("Stop", variant="error", compact=True, id="stop", disabled=True)
            with Vertical(id="trainer-main"):
                yield Static(id="train-status")
                with TabbedContent(id="trainer-tabs"):
                    with TabPane("curves", id="tab-curves"), Horizontal(id="curves"):
                        yield Curves("loss", id="loss-plot")
                        yield Curves("accuracy", id="acc-plot")
                    with TabPane("filters", id="tab-filters"), VerticalScroll(id="filters-scroll"):
                        yield Static(
                            "the first convolution's filters appear here while training", id="filters"
                        )
                    with TabPane("feature maps", id="tab-maps"), VerticalScroll(id="maps-scroll"):
                        yield Static(
                            "one validation input's feature maps appear here while training", id="maps"
                        )
        yield KeyBar()

    def on_mount(self) -> None:
        self.describe_spec()
        self.show_status(self.ready())

    def ready(self) -> str:
        from cnntool.data.catalog import CATALOG

        return f"{self.data}: {CATALOG[self.data].description}"

    # -- the form -------------------------------------------------------------------------------
    @on(Select.Changed, "#data")
    def data_changed(self, event: Select.Changed) -> None:
        spec = self.query_one("#train-spec", Input)
        old = self.data
        self.data = str(event.value)
        if self.state == "idle":
            self.show_status(self.ready())
        if spec.value == DEFAULT_SPECS.get(old):  # the user has not edited it: follow the dataset
            spec.value = DEFAULT_SPECS[self.data]
        checkpoint = self.query_one("#checkpoint", Input)
        if checkpoint.value == f"{old}-model.npz":
            checkpoint.value = f"{self.data}-model.npz"

    @on(Input.Changed, "#train-spec")
    def describe_spec(self) -> None:
        """The spec's parameter count and output shape under it (from cnntool.arith), or its error."""
        from cnntool.arith import summarize
        from cnntool.spec.source import load_spec
        from cnntool.text import shape_text

        info = self.query_one("#spec-info", Static)
        try:
            summary = summarize(load_spec(self.query_one("#train-spec", Input).value, files=False))
        except CnnToolError as error:
            info.update(Text(one_line(error), style="red"))
            return
        info.update(f"{summary.total_params:,} params · output {shape_text(summary.output_shape)}")

    def read_settings(self) -> Settings:
        def text(name: str) -> str:
            return self.query_one(f"#{name}", Input).value

        return settings(self.data, text("train-spec"), text("epochs"), text("batch"), text("lr"),
                        str(self.query_one("#optimizer", Select).value), text("seed"), text("checkpoint"))  # fmt: skip

    # -- start, pause, stop ---------------------------------------------------------------------
    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        if self.state in ("running", "paused", "stopping"):
            return
        try:
            chosen = self.read_settings()
        except CnnToolError as error:
            self.notify(one_line(error), title="cannot train", severity="error")
            return
        for plot in self.query(Curves):
            plot.reset()
        self.pictures.clear()
        self.updates = 0
        self.stop_requested = False
        self.resume.set()
        self.state = "running"
        self.show_status(f"preparing {chosen.data} and building the model …")
        self.worker = self.train(chosen)

    @on(Button.Pressed, "#pause")
    def action_pause(self) -> None:
        if self.state == "running":
            self.resume.clear()
            self.state = "paused"
        elif self.state == "paused":
            self.resume.set()
            self.state = "running"

    @on(Button.Pressed, "#stop")
    def action_stop(self) -> None:
        if self.worker is None or self.state not in ("running", "paused"):
            return
        self.stop_requested = True
        self.state = "stopping"
        self.worker.cancel()
        self.resume.set()

    def watch_state(self, state: str) -> None:
        busy = state in ("running", "paused")
        self.query_one("#start", Button).disabled = busy or state == "stopping"
        self.query_one("#pause", Button).disabled = not busy
        self.query_one("#pause", Button).label = "Resume" if state == "paused" else "Pause"
        self.query_one("#stop", Button).disabled = not busy
        if self.last:
            self.show_status(self.last)

    @work(thread=True, exclusive=True, group="training", exit_on_error=False)
    def train(self, chosen: Settings) -> None:
        """The worker: build, fit until done or cancelled, save the checkpoint on stop or at the end."""
        worker = get_current_worker()
        try:
            run = TrainingRun(chosen)
            # numba, NumPy and the engine add ~150,000 long-lived objects; a full garbage collection that
            # walks them all took ~0.25 s, and held the interface that long. Collect once now (the model is
            # still being prepared), then leave them out of later collections (the app unfreezes at exit).
            gc.collect()
            gc.freeze()
            finished = run.train(lambda: worker.is_cancelled, self.resume, self.publish)
        except CnnToolError as error:
            self.post_message(TrainingEnded(False, error=one_line(error)))
            return
        except Exception as error:  # a bug must not kill the app: say it, as the CLI does
            self.post_message(
                TrainingEnded(False, error=f"{type(error).__name__}: {error} (please report it)")
            )
            return
        saved = ""
        if (finished or self.stop_requested) and chosen.checkpoint:
            try:
                saved = str(run.save(chosen.checkpoint))
            except CnnToolError as error:
                self.post_message(TrainingEnded(finished, error=f"checkpoint not saved: {one_line(error)}"))
                return
        self.post_message(TrainingEnded(finished, saved))

    def publish(self, update) -> None:
        self.post_message(TrainingProgress(update))

    # -- what the worker reports ----------------------------------------------------------------
    def on_training_progress(self, message: TrainingProgress) -> None:
        """Keep the new points and pictures; draw only what the active tab shows (drawing is the cost)."""
        u = message.update
        tab = self.query_one("#trainer-tabs", TabbedContent).active
        self.updates += 1
        for n, plot in enumerate(self.query(Curves)):  # one plot redrawn per update: each once a second
            draw = tab == "tab-curves" and self.updates % 2 == n
            plot.add(u.points, u.val_points, index=1 if plot.id == "loss-plot" else 2, draw=draw)
        last = u.points[-1] if u.points else None
        parts = [
            f"epoch {u.epoch}",
            f"step {u.step}/{u.steps_per_epoch}",
            f"{u.samples_per_s:,.0f} samples/s",
        ]
        if last is not None:
            parts.append(f"loss {last[1]:.4f}")
            if last[2] is not None:
                parts.append(f"acc {last[2]:.3f}")
        if u.val_points:
            _, val_loss, val_acc = u.val_points[-1]
            parts.append(
                f"val loss {val_loss:.4f}" + (f" · val acc {val_acc:.3f}" if val_acc is not None else "")
            )
        self.last = " · ".join(parts)
        self.show_status(self.last)
        if u.filters is not None:
            self.pictures["filters"] = u.filters
        if u.maps is not None:
            self.pictures["maps"] = u.maps
        if u.filters is not None or u.maps is not None:
            self.show_pictures(tab)

    @on(TabbedContent.TabActivated, "#trainer-tabs")
    def tab_shown(self, event: TabbedContent.TabActivated) -> None:
        tab = self.query_one("#trainer-tabs", TabbedContent).active
        if tab == "tab-curves":
            for plot in self.query(Curves):
                plot.replot()
        self.show_pictures(tab)

    def show_pictures(self, tab: str) -> None:
        """Draw the filters or the feature maps as heat maps, if that tab is the one shown."""
        if tab == "tab-filters" and "filters" in self.pictures:
            label, w = self.pictures["filters"]
            channel = f" (input channel 1 of {w.shape[1]})" if w.shape[1] > 1 else ""
            items = [(f"filter {f + 1}", w[f, 0]) for f in range(min(len(w), MAX_PICTURES))]
            self.query_one("#filters", Static).update(heatmaps(items, f"{label}: {len(w)} filters{channel}"))
        elif tab == "tab-maps" and "maps" in self.pictures:
            label, maps = self.pictures["maps"]
            items = [(f"map {f + 1}", maps[f]) for f in range(min(len(maps), MAX_PICTURES))]
            self.query_one("#maps", Static).update(heatmaps(items, f"after {label}, for validation input 1"))

    def on_training_ended(self, message: TrainingEnded) -> None:
        self.worker = None
        if self.query_one("#trainer-tabs", TabbedContent).active == "tab-curves":
            for plot in self.query(Curves):  # the last points, drawn
                plot.replot()
        if message.error:
            self.state = "failed"
            self.notify(message.error, title="training stopped", severity="error")
            return
        self.state = "finished" if message.finished else "stopped"
        if message.saved:
            self.notify(f"checkpoint saved to {message.saved}", title=f"training {self.state}")

    def show_status(self, text: str) -> None:
        state = {"running": "▶ running", "paused": "⏸ paused", "stopping": "stopping …"}.get(
            self.state, self.state
        )
        # a fixed height and no layout pass: a status update must not make the plots draw again
        self.query_one("#train-status", Static).update(
            Text(f"{state} · {text}" if self.state != "idle" else text), layout=False
        )
