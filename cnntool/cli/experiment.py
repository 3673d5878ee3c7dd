"""`cnntool experiment`: the lecture's comparisons, trained side by side with the same seed and data."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from cnntool.cli._common import JsonOpt, console, handle_errors, print_json

app = typer.Typer()

Name = Literal["dropout", "augmentation", "depth", "init", "rnn-vs-lstm"]


@app.command()
@handle_errors
def experiment(
    name: Annotated[
        Name,
        typer.Argument(
            help="dropout, augmentation, depth, init or rnn-vs-lstm.",
            case_sensitive=False,
            show_default=False,
        ),
    ],
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            "-d",
            help="Another dataset (cnntool data list).  [default: shapes; adding for rnn-vs-lstm]",
            show_default=False,
        ),
    ] = None,
    epochs: Annotated[
        int | None,
        typer.Option(
            "--epochs",
            "-e",
            min=1,
            max=1000,
            help="Epochs per variant.  [default: the experiment's]",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="The one seed every variant shares.")] = 0,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="A tiny version (a few samples, 1-2 epochs): checks that it runs, shows no lesson.",
        ),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Train the variants the lecture compares (same seed, same data), then a table and their curves.

    dropout       a small CNN with and without dropout (train/validation gap)
    augmentation  the same CNN with and without random shifts, on 300 training images
    depth         2 vs 8 sigmoid layers, and 8 with batch norm, with first/last-layer gradient norms
    init          an 8-layer ReLU MLP: PyTorch default, He, Xavier, too small, too large
    rnn-vs-lstm   the adding problem at T = 50: an LSTM learns it, a plain RNN does not (‖dL/dh_t‖ per step)

    Each takes a minute or two on a laptop. Examples:
      cnntool experiment dropout
      cnntool experiment dropout --data fashion-mnist --epochs 5
      cnntool experiment init --json
      cnntool experiment rnn-vs-lstm
    """
    import numpy as np

    from cnntool.cli.train import StopFlag
    from cnntool.training.experiments import EXPERIMENTS, require_layers, run_experiment

    out = None if json_out else console()
    exp = EXPERIMENTS[name.lower()]
    require_layers(exp)
    if out is not None:
        out.rule(f"[bold]{exp.title}[/bold]")
    result = None
    with StopFlag() as flag, np.errstate(all="ignore"):
        status = None
        for event in run_experiment(
            exp.name, data=data, epochs=epochs, seed=seed, quick=quick, should_stop=flag
        ):
            if out is None:
                if event.kind == "done":
                    result = event.result
                continue
            if event.kind == "variant":
                status = out.status(f"training variant {event.index + 1}/{len(exp.variants)}: {event.name}")
                status.start()
            elif event.kind == "progress" and event.progress.kind == "epoch" and status is not None:
                p = event.progress
                shown = (f"val acc {100 * p.val_accuracy:.1f} %" if p.val_accuracy is not None
                         else f"val loss {p.val_loss:.4f}")  # fmt: skip
                status.update(f"training variant {event.index + 1}/{len(exp.variants)}: {event.name}, "
                              f"epoch {p.epoch}: {shown}")  # fmt: skip
            elif event.kind == "variant-done" and status is not None:
                status.stop()
                v = event.variant
                f = v.final
                shown = "" if f is None else (f"val acc {100 * f.val_accuracy:.1f} %" if f.val_accuracy is not None
                                              else f"val loss {f.val_loss:.4f}")  # fmt: skip
                out.print(f"  {v.name}: {v.message or v.status + ', ' + shown}", highlight=False)
            elif event.kind == "done":
                result = event.result
    if result is None:
        return
    if json_out:
        print_json(result.to_json())
        return
    from cnntool.views.training import experiment_view

    out.print(experiment_view(result))
    if flag.stop:
        raise typer.Exit(130)
