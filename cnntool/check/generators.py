"""Random question drafts for the quiz, one function per kind, driven only by the given `random.Random`.

Difficulty (level 0 easy, 1 medium, 2 hard) widens the choices: more layers,
strides, odd sizes that need ceil pooling, padding, bias, normalised sums. The
drafts are only proposals: `quiz.make_quiz` computes each answer through the
checker and keeps a draft only if `well_posed` says it fits exactly.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

from cnntool.arith import summarize
from cnntool.check import rnn_questions
from cnntool.check.kinds import feasible_work, run_window
from cnntool.check.schema import SPEC_KINDS
from cnntool.errors import CnnToolError
from cnntool.numbers import format_number
from cnntool.text import shape_text

_WEIGHTED = ("conv", "dense")


def _grid(rng: random.Random, rows: int, cols: int, low: int, high: int) -> str:
    return "; ".join(" ".join(str(rng.randint(low, high)) for _ in range(cols)) for _ in range(rows))


def _network(rng: random.Random, level: int) -> tuple[tuple[int, int, int], list[str]]:
    """An input (C, H, W) and layer texts; deeper and less regular as the level rises."""
    c = rng.choice((1, 3))
    h = rng.choice((8, 12, 16, 28, 32) if level < 2 else (15, 24, 27, 31, 32, 64))
    w = h if level < 2 else rng.choice((h, h + 4, h * 2))
    layers: list[str] = []
    for n in range(level + 1):
        k = rng.choice((1, 3, 5) if level == 0 else (3, 5, 7))
        s = 1 if level == 0 else rng.choice((1, 1, 2))
        p = rng.choice((0, k // 2))
        layers.append(f"conv {rng.choice((4, 6, 8, 10, 16))} k{k} s{s} p{p}")
        if level >= 1:
            layers.append("relu")
            if rng.random() < 0.6:
                layers.append("maxpool 2 ceil=true" if level == 2 and rng.random() < 0.5 else "maxpool 2")
        if level == 0 or n == level:
            break
    if level == 2 and rng.random() < 0.5:
        layers += ["flatten", f"dense {rng.choice((10, 20, 100))}"]
    return (c, h, w), layers


def _spec_question(kind: str, rng: random.Random, level: int) -> dict[str, Any]:
    (c, h, w), layers = _network(rng, level)
    hwc = kind == "shape" and level >= 1 and rng.random() < 1 / 3
    head = f"{h}x{w}x{c}" if hwc else f"{c}x{h}x{w}"
    spec = " | ".join([head, *layers])
    weighted = [i for i, text in enumerate(layers, start=1) if text.split()[0] in _WEIGHTED]
    if kind in ("params", "params_unshared", "params_dense", "macs"):
        layer: int | str = rng.choice(weighted)
    elif kind == "receptive_field":
        last_spatial = [
            i for i, text in enumerate(layers, start=1) if text.split()[0] not in ("flatten", "dense")
        ]
        layer = rng.choice(last_spatial)
    elif kind in ("total_params", "total_macs"):
        layer = "last"
    else:
        layer = rng.choice((*range(1, len(layers) + 1), "last", "last"))
    where = "the last layer" if layer == "last" else f"layer {layer} ({layers[int(layer) - 1]})"
    prompts = {
        "shape": f"Output shape ({'H×W×C' if hwc else 'C×H×W'}) of {where}",
        "params": f"Parameters of {where}, biases included (PyTorch's count)",
        "params_unshared": f"Parameters of {where} without weight sharing (a filter per output position)",
        "params_dense": f"Parameters of a dense layer with the same inputs and outputs as {where}",
        "macs": f"Multiply-accumulates of {where} per sample, bias additions included",
        "receptive_field": f"Receptive field (input pixels, height x width) of one output cell of {where}",
        "total_params": "Total parameters of the network",
        "total_macs": "Total multiply-accumulates of the network per sample",
    }
    table: dict[str, Any] = {"prompt": f"{prompts[kind]}: {spec}", "spec": spec}
    if layer != "last":
        table["layer"] = layer
    if hwc:
        table["layout"] = "hwc"
    return table


def _conv_question(rng: random.Random, level: int) -> dict[str, Any]:
    size = rng.choice(((4, 5), (5, 6), (6, 7))[level])
    k = rng.choice((2, 3)) if level == 0 else 3
    table: dict[str, Any] = {
        "prompt": "Cross-correlate the image with the kernel (as PyTorch's conv2d)",
        "image": _grid(rng, size, size, 0, 3),
        "kernel": _grid(rng, k, k, -1, 1),
    }
    if level == 2:
        table.update(stride=2, padding=1, bias=rng.randint(-2, 2))
        table["prompt"] += ", stride 2, zero padding 1, then add the bias"
    elif level == 1:
        table["padding"] = rng.choice((0, 1))
        if table["padding"]:
            table["prompt"] += ", zero padding 1"
        if rng.random() < 0.5:
            cell = [rng.randint(0, 1), rng.randint(0, 1)]
            table.update(normalize=True, at=cell, truncate=2)
            table["prompt"] += (
                f"; divide each sum by the window size and give cell {cell} as a fraction or truncated to 2 decimals"
            )
    return table


def _pool_question(rng: random.Random, level: int) -> dict[str, Any]:
    size = rng.choice(((4,), (4, 5, 6, 7), (5, 6, 7))[level])
    table: dict[str, Any] = {"image": _grid(rng, size, size, 0, 9)}
    window = 2 if level < 2 else rng.choice((2, 3))
    mode = "max" if level < 2 else rng.choice(("max", "avg"))
    table.update(size=window, stride=2, mode=mode)
    if level == 2 and window == 3 and rng.random() < 0.5:
        table["padding"] = 1
    if size % 2:
        table["ceil"] = True
    words = f"{mode} pooling, window {window}, stride 2"
    if table.get("padding"):
        words += ", padding 1"
    if table.get("ceil"):
        words += ", ceil mode (a partial window at the edge still counts)"
    if mode == "avg":
        words += "; give exact fractions"
    return {"prompt": words[0].upper() + words[1:], **table}


def _feasible_question(rng: random.Random, level: int) -> dict[str, Any]:
    want = rng.random() < 0.5
    for _ in range(100):
        i = rng.randint(5, (12, 32, 227)[level])
        f = rng.choice((2, 3, 5, 7, 11))
        s = rng.choice((1, 2, 3, 4))
        p = rng.randint(0, f // 2)
        if f <= i + 2 * p and feasible_work(i, f, s, p, 1)[0] == want:
            break
    prompt = f"I = {i}, F = {f}, P = {p}, S = {s}: is this convolution feasible (true/false)?"
    return {"prompt": prompt, "input": i, "kernel": f, "stride": s, "padding": p}


def generate(kind: str, rng: random.Random, level: int) -> dict[str, Any]:
    """A draft question table (prompt and inputs; no id, points or answer; a recurrent topic's
    draft also names the answer-file kind it asks)."""
    if kind in SPEC_KINDS:
        return _spec_question(kind, rng, level)
    if kind in rnn_questions.TOPICS:
        return rnn_questions.generate(kind, rng, level)
    if kind == "conv":
        return _conv_question(rng, level)
    if kind == "pool":
        return _pool_question(rng, level)
    return _feasible_question(rng, level)


def well_posed(kind: str, table: dict[str, Any]) -> bool:
    """No 'does not fit' warning anywhere (feasibility questions excepted: they may be infeasible)."""
    if kind == "feasible":
        return True
    if kind in SPEC_KINDS:
        try:
            summary = summarize(table["spec"], hwc=table.get("layout") == "hwc")
        except CnnToolError:
            return False
        return not summary.warnings
    from cnntool.check.questions import file_defaults, parse_question

    question = parse_question(table, 1, file_defaults({}, "<quiz>"))
    return not run_window(kind, question.inputs)[2]


def _number(value: Any) -> int | str:
    exact = Fraction(value)
    return exact.numerator if exact.denominator == 1 else format_number(exact)


def answer_value(kind: str, inputs: dict[str, Any], value: Any) -> Any:
    """The expected value as a key file writes it: "10x32x32", 760, "7/9", nested lists, true."""
    if kind == "shape":
        return shape_text(value, "x")
    if kind == "receptive_field":
        return "all" if value == "all" else "x".join(str(_number(v)) for v in value)
    if kind == "feasible":
        return bool(value)
    if kind in ("conv", "pool"):
        if inputs.get("at") is not None:
            return _number(value)
        channels = [[[_number(v) for v in row] for row in grid] for grid in value]
        return channels[0] if len(channels) == 1 else channels
    return int(value)
