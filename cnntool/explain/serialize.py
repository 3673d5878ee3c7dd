"""Results and steps as plain JSON data (the `--json` schema, documented in README).

Fractions become strings ("7/9"), exact integers plain ints, floats stay floats;
grids are nested lists. Kept in the core so the CLI, the TUI and tests agree.
"""

from __future__ import annotations

from typing import Any

from cnntool.explain.as_matrix import ConvMatrix, ShiftResult
from cnntool.explain.conv import ConvGrads, ConvResult, ConvStep, GradStep
from cnntool.explain.conv_transpose import ConvTResult, ConvTStep
from cnntool.explain.matrix import Tensor
from cnntool.explain.pool import PoolGrads, PoolResult, PoolStep
from cnntool.numbers import grid_to_json, to_json


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


def conv_json(result: ConvResult, steps: list[ConvStep] | None = None) -> dict[str, Any]:
    """The whole forward pass; `steps` defaults to all of them."""
    plan, s = result.plan, result.plan.settings
    return {
        "command": "conv",
        "input": grid_to_json(plan.image),
        "kernel": grid_to_json(plan.kernel),
        "settings": {
            "stride": list(s.stride),
            "padding": [list(s.padding[0]), list(s.padding[1])],
            "dilation": list(s.dilation),
            "bias": to_json(s.bias),
            "flip": s.flip,
            "normalize": s.normalize,
        },
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


def pool_json(result: PoolResult, steps: list[PoolStep] | None = None) -> dict[str, Any]:
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


def convt_json(result: ConvTResult, steps: list[ConvTStep] | None = None) -> dict[str, Any]:
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
