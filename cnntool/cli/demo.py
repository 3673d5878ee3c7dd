"""`cnntool demo`: a guided tour of the lecture's worked examples, computed live, then a network trained live.

The tour is data (cnntool/views/tour.py): each stop asks the core and returns a view, and prints the
commands a student can copy to see the same thing on their own. The training stops hold a run
configuration: the demo trains it here (in memory, no files) with the same progress display as
`cnntool train`, whose printed command reaches the same accuracy.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cnntool.cli._common import console, handle_errors

app = typer.Typer()


@app.command()
@handle_errors
def demo(
    quick: Annotated[bool, typer.Option("--quick", help="Shorter training (used by the tests).")] = False,
) -> None:
    """A guided tour of the lecture's worked examples, then a CNN trained live (under a minute, offline).

    Every stop prints the command that shows the same result, to copy and vary:

      cnntool demo
    """
    from cnntool.views.tour import NEXT, TOUR, stop_heading, training_stops

    out = console()
    out.rule("[bold]cnntool demo[/bold]: the lecture's examples, computed")
    for number, stop in enumerate(TOUR, start=1):
        out.print(stop_heading(number, stop))
        out.print(stop.show())
    from cnntool.cli.train import run_training
    from cnntool.training.session import Session

    for number, stop in enumerate(training_stops(quick), start=len(TOUR) + 1):
        out.print(stop_heading(number, stop))
        session = Session.start(stop.config)
        code = run_training(session, None, json_out=False, quiet=False, out=out, show_compile=True)
        if code:
            raise typer.Exit(code)
        out.print(stop.after(session))
    out.print()
    out.print(NEXT, highlight=False)
