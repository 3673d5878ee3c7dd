"""`cnntool explain`: every formula of every layer, in symbols, then with the numbers, then the result."""

from __future__ import annotations

from typing import Annotated

import typer

from cnntool.cli._common import (
    HwcOpt,
    InputOpt,
    JsonOpt,
    KerasOpt,
    fail,
    handle_errors,
    print_json,
)

app = typer.Typer()


@app.command()
@handle_errors
def explain(
    spec: Annotated[
        str, typer.Argument(help="A spec, zoo name, spec file or - for stdin.", show_default=False)
    ],
    layer: Annotated[
        int | None,
        typer.Option(
            "--layer",
            "-l",
            min=1,
            help="Explain only layer N (numbered as in `summary`).",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOpt = False,
    keras: KerasOpt = False,
    hwc: HwcOpt = False,
    input_shape: InputOpt = None,
) -> None:
    """Show the work: each layer's shape, params, unshared, dense and receptive-field formulas.

    Example:

      cnntool explain "3x227x227 | conv 96 k11 s4"

      H_out = ⌊(227 + 2·0 − 1·(11−1) − 1)/4⌋ + 1 = 55

      params = 96 · (3·11·11 + 1) = 34,944
    """
    from cnntool.arith import summarize

    result = summarize(spec, convention="keras" if keras else "pytorch", input_shape=input_shape, hwc=hwc)
    rows = result.layers
    if layer is not None:
        if layer > len(rows):
            fail(f"--layer {layer} is out of range: this network has layers 1 to {len(rows)}")
        rows = (rows[layer - 1],)

    if json_out:
        print_json({"input_shape": list(result.input_shape), "layers": [r.to_dict() for r in rows]})
        return
    from cnntool.cli._common import console
    from cnntool.views.formulas import formulas_view

    console().print(formulas_view(rows, hwc))
