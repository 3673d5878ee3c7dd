"""`cnntool predict` and `cnntool filters`: use a trained model on one input, and look inside it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnntool.cli._common import JsonOpt, console, handle_errors, print_json

app = typer.Typer()

ModelArg = Annotated[Path, typer.Argument(help="A model file (DIR/model.npz of cnntool train) or a run folder.",
                                          show_default=False)]  # fmt: skip
InvertOpt = Annotated[
    bool,
    typer.Option(
        "--invert",
        help="Invert a picture's brightness first (a dark "
        "drawing on white paper, for models trained on light-on-dark images like MNIST).",
    ),
]


def _image_help(required: bool) -> str:
    text = (
        "A picture @photo.png (8-bit PNG: resized and scaled to the model's input), an array @x.npy, "
        "or a matrix as cnntool conv reads it ('1 0; 0 1', a sample name such as x or o)."
    )
    return text if required else text + " Without it, only the filters are shown."


@app.command()
@handle_errors
def predict(
    model: ModelArg,
    image: Annotated[str, typer.Option("--image", "-i", help=_image_help(True), show_default=False)],
    top: Annotated[int, typer.Option("--top", min=1, max=100, help="Classes to list.")] = 5,
    invert: InvertOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Run one input through a trained model: the classes it sees, most probable first.

    Examples:
      cnntool predict runs/lenet/model.npz --image @shirt.png
      cnntool predict runs/xo-1 --image x
      cnntool predict runs/lenet --image @drawing.png --invert --json
    """
    from cnntool.training.images import read_input
    from cnntool.training.inspect import load_model
    from cnntool.training.inspect import predict as run_predict

    loaded = load_model(model)
    sample = read_input(image, loaded.model.input_shape, loaded.meta, invert, what="--image")
    result = run_predict(loaded, sample, top)
    if json_out:
        print_json(result.to_json())
        return
    from cnntool.views.training import input_view, prediction_view

    out = console()
    if sample.x.ndim == 3 and sample.x.shape[0] <= 3:
        out.print(input_view(sample.x, "input"))
    out.print(prediction_view(result))
    if result.label is not None:
        out.print(f"prediction: {result.label} ({100 * result.ranking[0][1]:.1f} %)", highlight=False)


@app.command()
@handle_errors
def filters(
    model: ModelArg,
    image: Annotated[
        str | None, typer.Option("--image", "-i", help=_image_help(False), show_default=False)
    ] = None,
    invert: InvertOpt = False,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=256, help="Filters and maps to show per layer.")
    ] = 16,
) -> None:
    """The learned filters of every conv layer as heatmaps, and with --image that input's feature maps.

    Colours: blue negative, white zero, red positive (in a pipe: characters, '-' for negative).

    Examples:
      cnntool filters runs/lenet/model.npz
      cnntool filters runs/lenet/model.npz --image @shirt.png
      cnntool filters runs/xo-1 --image x
    """
    from cnntool.training.images import read_input
    from cnntool.training.inspect import conv_filters, feature_maps, load_model
    from cnntool.views.training import feature_maps_view, filters_view, input_view

    loaded = load_model(model)
    banks = conv_filters(loaded.model)
    out = console()
    out.print(filters_view(banks, limit=limit))
    if image is not None:
        sample = read_input(image, loaded.model.input_shape, loaded.meta, invert, what="--image")
        for note in sample.notes:
            out.print(f"note: {note}", style="dim", highlight=False)
        out.print(input_view(sample.x, "input"))
        out.print(feature_maps_view(feature_maps(loaded.model, sample.x), limit=limit))
