"""`cnntool demo`: a guided tour of the lecture's worked examples, computed live.

The tour is data (cnntool/views/tour.py): each stop asks the core and returns a view, and prints the
commands a student can copy to see the same thing on their own.
"""

from __future__ import annotations

import typer

from cnntool.cli._common import console, handle_errors

app = typer.Typer()


@app.command()
@handle_errors
def demo() -> None:
    """A guided tour of the lecture's worked examples (takes a second, needs no arguments).

    Every stop prints the command that shows the same result, to copy and vary:

      cnntool demo
    """
    from cnntool.views.tour import NEXT, TOUR, stop_heading

    out = console()
    out.rule("[bold]cnntool demo[/bold]: the lecture's examples, computed")
    for number, stop in enumerate(TOUR, start=1):
        out.print(stop_heading(number, stop))
        out.print(stop.show())
    out.print()
    out.print(NEXT, highlight=False)
