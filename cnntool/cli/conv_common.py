"""What `cnntool conv`, `pool` and `convT` share: the option types, the flag names, printing a report.

Kept apart from the commands so each module stays small; nothing here computes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from cnntool.cli._common import console, fail, handle_errors, print_json
from cnntool.errors import CnnToolError
from cnntool.explain.names import Names

if TYPE_CHECKING:  # annotations only: the exact-number module loads when a number is parsed
    from cnntool.numbers import Number

F = TypeVar("F", bound=Callable[..., Any])

# what the core's error messages call each input on the command line
FLAGS = Names(
    image="--image", kernel="--kernel", stride="--stride", padding="--padding", dilation="--dilation",
    bias="--bias", at="--at", dout="--dout", shift="--shift", size="--size", mode="--mode", ceil="--ceil",
    output_padding="--output-padding",
)  # fmt: skip


def guarded(func: F) -> F:
    """`handle_errors` plus a last guard: an unexpected exception is one message, exit 2."""
    inner = handle_errors(func)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return inner(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except Exception as error:  # a bug must not show a student a traceback
            fail(
                f"could not process this input ({type(error).__name__}: {error}); please report it as a bug."
            )

    return wrapper  # type: ignore[return-value]


def parse_scalar(text: str, what: str) -> Number:
    """A single number such as `1`, `-1/2` or `0.5`."""
    from cnntool.numbers import parse_number

    value = parse_number(text)
    if value is None:
        raise CnnToolError(f"{what}: {text!r} is not a number (integer, decimal or fraction like -1/2).")
    return value


def check_digits(decimals: int | None, truncate: int | None) -> None:
    """--decimals and --truncate exclude each other (their 0..15 range is Typer's)."""
    if decimals is not None and truncate is not None:
        raise CnnToolError("give either --decimals (round) or --truncate (chop, as the slides do), not both.")


def need(value: str | None, name: str) -> str:
    if value is None or not value.strip():
        raise CnnToolError(f'{name} is required, e.g. {name} "1 2; 3 4" (see --list for named samples).')
    return value


def is_ones(text: str) -> bool:
    return text.strip().lower() == "ones"


def show(report: Any, json_out: bool, view: Callable[[], Any]) -> None:
    """Warnings on stderr (so --json stays clean), then the JSON document or the rendered view."""
    for text in report.warnings:
        typer.echo(f"warning: {text}", err=True)
    if json_out:
        print_json(report.to_json())
    else:
        console().print(view())


def list_samples_or_json(json_out: bool) -> None:
    if json_out:
        from cnntool.explain.serialize import samples_json

        print_json(samples_json())
        return
    from cnntool.views.samples import samples_view

    console().print(samples_view())


ImageOpt = Annotated[
    str | None,
    typer.Option(
        "--image", "-i", show_default=False,
        help="Rows separated by ';' (channels by ';;'), @file (.txt: a blank line between channels; or .npy), "
        "or a sample name (x, o; see --list).",
    ),
]  # fmt: skip
StrideOpt = Annotated[str, typer.Option("--stride", "-s", help="Stride: 2 or rows x columns (2x1).")]
DilationOpt = Annotated[str, typer.Option("--dilation", "-d", help="Dilation: 1 (none), 2, or 2x1.")]
StepsOpt = Annotated[bool, typer.Option("--steps", help="Print every step, cell by cell.")]
AtOpt = Annotated[
    str | None,
    typer.Option("--at", help="Print only the step for output cell i,j (0-based).", show_default=False),
]
DecimalsOpt = Annotated[
    int | None,
    typer.Option(
        "--decimals",
        min=0,
        max=15,
        help="Round to N decimals (default: exact fractions).",
        show_default=False,
    ),
]
TruncateOpt = Annotated[
    int | None,
    typer.Option(
        "--truncate", min=0, max=15, show_default=False,
        help="Chop to N decimals, as the lecture slides do (7/9 → 0.77).",
    ),
]  # fmt: skip
ListOpt = Annotated[bool, typer.Option("--list", help="Show the named sample images and kernels, then exit.")]
BackwardOpt = Annotated[
    bool, typer.Option("--backward", help="Also step through the backward pass (gradients).")
]
