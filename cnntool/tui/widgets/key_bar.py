"""The footer: the screen's shown key bindings on one line; a click on a key presses it.

Textual's Footer mounts one widget per key and recomposes them all whenever the bindings
change (each focus change), which cost about 0.2 s of the app's first paint. This bar is one
widget that redraws one line of text, so opening `cnntool tui` stays under a second.
"""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static


class KeyBar(Static):
    """Key bindings with `show=True` of the focused chain, the command palette's key at the right."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        background: $footer-background;
        color: $footer-foreground;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.spots: list[tuple[int, int, str]] = []  # (first cell, end cell, key) of each shown key

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.bindings_changed(self.screen)

    def bindings_changed(self, screen: Screen) -> None:
        if screen is not self.screen:
            return
        app = self.app
        seen: set[str] = set()
        parts: list[Content] = []
        self.spots, x = [], 0
        palette = app.COMMAND_PALETTE_BINDING if app.ENABLE_COMMAND_PALETTE else ""
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.show or binding.action in seen or key == palette:
                continue
            seen.add(binding.action)
            part = self.part(app.get_key_display(binding), binding.description, active.enabled)
            self.spots.append((x, x + part.cell_length, key))
            x += part.cell_length
            parts.append(part)
        if palette and palette in screen.active_bindings:
            part = self.part(app.get_key_display(screen.active_bindings[palette].binding), "palette", True)
            self.spots.append((x, x + part.cell_length, palette))
            parts.append(part)
        self.update(Content.assemble(*parts))

    @staticmethod
    def part(key: str, description: str, enabled: bool) -> Content:
        style = "bold $footer-key-foreground" if enabled else "dim"
        return Content.assemble((f" {key} ", style), (f"{description} ", "" if enabled else "dim"))

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self.spots:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return
