"""Differential test: hundreds of random layer configurations built in PyTorch and in cnntool.

For every configuration the output shape and parameter count must be equal, and
where PyTorch refuses a configuration cnntool must refuse it too (a CnnToolError).
"""

from __future__ import annotations

import random

import pytest

from cnntool.arith import summarize
from cnntool.errors import CnnToolError

pytestmark = pytest.mark.torch
N_CASES = 200  # per layer family; 5 families → 1,000 configurations, most of them valid


def _divisors(n: int) -> list[int]:
    return [g for g in range(1, n + 1) if n % g == 0]


def _conv_case(rng: random.Random, torch, dims: int):
    groups = rng.choice([1, 1, 2, 3])
    c_in = groups * rng.randint(1, 3)
    c_out = groups * rng.randint(1, 3)
    sizes = [rng.randint(1, 14) for _ in range(dims)]
    kernel = [rng.randint(1, 5) for _ in range(dims)]
    stride = [rng.randint(1, 3) for _ in range(dims)]
    dilation = rng.randint(1, 2)
    bias = rng.random() < 0.5
    pad_choice = rng.random()
    if pad_choice < 0.15:
        padding, spec_pad = "same", "padding=same"
        stride = [1] * dims
    elif pad_choice < 0.25:
        padding, spec_pad = "valid", "padding=valid"
    else:
        pads = [rng.randint(0, 3) for _ in range(dims)]
        padding, spec_pad = tuple(pads), "p" + "x".join(map(str, pads))
    j = "x".join
    spec = (
        f"{c_in}x{j(map(str, sizes))} | conv {c_out} k{j(map(str, kernel))} s{j(map(str, stride))} "
        f"{spec_pad} d{dilation} g{groups} bias={str(bias).lower()}"
    )
    cls = torch.nn.Conv1d if dims == 1 else torch.nn.Conv2d
    build = lambda: cls(c_in, c_out, tuple(kernel), tuple(stride), padding, dilation, groups, bias)  # noqa: E731
    return spec, build, (1, c_in, *sizes)


def _conv_transpose_case(rng: random.Random, torch):
    groups = rng.choice([1, 2])
    c_in, c_out = groups * rng.randint(1, 3), groups * rng.randint(1, 3)
    h, w = rng.randint(1, 8), rng.randint(1, 8)
    k, s, p, d = rng.randint(1, 4), rng.randint(1, 3), rng.randint(0, 2), rng.randint(1, 2)
    op = rng.randint(0, 2)
    bias = rng.random() < 0.5
    spec = f"{c_in}x{h}x{w} | convT {c_out} k{k} s{s} p{p} d{d} g{groups} output_padding={op} bias={str(bias).lower()}"
    build = lambda: torch.nn.ConvTranspose2d(c_in, c_out, k, s, p, op, groups, bias, d)  # noqa: E731
    return spec, build, (1, c_in, h, w)


def _pool_case(rng: random.Random, torch):
    c, h, w = rng.randint(1, 3), rng.randint(1, 12), rng.randint(1, 12)
    k, s = rng.randint(1, 4), rng.randint(1, 4)
    p = rng.randint(0, 2) if rng.random() < 0.2 else rng.randint(0, k // 2)  # mostly valid paddings
    ceil = rng.random() < 0.5
    if rng.random() < 0.5:
        d = rng.randint(1, 2)
        spec = f"{c}x{h}x{w} | maxpool {k} s{s} p{p} d{d} ceil={str(ceil).lower()}"
        build = lambda: torch.nn.MaxPool2d(k, s, p, d, ceil_mode=ceil)  # noqa: E731
    else:
        include = rng.random() < 0.5
        spec = f"{c}x{h}x{w} | avgpool {k} s{s} p{p} ceil={str(ceil).lower()} count_include_pad={str(include).lower()}"
        build = lambda: torch.nn.AvgPool2d(k, s, p, ceil_mode=ceil, count_include_pad=include)  # noqa: E731
    return spec, build, (1, c, h, w)


def _recurrent_case(rng: random.Random, torch):
    kind = rng.choice(["rnn", "gru", "lstm", "dense"])
    steps, features, hidden = rng.randint(1, 6), rng.randint(1, 12), rng.randint(2, 12)
    if kind == "dense":
        bias = rng.random() < 0.5
        spec = f"{steps}x{features} | dense {hidden} bias={str(bias).lower()}"
        return spec, lambda: torch.nn.Linear(features, hidden, bias), (1, steps, features)
    layers, bidir, bias = rng.randint(1, 3), rng.random() < 0.5, rng.random() < 0.7
    proj = rng.randint(1, hidden - 1) if kind == "lstm" and rng.random() < 0.3 else 0
    spec = f"{steps}x{features} | {kind} {hidden} layers={layers} bidirectional={str(bidir).lower()} bias={str(bias).lower()}"
    kwargs = {"num_layers": layers, "bidirectional": bidir, "bias": bias, "batch_first": True}
    if proj:
        spec += f" proj_size={proj}"
        kwargs["proj_size"] = proj
    cls = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[kind]
    return spec, lambda: cls(features, hidden, **kwargs), (1, steps, features)


def _run_torch(torch, build, input_shape):
    """(output shape without batch, param count) or None when PyTorch refuses the configuration."""
    try:
        module = build()
        out = module(torch.zeros(input_shape))
    except (RuntimeError, ValueError):
        return None
    if isinstance(out, tuple):
        out = out[0]
    if 0 in out.shape:  # PyTorch returns an empty tensor; cnntool refuses a zero-width output
        return None
    return tuple(out.shape[1:]), sum(p.numel() for p in module.parameters())


def _run_cnntool(spec: str):
    try:
        s = summarize(spec)
    except CnnToolError:
        return None
    return s.output_shape, s.total_params


@pytest.mark.parametrize("family", ["conv2d", "conv1d", "convT", "pool", "recurrent"])
def test_random_layers_match_torch(torch, family: str) -> None:
    rng = random.Random(f"cnntool-{family}")
    makers = {
        "conv2d": lambda: _conv_case(rng, torch, 2),
        "conv1d": lambda: _conv_case(rng, torch, 1),
        "convT": lambda: _conv_transpose_case(rng, torch),
        "pool": lambda: _pool_case(rng, torch),
        "recurrent": lambda: _recurrent_case(rng, torch),
    }
    mismatches, valid = [], 0
    for _ in range(N_CASES):
        spec, build, input_shape = makers[family]()
        expected = _run_torch(torch, build, input_shape)
        got = _run_cnntool(spec)
        valid += expected is not None
        if expected != got:
            mismatches.append(f"{spec}: torch {expected}, cnntool {got}")
    assert not mismatches, f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches[:15])
    assert valid >= 0.6 * N_CASES  # most generated configurations are valid, so shapes really are compared
