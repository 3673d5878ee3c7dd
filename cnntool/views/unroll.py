"""The rich view of an `UnrollReport` (cnntool/engine/unroll.py): one table per time step, rows for
x_t, the previous state, every gate (pre-activation, then activation) and the new state, columns
for the units; with gradients, a table of dL/dh_t going back in time. Returns renderables only."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from cnntool.engine.unroll import Run, Step, UnrollReport

_ACT = {"i": "σ", "f": "σ", "o": "σ", "r": "σ", "z": "σ", "g": "tanh", "n": "tanh"}
_GATE_TEXT = {
    "i": "input gate",
    "f": "forget gate",
    "g": "candidate ĉ",
    "o": "output gate",
    "r": "reset gate",
    "z": "update gate",
    "n": "candidate n",
}


def _num(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def _row(
    table: Table, label: str, values: Sequence[float] | None, width: int, decimals: int, style: str = ""
) -> None:
    if values is None:
        return
    cells = [_num(v, decimals) for v in values] + [""] * (width - len(values))
    table.add_row(Text(label, style=style), *cells)


def _step_table(report: UnrollReport, run: Run, step: Step, decimals: int) -> Table:
    width = max(report.input_size, report.hidden_size, report.proj_size or 0)
    where = f"layer {run.layer + 1} {run.direction}, " if report.layers > 1 or report.bidirectional else ""
    table = Table(title=f"{where}t = {step.t}", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("", no_wrap=True)
    for j in range(width):
        table.add_column(str(j + 1), justify="right", no_wrap=True)
    _row(table, "x_t", step.x, width, decimals, "cyan")
    _row(table, "h_{t−1}", step.h_prev, width, decimals)
    _row(table, "c_{t−1}", step.c_prev, width, decimals)
    act_name = report.nonlinearity if report.cell == "rnn" else None
    for gate in step.gates:
        if report.cell == "rnn":
            _row(table, "a_t (pre-activation)", gate.pre, width, decimals, "dim")
            continue  # the activation is h_t itself, printed below
        _row(table, f"{gate.name} pre", gate.pre, width, decimals, "dim")
        _row(table, f"{gate.name} = {_ACT[gate.name]}(·)  {_GATE_TEXT[gate.name]}", gate.act, width, decimals)
    _row(table, "c_t", step.c, width, decimals, "bold")
    _row(table, "m_t = o ⊙ tanh(c_t)", step.m, width, decimals)
    _row(table, f"h_t = {act_name}(a_t)" if act_name else "h_t", step.h, width, decimals, "bold")
    _row(table, "dL/dh_t", step.dh, width, decimals, "magenta")
    _row(table, "dL/dc_t", step.dc, width, decimals, "magenta")
    return table


def _grad_table(report: UnrollReport, run: Run, decimals: int) -> Table:
    where = f" (layer {run.layer + 1} {run.direction})" if report.layers > 1 or report.bidirectional else ""
    table = Table(title=f"backward through time{where}: {report.loss}", title_justify="left", show_edge=False)
    table.add_column("t", justify="right")
    table.add_column("‖dL/dh_t‖", justify="right")
    table.add_column("÷ previous row", justify="right")
    table.add_column("dL/dh_t", no_wrap=True)
    ordered = sorted(run.steps, key=lambda s: -s.t if run.direction == "forward" else s.t)
    previous = None
    for step in ordered:
        norm = step.dh_norm or 0.0
        ratio = "" if previous in (None, 0.0) else f"{norm / previous:.{decimals}f}"
        table.add_row(str(step.t), f"{norm:.{decimals}g}" if norm and norm < 10 ** -decimals else _num(norm, decimals),
                      ratio, "  ".join(_num(v, decimals) for v in step.dh or ()))  # fmt: skip
        previous = norm
    return table


def render_unroll(report: UnrollReport, decimals: int = 4) -> RenderableType:
    """The whole report as one renderable (a Group of texts and tables)."""
    parts: list[RenderableType] = []
    proj = f", proj_size {report.proj_size}" if report.proj_size else ""
    extras = [w for w, on in (("bidirectional", report.bidirectional), ("peephole", report.peephole)) if on]
    head = (
        f"{report.cell.upper()} cell, {report.input_size} inputs → {report.hidden_size} hidden units{proj}, "
        f"{report.steps} steps"
        + (f", {report.layers} layers" if report.layers > 1 else "")
        + (f" ({', '.join(extras)})" if extras else "")
    )
    parts.append(Text(head, style="bold"))
    parts.append(Text("\n".join(f"  {line}" for line in report.equations)))
    weights = Table(title="parameters (shared by every step)", title_justify="left", show_edge=False)
    weights.add_column("name", no_wrap=True)
    weights.add_column("values (rows separated by ;)")
    for name, value in report.parameters.items():
        rows = value if value and isinstance(value[0], list) else [value]
        weights.add_row(name, "; ".join("  ".join(_num(v, decimals) for v in row) for row in rows))
    parts += [Text(""), weights]
    for run in report.runs:
        for step in run.steps:
            parts += [Text(""), _step_table(report, run, step, decimals)]
    if report.loss:
        for run in report.runs:
            parts += [Text(""), _grad_table(report, run, decimals)]
    return Group(*parts)
