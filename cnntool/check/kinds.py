"""Expected answers, computed by `cnntool.arith` and `cnntool.explain`, with their derivations.

The checker never computes a size or a count itself: a spec question asks
`summarize`, a conv/pool question runs the exact (Fraction) explainer, and a
feasibility question asks `conv_exact_len`. Each function returns the value to
compare with and the lines of "work" to show when the student is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cnntool import text
from cnntool.arith import LayerResult, Summary, conv_exact_len, summarize
from cnntool.arith.diagnose import fit_warning
from cnntool.arith.formulas import effective_kernel
from cnntool.errors import CnnToolError
from cnntool.explain.conv import ConvSettings, conv2d, conv_step, plan_conv
from cnntool.explain.names import Names
from cnntool.explain.options import parse_padding
from cnntool.explain.pool import PoolSettings, plan_pool, pool2d, pool_step
from cnntool.numbers import format_number
from cnntool.spec import NetSpec, load_spec
from cnntool.spec.source import to_channels_last

# what the explainers' messages call each input: the answer file's field names, never CLI flags
FIELD_NAMES = Names(size="size", ceil="ceil", at="at")

# formulas of a layer that explain each quantity (quantity names as arith writes them)
_FORMULAS = {
    "shape": lambda q: q.endswith("_out") or q == "P_l, P_r",
    "params": lambda q: q == "params",
    "params_unshared": lambda q: q == "unshared",
    "params_dense": lambda q: q == "dense",
    "macs": lambda q: q == "MACs",
    "receptive_field": lambda q: q in ("RF", "jump"),
}
_ATTRS = {
    "params": "params",
    "params_unshared": "params_unshared",
    "params_dense": "params_dense",
    "macs": "macs",
}


@dataclass(frozen=True)
class Expected:
    """The right answer: `value` to compare, `text` to show, `derivation` lines, and the explainer's result."""

    value: Any
    text: str
    derivation: tuple[str, ...] = ()
    detail: Any = None


def shape_text(shape: tuple[int, ...]) -> str:
    """Shapes in answers are written as typed: 10x32x32."""
    return text.shape_text(shape, "x")


def pick_layer(summary: Summary, layer: int | str) -> LayerResult:
    if not summary.layers:
        raise CnnToolError("the network has no layers; the spec needs at least one after the input shape")
    if layer == "last":
        return summary.layers[-1]
    if not 1 <= int(layer) <= len(summary.layers):
        raise CnnToolError(f"layer {layer} does not exist; the network has layers 1..{len(summary.layers)}")
    return summary.layers[int(layer) - 1]


def spec_net(inputs: dict[str, Any], hwc: bool | None = None) -> NetSpec:
    """The question's network, parsed (the spec language; `layout = "hwc"` reads the input channels-last).

    Spec text or a zoo name only: unlike the CLI, a spec in an answer file is never
    taken as a file path, so a student file cannot make the grader read (and echo) a file.
    """
    return load_spec(inputs["spec"], hwc=inputs["layout"] == "hwc" if hwc is None else hwc, files=False)


def spec_value(kind: str, inputs: dict[str, Any], net: NetSpec) -> tuple[Any, Summary, LayerResult]:
    """The asked quantity of `net` (maybe a variant of the question's net, for hints)."""
    summary = summarize(net, convention=inputs["convention"])
    row = pick_layer(summary, inputs["layer"])
    if kind == "shape":
        shape = row.output_shape
        return (to_channels_last(shape, row.layout) if inputs["layout"] == "hwc" else shape), summary, row
    if kind == "receptive_field":
        rf = row.receptive_field
        if rf is None:
            raise CnnToolError(f"layer {row.index} ({row.text}) has no spatial receptive field")
        return ("all" if rf.whole_input else tuple(rf.size)), summary, row
    if kind == "total_params":
        return summary.total_params, summary, row
    if kind == "total_macs":
        return summary.total_macs, summary, row
    return getattr(row, _ATTRS[kind]), summary, row


def rf_text(value: Any) -> str:
    return "all (the whole input)" if value == "all" else "x".join(format_number(Fraction(v)) for v in value)


