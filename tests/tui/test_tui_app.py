"""What every screen shares: switching screens, help, command palette entries, themes, resizing, the key bar."""

from __future__ import annotations

from cnntool.tui.app import CnnToolApp
from cnntool.tui.launch import prepare
from cnntool.tui.screens.dialogs import HelpScreen, key_bindings
from cnntool.tui.widgets.key_bar import KeyBar
from tests.tui.conftest import static_text


async def test_screens_switch_and_keep_their_state() -> None:
    app = CnnToolApp(prepare(screen="stepper"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.current_mode == "stepper"
        await pilot.press("right", "right")
        await pilot.press("f2")
        await pilot.pause()
        assert app.current_mode == "builder" and app.screen.query_one("#layers").row_count == 12
        await pilot.press("f4")
        await pilot.pause()
        assert app.current_mode == "trainer"
        await pilot.press("f3")
        await pilot.pause()
        assert app.screen.position == 2  # the stepper is where it was left


async def test_help_lists_this_screens_keys_and_the_apps() -> None:
    app = CnnToolApp(prepare(screen="stepper"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        rows = key_bindings(app.screen)
        assert ("space, →", "Next", "stepper") in rows and ("a", "Autoplay", "stepper") in rows
        assert ("home", "First", "stepper") in rows  # not in the key bar, but in the help
        assert ("f2", "Builder", "everywhere") in rows and ("f1, ?", "Help", "everywhere") in rows
        assert not any(action == "Focus Next" for _, action, _ in rows)  # Textual's own defaults stay out
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and app.screen.query_one("#help-keys").row_count == len(
            rows
        )
        await pilot.press("escape")
        await pilot.pause()
        assert app.current_mode == "stepper" and not isinstance(app.screen, HelpScreen)


async def test_every_binding_is_a_command_palette_entry() -> None:
    app = CnnToolApp(prepare())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Help (f1)", "Stepper (f3)", "Light/dark (^t)", "builder: Load (^o)", "builder: --hwc (^g)",
                      "builder: Copy JSON (^r)"):  # fmt: skip
            assert title in titles, titles
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "builder: --hwc (^g)")
        await command.callback()
        await pilot.pause()
        assert app.screen.hwc


async def test_light_and_dark_themes() -> None:
    app = CnnToolApp(prepare())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.current_theme.dark
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light" and not app.current_theme.dark
        await pilot.press("ctrl+t")
        assert app.theme == "textual-dark"


async def test_resizing_reflows_every_screen() -> None:
    app = CnnToolApp(prepare())
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("f2", "f3", "f4"):
            await pilot.press(key)
            for size in ((120, 40), (60, 20), (80, 24)):
                await pilot.resize_terminal(*size)
                await pilot.pause()
                assert app.screen.size == size
                assert app.screen.query_one(KeyBar).region.y == size[1] - 1  # the key bar stays at the bottom


async def test_the_key_bar_shows_keys_and_a_click_presses_them() -> None:
    app = CnnToolApp(prepare(screen="stepper"))
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.pause()
        bar = app.screen.query_one(KeyBar)
        text = static_text(bar, width=300)
        assert " space Next " in text and " a Autoplay " in text and " f1 Help " in text
        assert " home First " not in text  # show=False bindings stay out of the bar
        start, _, key = next(spot for spot in bar.spots if spot[2] == "space")
        await pilot.click(bar, offset=(start + 1, 0))
        await pilot.pause()
        assert app.screen.position == 1
