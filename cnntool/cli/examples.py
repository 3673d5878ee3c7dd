"""`cnntool examples [DIR]`: list the example files the README uses, or copy them into DIR."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnntool.cli._common import handle_errors
from cnntool.errors import CnnToolError, OutputExistsError

app = typer.Typer()


@app.command()
@handle_errors
def examples(
    folder: Annotated[
        Path | None,
        typer.Argument(
            help="Copy the example files into this folder (created if missing).", show_default=False
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace example files that differ.")] = False,
) -> None:
    """List the example files (spec files, matrices, answer files, a key, training scripts), or copy them.

    Examples:

      cnntool examples                 # what there is

      cnntool examples examples        # copy them into ./examples, then: cnntool summary examples/alexnet.net
    """
    from cnntool.examples import copy_examples, examples_dir, list_examples

    if folder is None:
        found = list_examples()
        width = max(len(e.name) for e in found)
        typer.echo(f"{len(found)} example files in {examples_dir()}:")
        for example in found:
            typer.echo(f"  {example.name:<{width}}  {example.description}".rstrip())
        typer.echo("copy them into a folder with: cnntool examples FOLDER")
        return
    try:
        done = copy_examples(folder, overwrite=force)
    except OutputExistsError as error:
        raise CnnToolError(f"{error}; pass --force to replace the example files that differ") from None
    written = sum(1 for _, status in done if status == "written")
    already = f" ({len(done) - written} already there)" if written < len(done) else ""
    typer.echo(f"copied {written} of {len(done)} example files into {folder}{already}")
