"""`cnntool zoo`: the named networks with their parameter counts."""

from __future__ import annotations

import typer

from cnntool.cli._common import JsonOpt, fmt_shape, handle_errors, print_json

app = typer.Typer()


@app.command()
@handle_errors
def zoo(json_out: JsonOpt = False) -> None:
    """List the named networks (use a name wherever a spec is expected: `cnntool summary resnet18`).

    ImageNet nets take torchvision's 3x224x224 input unless you pass --input;
    their parameter counts equal torchvision's.
    """
    from cnntool.arith import summarize
    from cnntool.spec.zoo import ZOO

    entries = []
    for net in ZOO.values():
        result = summarize(net.name)
        entries.append(
            {
                "name": net.name,
                "input_shape": list(result.input_shape),
                "total_params": result.total_params,
                "total_macs": result.total_macs,
                "description": net.description,
            }
        )
    if json_out:
        print_json(entries)
        return
    from rich.table import Table

    from cnntool.cli._common import console

    table = Table(header_style="bold")
    for header, justify in (
        ("name", "left"),
        ("input", "left"),
        ("params", "right"),
        ("MACs", "right"),
        ("what", "left"),
    ):
        table.add_column(header, justify=justify, overflow="fold", no_wrap=header != "what")  # numbers whole
    for e in entries:
        shape = fmt_shape(e["input_shape"])
        table.add_row(e["name"], shape, f"{e['total_params']:,}", f"{e['total_macs']:,}", e["description"])
    console().print(table)
