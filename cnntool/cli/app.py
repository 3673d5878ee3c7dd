"""The root `cnntool` command: joins one Typer app per command module.

Command modules import their heavy dependencies inside the command function, so
`cnntool summary` never imports numpy, numba or textual.
"""

from __future__ import annotations

import sys

import typer

from cnntool import __version__
from cnntool.cli import check, conv, demo, explain, export, summary, unroll, zoo

app = typer.Typer(
    name="cnntool",
    help="Shapes, parameter counts, MACs and receptive fields of CNNs and RNNs, with the work shown.\n\n"
    'Start with: cnntool demo · cnntool summary "3x32x32 | conv 10 k5 p2 | relu | maxpool 2" · cnntool zoo',
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
for module in (summary, explain, zoo, demo, conv, check, export, unroll):
    app.add_typer(module.app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cnntool {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """cnntool: a terminal calculator, explainer and trainer for CNNs and RNNs."""


def main() -> None:
    """Console entry point: unexpected errors still end in one line, not a traceback."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