def spec_expected(kind: str, inputs: dict[str, Any]) -> Expected:
    value, summary, row = spec_value(kind, inputs, spec_net(inputs))
    where = f"layer {row.index} ({row.text}), input {shape_text(row.input_shape)}"
    lines = [where]
    if kind in ("total_params", "total_macs"):
        attr = "params" if kind == "total_params" else "macs"
        parts = [f"{getattr(r, attr):,}" for r in summary.layers if getattr(r, attr)]
        lines = [f"{r.index}. {r.text}: {getattr(r, attr):,}" for r in summary.layers if getattr(r, attr)]
        lines.append(f"total = {' + '.join(parts) or '0'} = {value:,}")
    else:
        chosen = [str(f) for f in row.formulas if _FORMULAS[kind](f.quantity)]
        lines += chosen or [f"{kind} = {getattr(row, _ATTRS.get(kind, 'params'), value)} (cnntool summary)"]
    lines += list(row.warnings)
    if kind == "shape":
        order = "H×W×C" if inputs["layout"] == "hwc" else "C×H×W"
        text = f"{shape_text(value)} ({order})" if len(value) == 3 else shape_text(value)
    elif kind == "receptive_field":
        text = rf_text(value)
    else:
        text = f"{value:,}"
    return Expected(value, text, tuple(lines))


# --- conv and pool ---------------------------------------------------------------------------


def conv_settings(inputs: dict[str, Any]) -> ConvSettings:
    kernel = inputs["kernel"]
    pair = (len(kernel[0]), len(kernel[0][0]))
    padding = inputs["padding"]
    if isinstance(padding, str):
        pads = parse_padding(padding, pair, inputs["dilation"], inputs["stride"], FIELD_NAMES.padding)
    else:
        pads = ((padding[0], padding[0]), (padding[1], padding[1]))
    return ConvSettings(
        stride=inputs["stride"],
        padding=pads,
        dilation=inputs["dilation"],
        bias=inputs["bias"],
        flip=inputs["flip"],
        normalize=inputs["normalize"],
    )


def pool_settings(inputs: dict[str, Any]) -> PoolSettings:
    return PoolSettings(
        size=inputs["size"],
        stride=inputs["stride"],
        padding=inputs["padding"],
        mode=inputs["mode"],
        ceil=inputs["ceil"],
        count_include_pad=inputs["count_include_pad"],
    )


def run_window(kind: str, inputs: dict[str, Any]) -> tuple[Any, tuple[Any, ...], tuple[str, ...]]:
    """(output tensor (C, H, W), plan formulas as text, warnings) of a conv or pool question."""
    if kind == "conv":
        result = conv2d(inputs["image"], inputs["kernel"], conv_settings(inputs), FIELD_NAMES)
        output = (result.output,)
    else:
        result = pool2d(inputs["image"], pool_settings(inputs), FIELD_NAMES)
        output = result.output
    return output, tuple(str(f) for f in result.plan.formulas), result.plan.warnings


def _factor(value: Any) -> str:
    """A factor in a written-out sum: negatives and fractions in parentheses, as on paper."""
    text = format_number(value)
    return f"({text})" if text.startswith("-") or "/" in text else text


def cell_work(kind: str, inputs: dict[str, Any], channel: int, i: int, j: int) -> str:
    """The window and the sum behind one output cell, as the lecture writes it."""
    if kind == "conv":
        plan = plan_conv(inputs["image"], inputs["kernel"], conv_settings(inputs), FIELD_NAMES)
        step = conv_step(plan, i, j)
        terms = " + ".join(
            f"{_factor(x)}·{_factor(k)}"
            for window, weights in zip(step.window, plan.weights)
            for wrow, krow in zip(window, weights)
            for x, k in zip(wrow, krow)
        )
        text = f"cell ({i}, {j}): rows {step.rows[0]}..{step.rows[-1]}, columns {step.cols[0]}..{step.cols[-1]}: "
        text += f"{terms} = {format_number(step.sum)}"
        if step.divisor:
            text += f"; / {step.divisor} = {format_number(step.sum / step.divisor)}"
        if step.bias:
            text += f"; + bias {format_number(step.bias)}"
        return text + f" → {format_number(step.value)}"
    plan = plan_pool(inputs["image"], pool_settings(inputs), FIELD_NAMES)
    step = pool_step(plan, channel, i, j)
    cells = ", ".join("pad" if x is None else format_number(x) for row in step.window for x in row)
    head = f"channel {channel}, " if len(inputs["image"]) > 1 else ""
    if step.argmax is not None:
        return f"{head}cell ({i}, {j}): max of [{cells}] = {format_number(step.value)} at input {step.argmax}"
    return f"{head}cell ({i}, {j}): ({cells}) summed = {format_number(step.sum)}, / {step.divisor} = {format_number(step.value)}"


