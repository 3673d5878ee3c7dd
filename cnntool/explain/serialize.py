"""Results and steps as plain JSON data: the `--json` documents of docs/schemas/*.schema.json.

Fractions become strings ("7/9"), exact integers plain ints, floats stay floats;
grids are nested lists. Kept in the core so the CLI, the TUI and tests agree.

A convolution with one filter gives exactly the document it always did. With F > 1
filters every per-map quantity gains a leading filter axis (kernel, output, bias,
dout, dweight, dbias, the shift maps), `filters: F` is added and each step names
its `filter`; dL/dx stays one C×H×W tensor (summed over filters) next to
`dinput_by_filter`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cnntool.explain.as_matrix import ConvMatrix, ShiftResult
from cnntool.explain.conv import ConvGrads, ConvResult, ConvSettings, ConvStep, GradStep
from cnntool.explain.conv_transpose import ConvTResult, ConvTStep
from cnntool.explain.matrix import Tensor, parse_tensor
from cnntool.explain.pool import PoolGrads, PoolResult, PoolStep
from cnntool.explain.samples import SAMPLES
from cnntool.numbers import grid_to_json, to_json

if TYPE_CHECKING:
    from cnntool.explain.api import ConvReport, ConvTReport, PoolReport


def conv_step_json(step: ConvStep) -> dict[str, Any]:
    """One forward conv step."""
    return {
        "at": list(step.at),
        "rows": list(step.rows),
        "cols": list(step.cols),
        "window": grid_to_json(step.window),
        "products": grid_to_json(step.products),
        "channel_sums": grid_to_json(step.channel_sums),
        "sum": to_json(step.sum),
        "divisor": step.divisor,
        "bias": to_json(step.bias),
        "value": to_json(step.value),
    }


def _conv_settings(s: ConvSettings, bias: Any) -> dict[str, Any]:
    return {
        "stride": list(s.stride),
        "padding": [list(s.padding[0]), list(s.padding[1])],
        "dilation": list(s.dilation),
        "bias": bias,
        "flip": s.flip,
        "normalize": s.normalize,
    }


def conv_json(result: ConvResult, steps: list[ConvStep] | None = None) -> dict[str, Any]:
    """The whole forward pass; `steps` defaults to all of them."""
    plan, s = result.plan, result.plan.settings
    return {
        "command": "conv",
        "input": grid_to_json(plan.image),
        "kernel": grid_to_json(plan.kernel),
        "settings": _conv_settings(s, to_json(s.bias)),
        "output_shape": list(plan.out_shape),
        "output": grid_to_json(result.output),
        "formulas": [str(f) for f in plan.formulas],
        "warnings": list(plan.warnings),
        "steps": [conv_step_json(st) for st in (result.steps if steps is None else steps)],
    }


def grad_step_json(step: GradStep) -> dict[str, Any]:
    """One backward conv step (target dW, dx or db)."""
    data = {
        "target": step.target,
        "channel": step.channel,
        "at": list(step.at),
        "window": grid_to_json(step.window),
        "kernel": grid_to_json(step.kernel),
        "products": grid_to_json(step.products),
        "sum": to_json(step.sum),
        "scale": to_json(step.scale),
        "value": to_json(step.value),
    }
    if step.sources:
        data["sources"] = [[list(src) if src else None for src in row] for row in step.sources]
    return data


def conv_grads_json(grads: ConvGrads, dout: Any) -> dict[str, Any]:
    """The backward pass of a convolution."""
    return {
        "dout": grid_to_json(dout),
        "dweight": grid_to_json(grads.dweight),
        "dinput": grid_to_json(grads.dinput),
        "dbias": to_json(grads.dbias),
        "steps": [grad_step_json(st) for st in grads.steps],
    }


def matrix_json(m: ConvMatrix) -> dict[str, Any]:
    """Convolution as a matrix, with which kernel weight each entry holds."""
    return {
        "shape": [len(m.matrix), len(m.matrix[0])],
        "entries": m.entries,
        "connections": m.connections,
        "nonzero": m.nonzero,
        "distinct_weights": m.distinct_weights,
        "matrix": grid_to_json(m.matrix),
        "weight_index": [list(row) for row in m.weight_index],
    }


def shift_json(s: ShiftResult) -> dict[str, Any]:
    """Shift-equivariance comparison."""
    return {
        "shift": list(s.shift),
        "output_shift": list(s.out_shift),
        "shifted_input": grid_to_json(s.shifted_image),
        "output": grid_to_json(s.output),
        "shifted_output": grid_to_json(s.shifted_output),
        "expected": grid_to_json(s.expected),
        "comparable": [list(row) for row in s.comparable],
        "agree": s.agree,
    }


def pool_step_json(step: PoolStep) -> dict[str, Any]:
    """One pooling step; window cells in padding are null."""
    return {
        "channel": step.channel,
        "at": list(step.at),
        "rows": list(step.rows),
        "cols": list(step.cols),
        "window": grid_to_json(step.window),
        "argmax": list(step.argmax) if step.argmax else None,
        "sum": None if step.sum is None else to_json(step.sum),
        "divisor": step.divisor,
        "value": to_json(step.value),
    }


def pool_json(
    result: PoolResult, steps: list[PoolStep] | tuple[PoolStep, ...] | None = None
) -> dict[str, Any]:
    """The whole pooling pass."""
    plan, s = result.plan, result.plan.settings
    return {
        "command": "pool",
        "input": grid_to_json(plan.image),
        "settings": {
            "size": list(s.size),
            "stride": list(plan.stride),
            "padding": list(s.padding),
            "dilation": list(s.dilation),
            "mode": s.mode,
            "ceil": s.ceil,
            "count_include_pad": s.count_include_pad,
        },
        "output_shape": [len(plan.image), *plan.out_shape],
        "output": grid_to_json(result.output),
        "formulas": [str(f) for f in plan.formulas],
        "warnings": list(plan.warnings),
        "steps": [pool_step_json(st) for st in (result.steps if steps is None else steps)],
    }


def pool_grads_json(grads: PoolGrads, dout: Tensor) -> dict[str, Any]:
    """The backward pass of a pooling: where each gradient went."""
    return {
        "dout": grid_to_json(dout),
        "dinput": grid_to_json(grads.dinput),
        "steps": [
            {
                "channel": st.channel,
                "at": list(st.at),
                "grad": to_json(st.grad),
                "targets": [{"at": list(pos), "value": to_json(v)} for pos, v in st.targets],
            }
            for st in grads.steps
        ],
    }


def convt_step_json(step: ConvTStep) -> dict[str, Any]:
    """One stamp of a transposed convolution."""
    return {
        "channel": step.channel,
        "at": list(step.at),
        "value": to_json(step.value),
        "products": grid_to_json(step.products),
        "rows": list(step.rows),
        "cols": list(step.cols),
    }


def convt_json(
    result: ConvTResult, steps: list[ConvTStep] | tuple[ConvTStep, ...] | None = None
) -> dict[str, Any]:
    """The whole transposed convolution."""
    plan, s = result.plan, result.plan.settings
    return {
        "command": "convT",
        "input": grid_to_json(plan.image),
        "kernel": grid_to_json(plan.kernel),
        "settings": {
            "stride": list(s.stride),
            "padding": list(s.padding),
            "output_padding": list(s.output_padding),
            "dilation": list(s.dilation),
            "bias": to_json(s.bias),
        },
        "output_shape": list(plan.out_shape),
        "output": grid_to_json(result.output),
        "formulas": [str(f) for f in plan.formulas],
        "warnings": [],
        "steps": [convt_step_json(st) for st in (result.steps if steps is None else steps)],
    }


# --- whole reports (the documents `--json` prints) ----------------------------------------------


def _filtered(filter_index: int, data: dict[str, Any]) -> dict[str, Any]:
    return {"filter": filter_index, **data}


def _shifts_json(shifts: tuple[ShiftResult, ...]) -> dict[str, Any]:
    first = shifts[0]
    return {
        "shift": list(first.shift),
        "output_shift": list(first.out_shift),
        "shifted_input": grid_to_json(first.shifted_image),
        "output": [grid_to_json(s.output) for s in shifts],
        "shifted_output": [grid_to_json(s.shifted_output) for s in shifts],
        "expected": [grid_to_json(s.expected) for s in shifts],
        "comparable": [[list(row) for row in s.comparable] for s in shifts],
        "agree": all(s.agree for s in shifts),
    }


def conv_report_json(report: ConvReport) -> dict[str, Any]:
    """`cnntool conv --json`: one filter exactly as before; several with a leading filter axis."""
    chosen = list(report.chosen) if report.request.at is not None else None
    if report.filters == 1:
        data = conv_json(report.results()[0], chosen)
        if report.backward is not None:
            data["backward"] = conv_grads_json(report.backward.grads[0], report.backward.dout[0])
        if report.matrix is not None:
            data["matrix"] = matrix_json(report.matrix)
        if report.shift is not None:
            data["shift"] = shift_json(report.shift[0])
        return data
    plan = report.plan
    steps = report.steps if chosen is None else chosen
    data = {
        "command": "conv",
        "input": grid_to_json(plan.image),
        "kernel": [grid_to_json(p.kernel) for p in report.plans],
        "filters": report.filters,
        "settings": _conv_settings(plan.settings, [to_json(p.settings.bias) for p in report.plans]),
        "output_shape": [report.filters, *plan.out_shape],
        "output": [grid_to_json(o) for o in report.outputs],
        "formulas": [str(f) for f in report.formulas],
        "warnings": list(report.warnings),
        "steps": [_filtered(st.filter, conv_step_json(st)) for st in steps],
    }
    if report.backward is not None:
        b = report.backward
        data["backward"] = {
            "dout": [grid_to_json(g) for g in b.dout],
            "dweight": [grid_to_json(w) for w in b.dweight],
            "dinput": grid_to_json(b.dinput),
            "dinput_by_filter": [grid_to_json(g.dinput) for g in b.grads],
            "dbias": [to_json(v) for v in b.dbias],
            "steps": [_filtered(st.filter, grad_step_json(st)) for st in b.steps],
        }
    if report.matrix is not None:
        data["matrix"] = matrix_json(report.matrix)
    if report.shift is not None:
        data["shift"] = _shifts_json(report.shift)
    return data


def pool_report_json(report: PoolReport) -> dict[str, Any]:
    """`cnntool pool --json`."""
    result = PoolResult(report.plan, report.output, report.steps)
    data = pool_json(result, report.chosen if report.request.at is not None else None)
    if report.backward is not None:
        data["backward"] = pool_grads_json(report.backward.grads, report.backward.dout)
    return data


def convt_report_json(report: ConvTReport) -> dict[str, Any]:
    """`cnntool convT --json`; `backward` has the keys of conv's (one filter)."""
    result = ConvTResult(report.plan, report.output, report.steps)
    data = convt_json(result, report.chosen if report.request.at is not None else None)
    if report.backward is not None:
        data["backward"] = conv_grads_json(report.backward.grads[0], report.backward.dout[0])
    return data


def samples_json() -> dict[str, Any]:
    """`--list --json`: every named image and kernel."""
    items = [
        {"name": s.name, "kind": s.kind, "about": s.about, "matrix": grid_to_json(parse_tensor(s.text)[0])}
        for s in SAMPLES.values()
    ]
    return {"samples": items}
