"""`cnntool demo`: a guided tour of the lecture's worked examples, computed live.

Each stop is (title, narration, spec); the tour calls the same code as the
commands, so the demo can never disagree with `summary` or `explain`.
"""

from __future__ import annotations

import typer

from cnntool.cli._common import handle_errors

app = typer.Typer()

TOUR = (
    (
        "An MLP has many parameters",
        "20 inputs → 20 → 20 → 1, with biases: (20+1)·20 + (20+1)·20 + (20+1)·1 = 861.",
        "mlp861",
    ),
    (
        "Weight sharing: one 5×5 filter bank on CIFAR",
        "Ten 5×5×3 filters, stride 1, pad 2 on 32×32×3: 10·(5·5·3+1) = 760 params, output 32×32×10.",
        "cs231n760",
    ),
    (
        "AlexNet's first layer, with and without sharing",
        "96 filters 11×11×3, stride 4 on 227×227×3 → 55×55×96; 34,944 params shared, "
        "105,705,600 if every position had its own filter.",
        "alexnet_conv1",
    ),
    (
        "Dense vs conv on a 32×32 image",
        "A dense 1,024 → 1,024 map needs 1,048,576 weights; one 21×21 filter with padding=same needs 441.",
        "dense_vs_conv",
    ),
    ("Depthwise separable convolution", "3·3·3 depthwise + 3·10 pointwise = 57 params.", "dwsep57"),
    (
        "A stride that does not fit",
        "I=10, F=3, P=0, S=2: (10−3)/2+1 = 4.5 — cnntool warns and suggests fixes.",
        "1x10x10 | conv 1 k3 s2",
    ),
    ("LeNet-5", "About 60K parameters, trained in 1998 without a GPU.", "lenet5"),
    (
        "Parameter sharing across time",
        "An LSTM and a GRU of the same size: the GRU has 3 gate sets, the LSTM 4.",
        "lstm_classifier",
    ),
    ("", "", "gru_classifier"),
)


@app.command()
@handle_errors
def demo() -> None:
    """A guided tour of the lecture's worked examples (takes a second, needs no arguments)."""
    from cnntool.arith import summarize
    from cnntool.cli._common import console
    from cnntool.cli.render_summary import DEFAULT_COLUMNS, render_table

    out = console()
    out.rule("[bold]cnntool demo[/bold]: the lecture's examples, computed")
    for step, (title, narration, spec) in enumerate(TOUR, start=1):
        if title:
            out.print(f"\n[bold cyan]{step}. {title}[/bold cyan]")
            out.print(narration, highlight=False)
        out.print(f"[dim]$ cnntool summary {spec if ' ' not in spec else repr(spec)}[/dim]", highlight=False)
        render_table(summarize(spec), DEFAULT_COLUMNS, hwc=False, title="")
    out.print("\n[bold]Show the work[/bold] for any layer:")
    out.print('[dim]$ cnntool explain "3x227x227 | conv 96 k11 s4"[/dim]', highlight=False)
    from cnntool.cli.explain import explain

    explain(
        "3x227x227 | conv 96 k11 s4", layer=None, json_out=False, keras=False, hwc=False, input_shape=None
    )
    out.print("Next: cnntool zoo · cnntool summary resnet18 · cnntool explain --help")
