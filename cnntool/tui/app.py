"""`cnntool tui`: the Textual app, one mode per screen (builder, stepper, trainer).

Each screen is built the first time it is shown, and its module imported then: opening
the builder imports neither the explainer views nor numpy, numba or plotext. The app's
own actions (switch screen, help, theme) and every screen's key bindings are also
command palette entries (ctrl+p), made from the bindings themselves so the two never
disagree.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from functools import partial

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from cnntool.tui.launch import DEFAULT_SPEC, Launch
from cnntool.tui.screens.dialogs import HelpScreen, key_bindings

ABOUT = """\
F2 builder: type a spec, one layer a line. F3 stepper: space or → slides the filter one cell. \
F4 trainer: F5 starts training. The numbers are those of `cnntool summary`, `conv --steps` and \
`pool --steps`. Mouse: click tabs, rows, buttons and the keys in the footer."""


class CnnToolApp(App):
    """Builder, stepper and trainer; F1 help, F2–F4 switch screens, ctrl+t light/dark, ctrl+q quit."""

    CSS_PATH = "cnntool.tcss"
    TITLE = "cnntool"
    BINDINGS = [
        Binding("f1", "help", "Help", tooltip="The keys of this screen"),
        Binding("question_mark", "help", "Help", show=False, tooltip="The keys of this screen"),
        Binding("f2", "show('builder')", "Builder", tooltip="Type a spec, watch its shapes and counts"),
        Binding("f3", "show('stepper')", "Stepper", tooltip="Slide a filter across an image cell by cell"),
        Binding("f4", "show('trainer')", "Trainer", tooltip="Train a network, watch curves and filters"),
        Binding("ctrl+t", "toggle_theme", "Light/dark", tooltip="Switch between the dark and light themes"),
    ]

    def __init__(self, launch: Launch | None = None) -> None:
        self.launch = launch or Launch()
        self.DEFAULT_MODE = self.launch.screen  # the first screen is built directly: no empty one first
        super().__init__()
        self.add_mode("builder", self.make_builder)
        self.add_mode("stepper", self.make_stepper)
        self.add_mode("trainer", self.make_trainer)

    def on_ready(self) -> None:
        """After the first paint: what is loaded now lives as long as the app, so garbage collections need
        not walk it again (a full one walks every object, and holds the interface while it does)."""
        gc.collect()
        gc.freeze()

    def on_unmount(self) -> None:
        gc.unfreeze()  # the app is done: what it loaded may be collected again

    def make_builder(self) -> Screen:
        from cnntool.tui.screens.builder import BuilderScreen

        if self.launch.spec:
            return BuilderScreen(self.launch.spec, self.launch.spec_name)
        from cnntool.spec.zoo import ZOO

        return BuilderScreen(ZOO[DEFAULT_SPEC].text(), DEFAULT_SPEC)

    def make_stepper(self) -> Screen:
        from cnntool.tui.screens.stepper import StepperScreen

        return StepperScreen(self.launch.image, self.launch.kernel, self.launch.normalize)

    def make_trainer(self) -> Screen:
        from cnntool.tui.screens.trainer import TrainerScreen

        return TrainerScreen(self.launch.data)

    def action_show(self, mode: str) -> None:
        if self.current_mode != mode:
            self.switch_mode(mode)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(key_bindings(self.screen), ABOUT))

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for node, prefix in ((self, ""), (screen, f"{screen.title}: ")):
            seen = set()
            for binding in node.BINDINGS:
                if not isinstance(binding, Binding) or not binding.description or binding.action in seen:
                    continue
                seen.add(binding.action)
                keys = self.get_key_display(binding)
                yield SystemCommand(
                    f"{prefix}{binding.description} ({keys})",
                    binding.tooltip or binding.description,
                    partial(node.run_action, binding.action),
                )
