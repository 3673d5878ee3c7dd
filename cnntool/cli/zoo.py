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
    from rich.cells import cell_len
    from rich.table import Table

    from cnntool.cli._common import console

    rows = [(e["name"], fmt_shape(e["input_shape"]), f"{e['total_params']:,}", f"{e['total_macs']:,}",
             e["description"]) for e in entries]  # fmt: skip
    headers = ("name", "input", "params", "MACs", "what")
    widths = [max(cell_len(row[i]) for row in (headers, *rows)) for i in range(4)]
    con = console()
    # numbers never split: input, params and MACs stay on one line; the descriptions go first when the
    # terminal is too narrow for them to keep 12 columns, and the names fold last (they hold no number)
    describe = sum(widths) + 3 * 5 + 1 + 12 <= con.width
    table = Table(header_style="bold")
    for i, header in enumerate(headers[: 5 if describe else 4]):
        table.add_column(
            header, justify="right" if i in (2, 3) else "left", overflow="fold", no_wrap=i in (1, 2, 3)
        )
    for row in rows:
        table.add_row(*row[: 5 if describe else 4])
    con.print(table)
    if not describe:
        con.print(f"not shown at {con.width} columns: what (a wider terminal shows it)", style="dim")
