"""`cnntool unroll`: a small RNN/GRU/LSTM cell step by step (gates, states, and dL/dh_t with --grad).

The module level stays light (typer only): numpy and numba are imported inside the command.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cnntool.cli._common import JsonOpt, handle_errors, print_json

app = typer.Typer()


@app.command()
@handle_errors
def unroll(
    spec: Annotated[
        str,
        typer.Argument(
            help="One recurrent layer on its input: '3 | lstm 2' (3 features; T from --sequence) or "
            "'5x3 | gru 2' (5 steps of 3 features).",
            show_default=False,
        ),
    ],
    sequence: Annotated[
        str | None,
        typer.Option(
            "--sequence",
            "-s",
            help="The input, one row per time step: '1 0 0; 0 1 0; 0 0 1'. Default: a seeded random one.",
            show_default=False,
        ),
    ] = None,
    steps: Annotated[
        int | None,
        typer.Option(
            "--steps",
            help="Time steps of the random sequence when neither --sequence nor the spec says (3).",
            show_default=False,
        ),  # fmt: skip
    ] = None,
    seed: Annotated[
        int,
        typer.Option("--seed", help="Seed of the initial weights (PyTorch's init) and the random sequence."),
    ] = 0,
    weights: Annotated[
        str | None,
        typer.Option(
            "--weights",
            "-w",
            help="A model saved by the engine (@cell.npz or cell.npz): its first recurrent layer's weights.",
            show_default=False,
        ),
    ] = None,
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Set a parameter: --set weight_hh_l0=1.5 (one number fills it) or --set 'bias_ih_l0=0 0 0 0'. "
            "Repeatable; applied after --weights.",
            show_default=False,
        ),
    ] = None,
    h0: Annotated[
        str | None,
        typer.Option(
            "--h0", help="Initial hidden state, e.g. '0.5 -0.5' (default zeros).", show_default=False
        ),
    ] = None,
    c0: Annotated[
        str | None, typer.Option("--c0", help="Initial LSTM cell state (default zeros).", show_default=False)
    ] = None,
    grad: Annotated[
        bool,
        typer.Option(
            "--grad", help="Also backpropagate through time L = Σ h_T: dL/dh_t and its norm at every step."
        ),
    ] = False,
    decimals: Annotated[int, typer.Option("--decimals", help="Digits after the point in the tables.")] = 4,
    json_out: JsonOpt = False,
) -> None:
    """Unroll a small recurrent cell in time: x_t, h_{t−1} (c_{t−1}), every gate's pre-activation and
    activation, and the new state, for each step; the same weights at every step.

    The numbers are the engine's own forward (and backward) pass, so they are what training computes.

    Examples:

      cnntool unroll "3 | lstm 2" --sequence "1 0 0; 0 1 0; 0 0 1" --seed 0

      cnntool unroll "1 | rnn 1" -s "1; 0; 0; 0; 0; 0; 0; 0; 0; 0" --set weight_ih_l0=1 --set weight_hh_l0=0.5
      --set bias_ih_l0=0 --set bias_hh_l0=0 --grad      (vanishing; try 1.5 with -s "0.01; 0; 0; …": exploding)

      cnntool unroll "3 | gru 2" --weights @cell.npz --json
    """
    from cnntool.cli._common import console, fail
    from cnntool.engine import unroll as core

    if not 0 <= decimals <= 12:
        fail(f"--decimals must be between 0 and 12, got {decimals}")
    if steps is not None and steps < 1:
        fail(f"--steps must be at least 1, got {steps}")
    parsed = dict(core.parse_setting(text) for text in settings or ())
    report = core.unroll(
        spec,
        core.parse_sequence(sequence) if sequence is not None else None,
        seed=seed,
        weights=weights,
        settings=parsed,
        grad=grad,
        h0=core.parse_vector(h0, "h0") if h0 is not None else None,
        c0=core.parse_vector(c0, "c0") if c0 is not None else None,
        steps=steps,
    )
    if json_out:
        print_json(report.to_json())
        return
    from cnntool.views.unroll import render_unroll

    console().print(render_unroll(report, decimals))
