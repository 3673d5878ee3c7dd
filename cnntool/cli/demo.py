"""`cnntool demo`: a guided tour of the lecture's worked examples, computed live.

Each stop is (title, narration, command line); the tour runs the real commands
in-process, so the demo can never disagree with what a user types.
"""

from __future__ import annotations

import shlex

import typer

from cnntool.cli._common import handle_errors

app = typer.Typer()

TOUR: tuple[tuple[str, str, str], ...] = (
    (
        "An MLP has many parameters",
        "20 inputs → 20 → 20 → 1, with biases: (20+1)·20 + (20+1)·20 + (20+1)·1 = 861.",
        "summary mlp861",
    ),
    (
        "Convolution by hand",
        "The lecture's 4×4 exercise: slide the 3×3 filter, multiply, add.",
        "conv --image '0 1 0 1; 0 1 0 1; 1 1 1 1; 0 -2 0 -2' --kernel '-1/2 1 -1/2; -1/2 1 -1/2; -1/2 1 -1/2'",
    ),
    (
        "The X image and the diagonal filter",
        "One window: 7 matches out of 9 pixels, so the slide prints 7/9 = 0.77.",
        "conv --image x --kernel diag --normalize --at 0,0",
    ),
    (
        "Max pooling, 2×2 stride 2",
        "A 7×7 map becomes 4×4 because the last window may hang over the edge (PyTorch's ceil_mode).",
        "pool --image @FEATURE --size 2 --stride 2 --mode max --ceil --truncate 2",
    ),
    (
        "Weight sharing: one 5×5 filter bank on CIFAR",
        "Ten 5×5×3 filters, stride 1, pad 2 on 32×32×3: 10·(5·5·3+1) = 760 params, output 32×32×10.",
        "summary cs231n760",
    ),
    (
        "AlexNet's first layer, with and without sharing",
        "96 filters 11×11×3, stride 4 on 227×227×3 → 55×55×96; 34,944 params shared, "
        "105,705,600 if every position had its own filter.",
        "explain alexnet_conv1",
    ),
    (
        "Dense vs conv on a 32×32 image",
        "A dense 1,024 → 1,024 map needs 1,048,576 weights; one 21×21 filter with padding=same needs 441.",
        "summary dense_vs_conv --columns layer,output,params,dense",
    ),
    ("Depthwise separable convolution", "3·3·3 depthwise + 3·10 pointwise = 57 params.", "summary dwsep57"),
    (
        "A stride that does not fit",
        "I=10, F=3, P=0, S=2: (10−3)/2+1 = 4.5 — cnntool warns and suggests fixes.",
        "summary '1x10x10 | conv 1 k3 s2'",
    ),
    ("LeNet-5", "About 60K parameters, trained in 1998 without a GPU.", "summary lenet5"),
    (
        "Parameter sharing across time",
        "An LSTM and a GRU of the same size: the GRU has 3 gate sets, the LSTM 4; MACs grow with the 50 steps.",
        "summary '50x32 | lstm 128 | gru 128' --columns layer,output,params,unshared,macs",
    ),
)


def _feature_map() -> str:
    """The X image filtered by the diagonal kernel, truncated as the slides print it, in a temp file."""
    import tempfile

    from cnntool.explain.conv import ConvSettings, conv2d
    from cnntool.explain.matrix import parse_tensor
    from cnntool.numbers import format_number

    result = conv2d(parse_tensor("x", "image"), parse_tensor("diag", "kernel"), ConvSettings(normalize=True))
    rows = [" ".join(format_number(v, truncate=2) for v in row) for row in result.output]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, prefix="cnntool-demo-") as handle:
        handle.write("\n".join(rows) + "\n")
    return handle.name


@app.command()
@handle_errors
def demo() -> None:
    """A guided tour of the lecture's worked examples (takes a second, needs no arguments)."""
    import os

    from cnntool.cli._common import console
    from cnntool.cli.app import app as root

    out = console()
    out.rule("[bold]cnntool demo[/bold]: the lecture's examples, computed")
    feature = _feature_map()
    try:
        for step, (title, narration, command) in enumerate(TOUR, start=1):
            out.print(f"\n[bold cyan]{step}. {title}[/bold cyan]")
            out.print(narration, highlight=False)
            shown = command.replace("@FEATURE", "@feature.txt")
            out.print(f"[dim]$ cnntool {shown}[/dim]", highlight=False)
            argv = [arg.replace("@FEATURE", "@" + feature) for arg in shlex.split(command)]
            root(argv, standalone_mode=False)
    finally:
        os.unlink(feature)
    out.print("\nNext: cnntool zoo · cnntool summary resnet18 · cnntool conv --list · cnntool --help")
