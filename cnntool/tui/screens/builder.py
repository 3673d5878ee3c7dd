"""The builder: type a spec, one layer a line, and watch shapes, parameter counts and MACs follow.

Every number on this screen comes from `cnntool.arith` (summarize, the table's columns, the
footer line, each layer's formulas) and is drawn by `cnntool.views`; the screen only parses
input, calls, and renders. A spec that does not parse keeps the last valid table (dimmed)
and underlines the offending token in the editor, with the message below it.
"""

from __future__ import annotations

import json
import time

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import (
    Checkbox,
    DataTable,
    Header,
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from cnntool.arith import summarize
from cnntool.arith.results import Summary
from cnntool.arith.table import footer_text, summary_json
from cnntool.errors import CnnToolError, SpecError
from cnntool.files import atomic_write, read_text
from cnntool.spec.source import load_spec
from cnntool.spec.zoo import ZOO
from cnntool.tui.launch import one_line
from cnntool.tui.screens.dialogs import PathPrompt
from cnntool.tui.widgets.key_bar import KeyBar
from cnntool.tui.widgets.layer_table import LayerTable
from cnntool.tui.widgets.spec_editor import SpecEditor, mark_of, one_layer_a_line
from cnntool.views.formulas import layer_formulas_view
from cnntool.views.sharing import SharingChart

#: When the last update (analysis and redraw) took longer than this, the next one waits for a pause in
#: typing (DEBOUNCE seconds) instead: a big spec never makes keystrokes lag.
INSTANT = 0.008
DEBOUNCE = 0.12


class BuilderScreen(Screen):
    """Spec editor, layer table, totals, formulas of the selected layer and the weight-sharing chart."""

    TITLE = "builder"
    BINDINGS = [
        Binding("ctrl+o", "load", "Load", tooltip="Load a spec file into the editor"),
        Binding("ctrl+s", "save", "Save", tooltip="Save the editor's spec to a file"),
        Binding("ctrl+l", "copy_spec", "Copy spec", tooltip="Copy the spec text to the clipboard"),
        Binding("ctrl+r", "copy_json", "Copy JSON", tooltip="Copy `cnntool summary --json` of the spec"),
        Binding("ctrl+g", "toggle_hwc", "--hwc", tooltip="Shapes channels-last (32x32x3), as the lecture"),
        Binding("ctrl+n", "toggle_keras", "--keras", tooltip="Keras conventions for RNN biases and BN"),
    ]

    hwc: reactive[bool] = reactive(False, init=False)
    keras: reactive[bool] = reactive(False, init=False)
    summary: reactive[Summary | None] = reactive(None, always_update=True, init=False)
    problem: reactive[str] = reactive("", init=False)
    selected: reactive[int] = reactive(0, init=False)

    def __init__(self, spec: str, name: str = "") -> None:
        super().__init__()
        self.initial = one_layer_a_line(spec)
        self.spec_name = name
        self.cost = 0.0
        self.pending: Timer | None = None
        self.saved_path = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="builder"):
            with Vertical(id="builder-left"):
                zoo = [(name, name) for name in ZOO]
                yield Select(zoo, prompt="zoo: pick a network", compact=True, id="zoo")
                yield SpecEditor(self.initial, id="spec")
                yield Static(id="spec-error")
                with Horizontal(id="switches"):
                    yield Checkbox("--hwc", compact=True, id="hwc")
                    yield Checkbox("--keras", compact=True, id="keras")
            with Vertical(id="builder-right"):
                yield LayerTable(id="layers")
                yield Static(id="totals")
                with TabbedContent(id="details"):
                    with TabPane("formulas", id="tab-formulas"), VerticalScroll():
                        yield Static(id="formula")
                    with TabPane("sharing", id="tab-sharing"), VerticalScroll():
                        yield Static(id="sharing")
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = self.spec_name
        self.analyse()
        self.query_one(SpecEditor).focus()

    # -- analysis -------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        return self.query_one(SpecEditor).text

    def analyse(self) -> None:
        """Summarize the editor's text; a bad spec sets `problem` (and the mark) and keeps the last table."""
        self.pending = None
        started = time.perf_counter()
        text = self.text
        editor = self.query_one(SpecEditor)
        try:
            net = load_spec(text, hwc=self.hwc, files=False)  # the editor's text is never a path to read
            summary = summarize(net, convention="keras" if self.keras else "pytorch")
        except SpecError as error:
            editor.mark = mark_of(text, error.offset, error.length) if error.source == text else None
            self.problem = one_line(error)
        except CnnToolError as error:
            editor.mark = None
            self.problem = one_line(error)
        except RecursionError:
            editor.mark = None
            self.problem = "the spec is nested too deeply"
        except Exception as error:  # a bug must not end the app: say it, as the command line does
            editor.mark = None
            self.problem = (
                f"could not analyse this spec ({type(error).__name__}: {error}); please report it as a bug"
            )
        else:
            editor.mark = None
            self.problem = ""
            self.summary = summary
        self.cost = time.perf_counter() - started

    @on(TextArea.Changed, "#spec")
    def spec_changed(self) -> None:
        """Analyse at once when that is cheap; otherwise after a short pause in typing."""
        if self.pending is not None:
            self.pending.stop()
        if self.cost < INSTANT:
            self.analyse()
        else:
            self.pending = self.set_timer(DEBOUNCE, self.analyse)

    def watch_problem(self, problem: str) -> None:
        self.query_one("#spec-error", Static).update(Text(problem, style="bold red") if problem else "")
        self.query_one(LayerTable).set_class(bool(problem), "-stale")

    def watch_summary(self, summary: Summary | None) -> None:
        self.show_summary()

    def show_summary(self) -> None:
        summary = self.summary
        if summary is None:
            return
        self.query_one(LayerTable).show(summary, self.hwc)
        warnings = [Text.assemble(("warning:", "yellow"), f" {w}") for w in summary.warnings]
        self.query_one("#totals", Static).update(Group(Text(footer_text(summary, self.hwc)), *warnings))
        self.query_one("#sharing", Static).update(SharingChart(summary))
        self.show_formula()

    def show_formula(self) -> None:
        summary = self.summary
        if summary is None or not summary.layers:
            self.query_one("#formula", Static).update("")
            return
        row = summary.layers[min(self.selected, len(summary.layers) - 1)]
        self.query_one("#formula", Static).update(layer_formulas_view(row, self.hwc))

    @on(DataTable.RowHighlighted, "#layers")
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.selected = event.cursor_row

    def watch_selected(self) -> None:
        self.show_formula()

    # -- switches -------------------------------------------------------------------------------
    @on(Checkbox.Changed, "#hwc")
    def hwc_changed(self, event: Checkbox.Changed) -> None:
        self.hwc = event.value

    @on(Checkbox.Changed, "#keras")
    def keras_changed(self, event: Checkbox.Changed) -> None:
        self.keras = event.value

    def watch_hwc(self, hwc: bool) -> None:
        self.query_one("#hwc", Checkbox).value = hwc
        self.analyse()  # the typed input is read another way: the numbers change, not only the shapes

    def watch_keras(self, keras: bool) -> None:
        self.query_one("#keras", Checkbox).value = keras
        self.analyse()

    def action_toggle_hwc(self) -> None:
        self.hwc = not self.hwc

    def action_toggle_keras(self) -> None:
        self.keras = not self.keras

    @on(Select.Changed, "#zoo")
    def zoo_picked(self, event: Select.Changed) -> None:
        if event.value is Select.NULL:
            return
        name = str(event.value)
        self.sub_title = name
        self.query_one(SpecEditor).load_text(one_layer_a_line(ZOO[name].text()))

    # -- files and clipboard --------------------------------------------------------------------
    def action_load(self) -> None:
        self.app.push_screen(PathPrompt("Load a spec file (one layer a line, # comments)"), self.load_file)

    def load_file(self, path: str | None) -> None:
        if not path:
            return
        try:
            text = read_text(path, what="spec file")
        except CnnToolError as error:
            self.notify(one_line(error), title="cannot load", severity="error")
            return
        self.query_one(SpecEditor).load_text(one_layer_a_line(text))
        self.sub_title = path
        self.saved_path = path

    def action_save(self) -> None:
        prompt = PathPrompt("Save the spec to (an existing file is replaced)", self.saved_path or "spec.txt")
        self.app.push_screen(prompt, self.save_file)

    def save_file(self, path: str | None) -> None:
        if not path:
            return
        try:
            atomic_write(path, self.text.rstrip("\n") + "\n")
        except CnnToolError as error:
            self.notify(one_line(error), title="cannot save", severity="error")
            return
        except OSError as error:  # a full disk, a file system gone read-only
            self.notify(
                f"cannot write {path}: {error.strerror or error}", title="cannot save", severity="error"
            )
            return
        self.saved_path = path
        self.notify(f"saved {path}", title="spec saved")

    def action_copy_spec(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.notify(f"{len(self.text):,} characters", title="spec copied")

    def action_copy_json(self) -> None:
        if self.summary is None:
            self.notify("no valid spec yet", title="nothing to copy", severity="warning")
            return
        self.app.copy_to_clipboard(
            json.dumps(summary_json(self.summary, self.hwc), indent=2, ensure_ascii=False)
        )
        stale = " (of the last valid spec: the editor's has an error)" if self.problem else ""
        self.notify(f"summary --json{stale}", title="JSON copied")
