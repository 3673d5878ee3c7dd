"""What every command shares: options, error handling, JSON output, the rich console.

Rich is imported lazily (inside functions): `--json` output never pays for it.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterable
from typing import Annotated, Any, TypeVar

import typer

from cnntool.errors import CnnToolError
from cnntool.text import shape_text as fmt_shape  # noqa: F401 - re-exported for the views

F = TypeVar("F", bound=Callable[..., Any])

EXIT_BAD_INPUT = 2

JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print machine-readable JSON (stable keys, plain integers).")
]
KerasOpt = Annotated[
    bool,
    typer.Option(
        "--keras",
        help="Keras conventions: one bias per RNN/LSTM gate set (GRU reset_after keeps two), batchnorm "
        "statistics counted as non-trainable params, padding=same allowed with strides.",
    ),
]
HwcOpt = Annotated[
    bool,
    typer.Option(
        "--hwc",
        help="Read the input shape channels-last (32x32x3, as the lecture writes it) and print shapes that way.",
    ),
]
InputOpt = Annotated[
    str | None,
    typer.Option(
        "--input",
        "-i",
        help="Override the input shape, e.g. --input 3x227x227 for a zoo net.",
        show_default=False,
    ),
]


def handle_errors(func: F) -> F:
    """Turn bad input into one message on stderr and exit code 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CnnToolError as error:
            fail(str(error))
        except BrokenPipeError:  # `cnntool summary vgg16 | head` is not an error
            sys.stderr.close()
            raise typer.Exit(0) from None
        except RecursionError:
            fail("the spec is nested too deeply")

    return wrapper  # type: ignore[return-value]


def fail(message: str) -> None:
    """Print `error: message` on stderr and exit with code 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def console(stderr: bool = False):  # -> rich.console.Console, imported lazily
    """A rich console: colour only on a terminal, NO_COLOR respected, never narrower than 60 columns."""
    from rich.console import Console

    width = None
    if not sys.stdout.isatty():
        width = int(os.environ.get("COLUMNS", "120"))
    con = Console(stderr=stderr, width=width, highlight=False, soft_wrap=False, emoji=False)
    con.on_broken_pipe = _closed_pipe  # type: ignore[method-assign]
    return con


def _closed_pipe() -> None:
    """Rich's default exits 1 when the reader has gone (`| head`); a closed pipe is not an error of
    ours, so raise BrokenPipeError for `handle_errors` (and the commands' own handlers) to exit 0."""
    import contextlib

    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise BrokenPipeError


def complete_list(choices: Iterable[str], incomplete: str) -> list[str]:
    """Shell completion for a comma-separated option ("shape,pa" → "shape,params", ...): its last item."""
    head, comma, last = incomplete.rpartition(",")
    given = set(head.split(",")) if comma else set()
    return [f"{head}{comma}{c}" for c in choices if c.startswith(last.lower()) and c not in given]


def fmt_int(value: int | None) -> str:
    return "" if value is None else f"{value:,}"