def show(value: Any) -> str:
    """An exact number as a student would write it: 7/9 stays a fraction, 33/100 reads 0.33."""
    exact = Fraction(value) if not isinstance(value, float) else Fraction(repr(value))
    den = exact.denominator
    while den % 2 == 0:
        den //= 2
    while den % 5 == 0:
        den //= 5
    if den == 1 and exact.denominator != 1:
        digits = 0
        while (exact * 10**digits).denominator != 1:
            digits += 1
        return format_number(exact, decimals=digits)
    return format_number(exact)


def value_text(value: Any, inputs: dict[str, Any]) -> str:
    """An exact value, plus how the question wants decimals written (the slides' 0.77 is truncated)."""
    text = show(value)
    if inputs.get("truncate") is not None and Fraction(value).denominator != 1:
        text += f" (= {format_number(value, truncate=inputs['truncate'])} truncated)"
    elif inputs.get("decimals") is not None and Fraction(value).denominator != 1:
        text += f" (≈ {format_number(value, decimals=inputs['decimals'])})"
    return text


def window_expected(kind: str, inputs: dict[str, Any]) -> Expected:
    output, formulas, warnings = run_window(kind, inputs)
    lines = [*formulas, *warnings]
    at = inputs.get("at")
    if at is not None:
        i, j = at
        if not (0 <= i < len(output[0]) and 0 <= j < len(output[0][0])):
            raise CnnToolError(f"at = [{i}, {j}] is outside the {len(output[0])}x{len(output[0][0])} output")
        value = output[0][i][j]
        lines.append(cell_work(kind, inputs, 0, i, j))
        return Expected(value, value_text(value, inputs), tuple(lines), output)
    c, h, w = len(output), len(output[0]), len(output[0][0])
    rows = ";; ".join("; ".join(" ".join(show(x) for x in row) for row in grid) for grid in output)
    return Expected(output, f"{c}x{h}x{w}: {rows}" if c > 1 else f"{h}x{w}: {rows}", tuple(lines), output)


# --- feasibility -----------------------------------------------------------------------------


def feasible_work(i: int, k: int, s: int, p: int, d: int) -> tuple[bool, str]:
    """Whether (I − F + 2P)/S + 1 is a whole number ≥ 1, and that formula with the numbers in."""
    exact = conv_exact_len(i, k, s, (p, p), d)
    f = effective_kernel(k, d)
    value = format_number(exact) + (f" = {float(exact):g}" if exact.denominator != 1 else "")
    text = f"(I − F + 2P)/S + 1 = ({i} − {f} + 2·{p})/{s} + 1 = {value}"
    return exact.denominator == 1 and exact >= 1, text


def feasible_expected(inputs: dict[str, Any]) -> Expected:
    i, k, s, p, d = (inputs[name] for name in ("input", "kernel", "stride", "padding", "dilation"))
    ok, text = feasible_work(i, k, s, p, d)
    lines = [text]
    if not ok:
        if i + 2 * p < effective_kernel(k, d):
            lines.append(
                f"the filter ({effective_kernel(k, d)}) is larger than the padded input ({i + 2 * p})"
            )
        else:
            lines.append(fit_warning("W", i, k, s, (p, p), d) or "")
    return Expected(ok, "true (feasible)" if ok else "false (infeasible)", tuple(x for x in lines if x))


def expected_for(kind: str, inputs: dict[str, Any]) -> Expected:
    """Dispatch on the question kind; raises CnnToolError when the question cannot be computed."""
    if kind == "feasible":
        return feasible_expected(inputs)
    if kind in ("conv", "pool"):
        return window_expected(kind, inputs)
    return spec_expected(kind, inputs)
