"""`cnntool export`: turn a saved engine model (.npz) into a plain PyTorch module file plus weights."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnntool.cli._common import JsonOpt, handle_errors, print_json
from cnntool.errors import CnnToolError, OutputExistsError

app = typer.Typer()


@app.command()
@handle_errors
def export(
    model: Annotated[Path, typer.Argument(help="A model saved by the engine (model.save('lenet.npz')).")],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="The .py file to write; the weights go beside it as <name>.weights.npz."
        ),
    ] = Path("model.py"),
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the .py and .weights.npz if they exist.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Write a PyTorch nn.Sequential module file whose load_model() loads the weights with strict=True.

    The generated file needs only torch and numpy: `from model import load_model; net = load_model()`.
    """
    from cnntool.engine.builder import load
    from cnntool.engine.export import export as write

    try:
        source, weights = write(load(model), out, overwrite=force, keep=(model,))
    except OutputExistsError as error:
        raise CnnToolError(f"{error}; choose another --out or pass --force") from None
    if json_out:
        print_json({"module": str(source), "weights": str(weights)})
        return
    typer.echo(f"wrote {source} and {weights}")
    typer.echo(f"load it with: from {source.stem} import load_model; net = load_model()")
