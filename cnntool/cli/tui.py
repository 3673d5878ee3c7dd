"""`cnntool tui`: the interactive walkthrough (a Textual app: builder, stepper, trainer).

Textual is imported only inside the command, after every argument has been checked,
so the other commands keep their start-up time and a bad argument is one `error:`
line (exit 2) before the app takes over the terminal.
"""

from __future__ import annotations

import sys
from typing import Annotated, Literal

import typer

from cnntool.cli._common import fail, handle_errors

app = typer.Typer()

Screen = Literal["builder", "stepper", "trainer"]


@app.command()
@handle_errors
def tui(
    spec: Annotated[
        str | None,
        typer.Argument(
            help="The builder's spec: text, a zoo name or a spec file (default: lenet5).", show_default=False
        ),
    ] = None,
    screen: Annotated[
        Screen, typer.Option("--screen", case_sensitive=False, help="The screen to open first.")
    ] = "builder",
    image: Annotated[
        str | None,
        typer.Option(
            "--image",
            "-i",
            help="The stepper's image: rows ('1 2; 3 4'), @file or a sample (x, o, nine).",
            show_default=False,
        ),
    ] = None,  # fmt: skip
    kernel: Annotated[
        str | None,
        typer.Option(
            "--kernel",
            "-k",
            help="The stepper's kernel(s): rows, @file, a sample (diag) or a list (diag,cross).",
            show_default=False,
        ),
    ] = None,  # fmt: skip
    normalize: Annotated[
        bool, typer.Option("--normalize", help="Stepper: divide each sum by the window size (X/O slides).")
    ] = False,
    data: Annotated[
        str | None,
        typer.Option(
            "--data", help="The trainer's dataset (see `cnntool data list`; default xo).", show_default=False
        ),
    ] = None,  # fmt: skip
) -> None:
    """Build a network and watch its shapes, step a filter across an image, train and watch it learn.

    Keys: F1 or ? help · F2 builder · F3 stepper · F4 trainer · ctrl+p commands · ctrl+t light/dark · ctrl+q quit.

    Examples:

      cnntool tui

      cnntool tui "3x32x32 | conv 10 k5 p2"

      cnntool tui --screen stepper --image x --kernel diag --normalize

      cnntool tui --screen trainer --data xo
    """
    from cnntool.errors import CnnToolError
    from cnntool.tui.launch import one_line, prepare

    try:
        launch = prepare(spec, screen.lower(), image, kernel, normalize, data)
    except CnnToolError as error:
        fail(one_line(error))
        return
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        fail("cnntool tui needs a terminal (its input and output are not one); run it in a terminal window")
    from cnntool.tui.app import CnnToolApp

    CnnToolApp(launch).run()
