"""The stepper: slide a kernel (or a pooling window) across an image one output cell at a time.

The form on the left is parsed like `cnntool conv` / `cnntool pool` (tui/stepping.py) and run
by the explainer API; each frame is `cnntool.views.stepper.frame`, i.e. the very step view
`cnntool conv --steps` prints. Several channels show each channel's window and partial sum
then the total; several filters (diag,cross,antidiag) fill one map each, filter by filter.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widgets import Checkbox, Header, Input, Label, Select, Static, TabbedContent, TabPane

from cnntool.errors import CnnToolError
from cnntool.explain.api import ConvReport
from cnntool.explain.samples import SAMPLES
from cnntool.tui.launch import one_line
from cnntool.tui.stepping import Form, run
from cnntool.tui.widgets.key_bar import KeyBar
from cnntool.views.backward import backward_view
from cnntool.views.conv import matrix_view
from cnntool.views.grid import Fmt
from cnntool.views.pool import pool_backward_view
from cnntool.views.stepper import frame, step_count

SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
NUMBERS = {"exact": Fmt(), "round 2": Fmt(decimals=2), "truncate 2 (slides)": Fmt(truncate=2)}
MODE_NAMES = (("convolution", "conv"), ("max pooling", "max"), ("average pooling", "avg"))


class FrameView(VerticalScroll, inherit_bindings=False):
    """The focusable frame area: up/down/page scroll it, while ←/→/home/end step (the screen's keys)."""

    BINDINGS = [
        Binding("up", "scroll_up", "Scroll up", show=False),
        Binding("down", "scroll_down", "Scroll down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
    ]


class StepperScreen(Screen):
    """Form, status line, and tabs: the steps, the convolution as a matrix, the backward pass."""

    TITLE = "stepper"
    BINDINGS = [
        Binding("space,right", "step(1)", "Next", tooltip="The next output cell"),
        Binding("left", "step(-1)", "Back", tooltip="The previous output cell"),
        Binding("home", "jump(0)", "First", show=False, tooltip="Back to the start (no cell computed)"),
        Binding("end", "jump(-1)", "Last", show=False, tooltip="The last output cell"),
        Binding("a", "autoplay", "Autoplay", tooltip="Play the steps (again: pause)"),
        Binding("plus,equals_sign", "speed(1)", "Faster", show=False, tooltip="Autoplay faster"),
        Binding("minus", "speed(-1)", "Slower", show=False, tooltip="Autoplay slower"),
        Binding(
            "c", "toggle_controls", "Controls", tooltip="Hide or show the form (more room for the steps)"
        ),
        Binding("ctrl+e", "apply", "Apply form", show=False, tooltip="Run the form's settings again"),
    ]

    report: reactive[object | None] = reactive(None, always_update=True, init=False)
    position: reactive[int] = reactive(0, init=False)
    playing: reactive[bool] = reactive(False, init=False)
    speed: reactive[float] = reactive(4.0, init=False)
    numbers: reactive[str] = reactive("exact", init=False)
    controls: reactive[bool] = reactive(True, init=False)

    def __init__(self, image: str = "x", kernel: str = "diag", normalize: bool = False) -> None:
        super().__init__()
        self.form = Form(image=image, kernel=kernel, normalize=normalize)
        self.timer: Timer | None = None

    def compose(self) -> ComposeResult:
        f = self.form
        images = [(s.name, s.name) for s in SAMPLES.values() if s.kind == "image"]
        kernels = [(s.name, s.name) for s in SAMPLES.values() if s.kind == "kernel"]
        kernels.append(("diag,cross,antidiag (3 filters)", "diag,cross,antidiag"))
        yield Header()
        with Horizontal(id="stepper"):
            with VerticalScroll(id="stepper-controls"):
                yield Select(MODE_NAMES, value=f.mode, allow_blank=False, compact=True, id="mode")
                yield Label("image")
                yield Input(
                    f.image,
                    placeholder="1 2; 3 4 · @file · x",
                    compact=True,
                    id="image",
                    suggester=SuggestFromList(list(SAMPLES)),
                )
                yield Select(images, prompt="image samples", compact=True, id="image-samples")
                yield Label("kernel (several: a | b)", id="kernel-label")
                yield Input(
                    f.kernel,
                    placeholder="1 0; 0 1 · diag,cross",
                    compact=True,
                    id="kernel",
                    suggester=SuggestFromList(list(SAMPLES)),
                )
                yield Select(kernels, prompt="kernel samples", compact=True, id="kernel-samples")
                yield Label("window size", id="size-label", classes="pool-only")
                yield Input(f.size, compact=True, id="size", classes="pool-only")
                for field, value in (("stride", f.stride), ("padding", f.padding), ("dilation", f.dilation)):
                    with Horizontal(classes="pair"):
                        yield Label(field)
                        yield Input(value, compact=True, id=field)
                yield Checkbox(
                    "normalise (÷ window)", f.normalize, compact=True, id="normalize", classes="conv-only"
                )
                yield Checkbox(
                    "flip (true convolution)", f.flip, compact=True, id="flip", classes="conv-only"
                )
                yield Checkbox("ceil mode", f.ceil, compact=True, id="ceil", classes="pool-only")
                yield Select(
                    [(k, k) for k in NUMBERS], value="exact", allow_blank=False, compact=True, id="numbers"
                )
            with Vertical(id="stepper-main"):
                yield Static(id="stepper-status")
                with TabbedContent(id="stepper-tabs"):
                    with TabPane("steps", id="tab-steps"), FrameView(id="frame-scroll"):
                        yield Static(id="frame")
                    with TabPane("as matrix", id="tab-matrix"), VerticalScroll(id="matrix-scroll"):
                        yield Static(id="matrix")
                    with TabPane("backward", id="tab-backward"), VerticalScroll(id="backward-scroll"):
                        yield Static(id="backward")
        yield KeyBar()

    def on_mount(self) -> None:
        self.show_mode_fields()
        self.apply(notify=True)
        self.query_one(FrameView).focus()

    # -- the form -------------------------------------------------------------------------------
    def action_toggle_controls(self) -> None:
        self.controls = not self.controls

    def watch_controls(self, controls: bool) -> None:
        self.set_class(not controls, "-hide-controls")
        if not controls:
            self.query_one(FrameView).focus()

    def read_form(self) -> Form:
        def text(name: str) -> str:
            return self.query_one(f"#{name}", Input).value

        def ticked(name: str) -> bool:
            return self.query_one(f"#{name}", Checkbox).value

        return Form(
            mode=str(self.query_one("#mode", Select).value), image=text("image"), kernel=text("kernel"),
            size=text("size"), stride=text("stride"), padding=text("padding"), dilation=text("dilation"),
            normalize=ticked("normalize"), flip=ticked("flip"), ceil=ticked("ceil"),
        )  # fmt: skip

    def apply(self, notify: bool = True) -> bool:
        """Run the form; on a bad field, say so (a notification) and keep the last report."""
        form = self.read_form()
        try:
            report = run(form)
        except CnnToolError as error:
            if notify:
                self.notify(one_line(error), title="cannot step this", severity="error")
            return False
        except Exception as error:  # a bug must not end the app: say it, as the command line does
            self.notify(f"{type(error).__name__}: {error}; please report it as a bug", title="cannot step this",
                        severity="error")  # fmt: skip
            return False
        self.form = form
        self.playing = False
        self.report = report
        self.position = 0
        return True

    def action_apply(self) -> None:
        self.apply()

    @on(Input.Submitted)
    def field_submitted(self) -> None:
        if self.apply():
            self.query_one(FrameView).focus()

    @on(Input.Blurred)
    def field_left(self, event: Input.Blurred) -> None:
        if self.read_form() != self.form:
            self.apply()

    @on(Checkbox.Changed)
    def box_changed(self) -> None:
        self.apply()

    @on(Select.Changed, "#mode")
    def mode_changed(self) -> None:
        pool = self.query_one("#mode", Select).value != "conv"
        stride = self.query_one("#stride", Input)
        if pool and stride.value.strip() == "1":
            stride.value = ""  # pooling's stride defaults to the window size, as PyTorch's
        elif not pool and not stride.value.strip():
            stride.value = "1"
        self.show_mode_fields()
        self.apply()

    def show_mode_fields(self) -> None:
        pool = self.query_one("#mode", Select).value != "conv"
        for widget in self.query(".pool-only"):
            widget.display = pool
        for widget in self.query(".conv-only"):
            widget.display = not pool
        for name in ("kernel", "kernel-label", "kernel-samples"):
            self.query_one(f"#{name}").display = not pool
        self.query_one("#stride", Input).placeholder = "= size" if pool else "1"

    @on(Select.Changed, "#image-samples")
    def image_sample(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL:
            self.query_one("#image", Input).value = str(event.value)
            self.apply()

    @on(Select.Changed, "#kernel-samples")
    def kernel_sample(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL:
            self.query_one("#kernel", Input).value = str(event.value)
            self.apply()

    @on(Select.Changed, "#numbers")
    def numbers_changed(self, event: Select.Changed) -> None:
        self.numbers = str(event.value)

    # -- stepping -------------------------------------------------------------------------------
    @property
    def total(self) -> int:
        return step_count(self.report) if self.report is not None else 0

    def action_step(self, delta: int) -> None:
        self.position = max(0, min(self.total, self.position + delta))

    def action_jump(self, where: int) -> None:
        self.playing = False
        self.position = self.total if where < 0 else 0

    def action_autoplay(self) -> None:
        if not self.playing and self.position >= self.total:
            self.position = 0
        self.playing = not self.playing

    def action_speed(self, delta: int) -> None:
        i = SPEEDS.index(self.speed) if self.speed in SPEEDS else 3
        self.speed = SPEEDS[max(0, min(len(SPEEDS) - 1, i + delta))]

    def tick(self) -> None:
        if self.position >= self.total:
            self.playing = False
        else:
            self.position += 1

    def watch_playing(self, playing: bool) -> None:
        if self.timer is not None:
            self.timer.stop()
            self.timer = None
        if playing:  # a timer on the event loop: stepping never blocks the keys
            self.timer = self.set_interval(1 / self.speed, self.tick)
        self.show_status()

    def watch_speed(self) -> None:
        if self.playing:
            self.watch_playing(True)
        self.show_status()

    def watch_report(self) -> None:
        self.show_frame()
        self.show_extra()

    def watch_position(self) -> None:
        self.show_frame()

    def watch_numbers(self) -> None:
        self.show_frame()
        self.show_extra()

    @property
    def fmt(self) -> Fmt:
        return NUMBERS[self.numbers]

    def show_frame(self) -> None:
        if self.report is None:
            return
        self.query_one("#frame", Static).update(frame(self.report, self.position, self.fmt))
        self.show_status()

    def show_status(self) -> None:
        report = self.report
        if report is None:
            return
        where = ""
        if self.position:
            step = report.steps[self.position - 1]
            if isinstance(report, ConvReport):
                which = f"filter {step.filter + 1} " if report.filters > 1 else ""
            else:
                which = f"channel {step.channel + 1} " if len(report.plan.image) > 1 else ""
            where = f" · {which}output ({step.at[0]},{step.at[1]}) = {self.fmt(step.value)}"
        play = f"▶ {self.speed:g} steps/s" if self.playing else f"⏸ a plays ({self.speed:g}/s, +/- speed)"
        self.query_one("#stepper-status", Static).update(
            Text(f"step {self.position}/{self.total}{where} · {play}", no_wrap=True, overflow="ellipsis")
        )

    # -- the other tabs ---------------------------------------------------------------------------
    @on(TabbedContent.TabActivated, "#stepper-tabs")
    def tab_shown(self) -> None:
        self.show_extra()

    def show_extra(self) -> None:
        """Fill the active one of the matrix and backward tabs (computed on demand: they cost more)."""
        active = self.query_one("#stepper-tabs", TabbedContent).active
        if self.report is None or active not in ("tab-matrix", "tab-backward"):
            return
        matrix = active == "tab-matrix"
        target = self.query_one("#matrix" if matrix else "#backward", Static)
        if matrix and self.form.mode != "conv":
            target.update(Text("pooling has no weights: the matrix view is for a convolution", style="dim"))
            return
        try:
            report = run(self.form, as_matrix=matrix, backward=not matrix)
        except CnnToolError as error:
            target.update(Text(one_line(error), style="red"))
            return
        except Exception as error:  # a bug must not end the app
            target.update(Text(f"{type(error).__name__}: {error}; please report it as a bug", style="red"))
            return
        if matrix:
            target.update(matrix_view(report.matrix, self.fmt))
        elif isinstance(report, ConvReport):
            channels = len(report.plan.image)
            target.update(
                backward_view(report.backward, "conv", self.fmt, True, channels, report.plan.divisor)
            )
        else:
            target.update(pool_backward_view(report.plan, report.backward, True, self.fmt))
