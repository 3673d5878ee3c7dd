"""The root `cnntool` command: joins one Typer app per command module.

Command modules import their heavy dependencies inside the command function, so
`cnntool summary` never imports numpy, numba or textual.
"""

from __future__ import annotations

import sys

import typer

from cnntool import __version__
from cnntool.cli import (
    check,
    conv,
    data,
    demo,
    examples,
    experiment,
    explain,
    export,
    predict,
    summary,
    train,
    tui,
    unroll,
    zoo,
)
from cnntool.cli import info as info_cli

app = typer.Typer(
    name="cnntool",
    help="Shapes, parameter counts, MACs and receptive fields of CNNs and RNNs, with the work shown.\n\n"
    'Start with: cnntool demo · cnntool summary "3x32x32 | conv 10 k5 p2 | relu | maxpool 2" · cnntool zoo',
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
for module in (
    summary,
    explain,
    zoo,
    demo,
    conv,
    check,
    export,
    data,
    examples,
    train,
    experiment,
    predict,
    unroll,
    tui,
):
    app.add_typer(module.app)
app.add_typer(info_cli.app)


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


def _usage_error(error: typer.TyperException) -> int:
    """Typer's usage errors (a bad choice, a missing argument) as one `error:` line, like ours."""
    if type(error).__name__ == "NoArgsIsHelpError":  # `cnntool` alone: the help is the answer
        error.show()
        return 0
    ctx = getattr(error, "ctx", None)
    where = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
    message = " ".join(error.format_message().split())  # one line, whatever Typer wrapped
    typer.echo(f"error: {message}{where}", err=True)
    return error.exit_code


def main() -> None:
    """Console entry point: every error ends in one line on stderr, never a traceback.

    Exit codes: 0 success, 1 a check found wrong answers, 2 bad input, 130 interrupted. A closed
    pipe (`cnntool check ... | head -1`) is not an error of ours and exits 0.
    """
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as error:
        code = _usage_error(error)
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("interrupted", err=True)
        code = 130
    except BrokenPipeError:
        code = 0
    if code == 0 or code is None:
        _flush_quietly()
        sys.exit(0)
    sys.exit(code if isinstance(code, int) else 0)


def _flush_quietly() -> None:
    """Flush stdout now, so a reader that left early does not make Python print an error at exit."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
