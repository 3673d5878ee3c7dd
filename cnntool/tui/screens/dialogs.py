"""Modal screens: the help (every key binding of the screen below it) and the file-path prompt."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Input, Label, Static


def key_bindings(screen: Screen) -> list[tuple[str, str, str]]:
    """(keys, what they do, where) for every described binding of the app and of `screen`, as it is now."""
    app = screen.app
    own = {id(node): {b.action for b in type(node).__dict__.get("BINDINGS", ())} for node in (app, screen)}
    groups: dict[tuple[int, str], tuple[list[str], str, str]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description or binding.action not in own.get(id(active.node), ()):
            continue  # Textual's own defaults (focus next, copy) and the widgets' keys are not ours to list
        where = "everywhere" if active.node is app else screen.title or type(screen).__name__
        keys, _, _ = groups.setdefault((id(active.node), binding.action), ([], binding.description, where))
        keys.append(app.get_key_display(binding))
    rows = [(", ".join(keys), what, where) for keys, what, where in groups.values()]
    return sorted(rows, key=lambda r: r[2] == "everywhere")


class HelpScreen(ModalScreen[None]):
    """The key bindings of the screen it was opened from, and a few words on the screens."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 90%; max-width: 100; height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    HelpScreen DataTable { height: 1fr; }
    HelpScreen #help-about { height: auto; color: $text-muted; }
    """
    BINDINGS = [Binding("escape,q,question_mark,f1", "app.pop_screen", "Close help")]

    def __init__(self, rows: list[tuple[str, str, str]], about: str) -> None:
        super().__init__()
        self.rows = rows
        self.about = about

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Keys[/b]  (escape closes; every action is also in the command palette, ctrl+p)")
            yield DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)
            yield Static(self.about, id="help-about")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "action", "where")
        table.add_rows(self.rows)
        table.focus()


class PathPrompt(ModalScreen[str | None]):
    """Ask for a file path; dismisses with the path (enter or OK) or None (escape or Cancel)."""

    DEFAULT_CSS = """
    PathPrompt { align: center middle; }
    PathPrompt > Vertical {
        width: 80%; max-width: 90; height: auto;
        border: thick $primary; background: $surface; padding: 1 2;
    }
    PathPrompt Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    PathPrompt Button { margin-left: 2; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: str = "", placeholder: str = "path/to/file") -> None:
        super().__init__()
        self.prompt_title = title
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.prompt_title)
            yield Input(self.value, placeholder=self.placeholder, id="path")
            with Horizontal():
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self.dismiss(self.query_one(Input).value.strip() or None)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
