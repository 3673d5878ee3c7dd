"""Common mistakes, recognised by recomputing the question the way a student might have got it wrong.

Each hint is a variant of the question (no biases, no padding, floor instead of
ceil, the input read channels-last, ...) computed by arith/explain exactly like
the real one; when the student's answer equals a variant's value (and the
variant differs from the right one), the hint names that mistake. So a hint is
never a guess about arithmetic: it is a reproduced wrong path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

from cnntool.check.compare import compare, number_ok
from cnntool.check.kinds import Expected, spec_net, spec_value, window_expected
from cnntool.check.rnn_hints import recurrent_variants
from cnntool.errors import CnnToolError
from cnntool.numbers import format_number
from cnntool.spec import NetSpec
from cnntool.spec.nodes import LayerSpec
from cnntool.spec.source import to_channels_last

POOLS = ("maxpool", "avgpool")
_COUNT_KINDS = ("params", "params_unshared", "params_dense", "macs", "total_params", "total_macs")
_SIZE_KINDS = ("shape", "params_unshared", "params_dense", "macs", "total_macs", "receptive_field")


def _set(layer: LayerSpec, name: str, value: Any, when: Callable[[Any], bool]) -> LayerSpec:
    options = layer.options
    if not any(key == name and when(old) for key, old in options):
        return layer
    return layer.with_options(**{name: value})


def _no_bias(layer: LayerSpec) -> LayerSpec:
    return _set(layer, "bias", False, lambda old: old is True)


def _no_padding(layer: LayerSpec) -> LayerSpec:
    return _set(layer, "padding", 0, lambda old: old not in (0, "valid", (0, 0)))


def _toggle_ceil(layer: LayerSpec) -> LayerSpec:
    if layer.kind not in POOLS:
        return layer
    return _set(layer, "ceil", not layer.get("ceil"), lambda old: True)


def _ceil_message(net: NetSpec) -> str:
    ceil = any(layer.get("ceil") for layer in net.leaves() if layer.kind in POOLS)
    if ceil:
        return "used floor where ceil: this pooling has ceil=true (PyTorch's ceil_mode), so a last partial window still gives an output"
    return "used ceil where floor: pooling rounds down by default (PyTorch's ceil_mode=False); a partial window is dropped"


def _spec_variants(kind: str, inputs: dict[str, Any]) -> Iterator[tuple[str, Callable[[], Any]]]:
    net = spec_net(inputs)
    hwc = inputs["layout"] == "hwc"
    yield from recurrent_variants(kind, inputs, net)
    if kind in _COUNT_KINDS:
        yield (
            "forgot the bias: that is the count without the biases (each filter or neuron has one)",
            lambda: spec_value(kind, inputs, net.map_leaves(_no_bias))[0],
        )
    if kind in _SIZE_KINDS:
        yield (
            "forgot padding: that is the value with padding 0; the size formula adds 2P to the input "
            "before subtracting the filter",
            lambda: spec_value(kind, inputs, net.map_leaves(_no_padding))[0],
        )
        yield _ceil_message(net), lambda: spec_value(kind, inputs, net.map_leaves(_toggle_ceil))[0]
    if kind != "shape" and net.layout in ("image", "signal"):
        read = "H×W×C" if not hwc else "C×H×W"
        yield (
            f"counted channels-last: you read the input as {read}; this question's input is "
            f'{"H×W×C" if hwc else "C×H×W"} (set layout = "hwc" for the lecture\'s 32x32x3 style)',
            lambda: spec_value(kind, inputs, spec_net(inputs, hwc=not hwc))[0],
        )


def _shape_order_hint(inputs: dict[str, Any], expected: Expected, given: Any) -> str | None:
    want = tuple(expected.value)
    if len(want) != 3 or tuple(given) == want:
        return None
    if inputs["layout"] == "chw" and tuple(given) == to_channels_last(want, "image"):
        return 'counted channels-last: you wrote H×W×C; this question asks for C×H×W (or set layout = "hwc")'
    if inputs["layout"] == "hwc" and tuple(given) == (want[2], want[0], want[1]):
        return 'counted channels-first: you wrote C×H×W; this file asks for H×W×C (layout = "hwc")'
    return None


def _window_variants(kind: str, inputs: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    padded = inputs["padding"] not in ((0, 0), "valid")
    if padded:
        yield (
            "forgot padding: that is the output without the zero padding around the image",
            {
                **inputs,
                "padding": (0, 0),
            },
        )
    if kind == "conv":
        if inputs["bias"]:
            yield "forgot the bias: add it to every cell after the sum", {**inputs, "bias": Fraction(0)}
        if inputs["normalize"]:
            yield (
                "forgot to divide by the number of pixels in the window (normalize = true)",
                {
                    **inputs,
                    "normalize": False,
                },
            )
        else:
            yield (
                "divided by the window size, but this question does not normalise",
                {**inputs, "normalize": True},
            )
        yield (
            "flipped the kernel: this question uses " + ("true convolution (flip = true)" if inputs["flip"]
                                                         else "cross-correlation, as PyTorch's conv2d (no flip)"),
            {**inputs, "flip": not inputs["flip"]},
        )  # fmt: skip
    else:
        yield (
            _ceil_message_pool(inputs["ceil"]),
            {**inputs, "ceil": not inputs["ceil"]},
        )
        other = "avg" if inputs["mode"] == "max" else "max"
        yield (
            f"took the {other} of each window; this question asks for {inputs['mode']} pooling",
            {
                **inputs,
                "mode": other,
            },
        )


def _ceil_message_pool(ceil: bool) -> str:
    if ceil:
        return (
            "used floor where ceil: this pooling has ceil = true, so the last partial window gives an output"
        )
    return "used ceil where floor: pooling rounds down unless ceil = true; a partial window is dropped"


def _rounding_hint(inputs: dict[str, Any], expected: Expected, given: Fraction) -> str | None:
    want = Fraction(expected.value)
    if want.denominator == 1 or abs(given - want) > Fraction(1, 10):
        return None
    if inputs.get("truncate") is not None:
        rounded = Fraction(format_number(want, decimals=inputs["truncate"]))
        if given == rounded:
            return f"rounded: this question truncates like the slides ({format_number(want)} → {format_number(want, truncate=inputs['truncate'])})"
    if inputs.get("tolerance") is None and inputs.get("truncate") is None and inputs.get("decimals") is None:
        return (
            f'close, but this question wants the exact value: write it as a fraction, "{format_number(want)}"'
        )
    return None


def find_hint(kind: str, inputs: dict[str, Any], expected: Expected, given: Any) -> str | None:
    """The first recognised mistake that reproduces `given`, or None."""
    if kind == "feasible":
        if given is True and expected.value is False:
            return "the formula must give a whole number: a fraction means the filter does not tile the input (PyTorch silently floors it)"
        return None
    if kind == "shape":
        hint = _shape_order_hint(inputs, expected, given)
        if hint:
            return hint
    if kind in ("conv", "pool"):
        if inputs.get("at") is not None:
            hint = _rounding_hint(inputs, expected, given)
            if hint:
                return hint
        for message, variant in _window_variants(kind, inputs):
            try:
                alt = window_expected(kind, variant)
            except CnnToolError:
                continue
            if _same(alt.value, expected.value, inputs):
                continue
            if compare(kind, variant, alt, given).correct:
                return message
        return None
    for message, compute in _spec_variants(kind, inputs):
        try:
            alt = compute()
        except CnnToolError:
            continue
        if alt != expected.value and compare(kind, inputs, Expected(alt, ""), given).correct:
            return message
    return None


def _same(a: Any, b: Any, inputs: dict[str, Any]) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        try:
            return all(
                number_ok(Fraction(x), y, {})
                for ga, gb in zip(a, b, strict=True)
                for ra, rb in zip(ga, gb, strict=True)
                for x, y in zip(ra, rb, strict=True)
            )
        except (ValueError, TypeError):
            return False
    return a == b
