"""`cnntool summary`: one table with shapes, params (shared/unshared/dense), MACs and receptive fields."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from cnntool.cli._common import (
    HwcOpt,
    InputOpt,
    JsonOpt,
    KerasOpt,
    complete_list,
    console,
    handle_errors,
    print_json,
)

app = typer.Typer()

Format = Literal["table", "json", "markdown", "csv"]


def _complete_columns(incomplete: str) -> list[str]:
    from cnntool.arith.table import COLUMNS

    return complete_list(COLUMNS, incomplete)


@app.command()
@handle_errors
def summary(
    spec: Annotated[
        str,
        typer.Argument(
            help='A spec ("3x32x32 | conv 10 k5 p2 | relu"), a zoo name (lenet5), a spec file, or - for stdin.',
            show_default=False,
        ),
    ],
    json_out: JsonOpt = False,
    output_format: Annotated[
        Format,
        typer.Option(
            "--format", "-f", case_sensitive=False, help="markdown for handouts, csv for spreadsheets."
        ),
    ] = "table",
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            "-c",
            autocompletion=_complete_columns,
            help="Comma-separated columns: index, layer, kind, input, output, params, trainable, buffers, "
            "unshared, dense, macs, rf, jump, start, activations.",
            show_default=False,
        ),
    ] = None,
    keras: KerasOpt = False,
    hwc: HwcOpt = False,
    input_shape: InputOpt = None,
) -> None:
    """Shapes, parameter counts and MACs of every layer, with totals.

    params is PyTorch's count; unshared is the same layer without weight sharing
    (its own filter at every output position, or own weights at every time step);
    dense-equiv is a dense layer between the same inputs and outputs; MACs are
    multiply-accumulates per sample (torchinfo's Mult-Adds); RF is the receptive
    field in input pixels.

    Examples:

      cnntool summary "3x32x32 | conv 10 k5 s1 p2 | relu | maxpool 2 | flatten | dense 10"

      cnntool summary alexnet --input 3x227x227 --format markdown

      cnntool summary "32x32x3 | conv 10 k5 p2" --hwc
    """
    from cnntool.arith import summarize
    from cnntool.arith import table as columns_of

    fmt = "json" if json_out else output_format
    keys = columns_of.parse_columns(columns)
    result = summarize(spec, convention="keras" if keras else "pytorch", input_shape=input_shape, hwc=hwc)
    if fmt == "json":  # the document keeps its warnings
        print_json(columns_of.summary_json(result, hwc))
        return
    if fmt in ("markdown", "csv"):  # a table file has no place for them: the warnings go to stderr
        render = columns_of.markdown_table if fmt == "markdown" else columns_of.csv_table
        typer.echo(render(result, keys, hwc))
        for warning in result.warnings:
            typer.echo(f"warning: {warning}", err=True)
        return
    from cnntool.views.summary import summary_view

    con = console()
    con.print(summary_view(result, keys, hwc, title=result.name or "", width=con.width))
