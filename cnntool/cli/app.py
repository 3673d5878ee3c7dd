"""The root `cnntool` command: joins one Typer app per command module.

Command modules import their heavy dependencies inside the command function, so
`cnntool summary` never imports numpy, numba or textual. `main()` goes one step
further: when the first argument names a command, only that command's module is
imported and turned into a click command (Typer converts every registered
command's signature, ~1.5 ms each); `--help`, `--version`, no command or an
unknown one get the whole app. `COMMANDS` maps each command to its module; a
test holds it equal to the commands the modules register.
"""

from __future__ import annotations

import importlib
import re
import sys
from types import ModuleType
from typing import Any

import typer

from cnntool import __version__

#: command name → the cnntool.cli module that registers it, in the order `--help` lists them
COMMANDS = {
    "summary": "summary",
    "explain": "explain",
    "zoo": "zoo",
    "demo": "demo",
    "conv": "conv",
    "pool": "conv",
    "convT": "conv",
    "check": "check",
    "quiz": "check",
    "export": "export",
    "data": "data",
    "examples": "examples",
    "train": "train",
    "experiment": "experiment",
    "predict": "predict",
    "filters": "predict",
    "unroll": "unroll",
    "tui": "tui",
    "info": "info",
}


def _modules(names: list[str]) -> list[ModuleType]:
    return [importlib.import_module(f"cnntool.cli.{name}") for name in dict.fromkeys(names)]


def build_app(command: str | None = None) -> typer.Typer:
    """The root app with every command, or with only `command`'s module (what `main` runs)."""
    root_app = typer.Typer(
        name="cnntool",
        help="Shapes, parameter counts, MACs and receptive fields of CNNs and RNNs, with the work shown.\n\n"
        'Start with: cnntool demo · cnntool summary "3x32x32 | conv 10 k5 p2 | relu | maxpool 2" · cnntool zoo',
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    names = [COMMANDS[command]] if command in COMMANDS else list(COMMANDS.values())
    for module in _modules(names):
        root_app.add_typer(module.app)
    root_app.callback()(root)
    return root_app


def __getattr__(name: str) -> Any:
    """`app`, the whole root app, is built on first use (tests, CliRunner), not at import."""
    if name == "app":
        globals()["app"] = built = build_app()
        return built
    raise AttributeError(name)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cnntool {__version__}")
        raise typer.Exit()


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
    message = re.sub(r"\S{81,}", lambda m: f"{m.group()[:40]}… ({len(m.group()):,} characters)", message)
    typer.echo(f"error: {message}{where}", err=True)
    return error.exit_code


def main() -> None:
    """Console entry point: every error ends in one line on stderr, never a traceback.

    Exit codes: 0 success, 1 a check found wrong answers, 2 bad input, 130 interrupted. A closed
    pipe (`cnntool check ... | head -1`) is not an error of ours and exits 0.
    """
    args = sys.argv[1:]
    try:
        code = build_app(args[0] if args else None)(args=args, prog_name="cnntool", standalone_mode=False)
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
