"""The use cases behind `cnntool conv`, `pool` and `convT`: a request in, a report out.

Everything the command line prints (plan, output maps, steps, the chosen cell,
the backward pass, the conv matrix, the shift check, warnings, formulas) is
computed here, once, so the CLI, the TUI and tests show the same thing. A
request holds parsed values (the CLI parses its option strings first) and a
`Names` for the error messages; a report is plain frozen data with `to_json()`.

Several filters: a convolution request takes F kernels of shape (C, kh, kw) and
gives F output maps, one plan per filter; dL/dx adds up the F filters'
contributions, as a conv layer's input gradient does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from cnntool.arith.formulas import Formula
from cnntool.errors import CnnToolError, ShapeError
from cnntool.explain import serialize
from cnntool.explain.as_matrix import ConvMatrix, ShiftResult, filters_as_matrix, shift_equivariance
from cnntool.explain.conv import (
    ConvGrads,
    ConvPlan,
    ConvResult,
    ConvSettings,
    ConvStep,
    GradStep,
    conv2d_backward,
    conv_result,
    conv_step,
    plan_conv,
)
from cnntool.explain.conv_transpose import (
    ConvTPlan,
    ConvTSettings,
    ConvTStep,
    conv_transpose2d,
    conv_transpose2d_backward,
    conv_transpose_step,
)
from cnntool.explain.matrix import Tensor, freeze, shape, zeros
from cnntool.explain.names import PLAIN, Names
from cnntool.explain.options import Pair
from cnntool.explain.pool import (
    PoolGrads,
    PoolPlan,
    PoolSettings,
    PoolStep,
    pool2d,
    pool2d_backward,
    pool_step,
)
from cnntool.numbers import Grid, Number


def ones(out_shape: Pair) -> Grid:
    """An all-ones dout: dL/dout = 1 everywhere, i.e. L = the sum of the outputs."""
    return tuple(tuple(Fraction(1) for _ in range(out_shape[1])) for _ in range(out_shape[0]))


# --- convolution ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConvRequest:
    """A convolution to explain.

    `kernels`: F filters, each (C, kh, kw) like the image's C channels. `biases`: one per filter;
    None gives every filter `settings.bias`. `at`: one output cell (i, j) to show in detail,
    in every filter's map. `dout`: one (H_out, W_out) gradient per filter, None for all ones.
    `shift`: (dy, dx) for the translation-equivariance check.
    """

    image: Tensor
    kernels: tuple[Tensor, ...]
    settings: ConvSettings = field(default_factory=ConvSettings)
    biases: tuple[Number, ...] | None = None
    at: Pair | None = None
    backward: bool = False
    dout: tuple[Grid, ...] | None = None
    as_matrix: bool = False
    shift: Pair | None = None
    names: Names = PLAIN


@dataclass(frozen=True)
class ConvBackward:
    """The backward pass, per filter: its dout and its gradients (their dinput: that filter's share).

    `dinput` is dL/dx, the sum of the filters' shares (for one filter, its dinput).
    """

    dout: tuple[Grid, ...]
    grads: tuple[ConvGrads, ...]
    dinput: Tensor

    @property
    def steps(self) -> tuple[GradStep, ...]:
        """dW, dx, db steps of filter 1, then of filter 2, ... (`GradStep.filter` says which)."""
        return tuple(step for g in self.grads for step in g.steps)

    @property
    def dweight(self) -> tuple[Tensor, ...]:
        return tuple(g.dweight for g in self.grads)

    @property
    def dbias(self) -> tuple[Number, ...]:
        return tuple(g.dbias for g in self.grads)


@dataclass(frozen=True)
class ConvReport:
    """Everything `cnntool conv` shows. `steps` run over (filter, output cell), filter by filter;
    `chosen` holds the `at` cell of every filter (empty without `at`)."""

    request: ConvRequest
    plans: tuple[ConvPlan, ...]
    outputs: tuple[Grid, ...]
    steps: tuple[ConvStep, ...]
    chosen: tuple[ConvStep, ...]
    backward: ConvBackward | None
    matrix: ConvMatrix | None
    shift: tuple[ShiftResult, ...] | None
    warnings: tuple[str, ...]
    formulas: tuple[Formula, Formula]

    @property
    def filters(self) -> int:
        return len(self.plans)

    @property
    def plan(self) -> ConvPlan:
        """The first filter's plan: image, geometry and sizes are the same for every filter."""
        return self.plans[0]

    @property
    def out_shape(self) -> Pair:
        return self.plan.out_shape

    def steps_of(self, filter: int) -> tuple[ConvStep, ...]:
        """The steps of one filter's map, in reading order."""
        per = self.out_shape[0] * self.out_shape[1]
        return self.steps[filter * per : (filter + 1) * per]

    def results(self) -> tuple[ConvResult, ...]:
        """One `ConvResult` per filter (plan, output map, steps)."""
        return tuple(
            ConvResult(p, o, self.steps_of(f)) for f, (p, o) in enumerate(zip(self.plans, self.outputs))
        )

    def to_json(self) -> dict[str, Any]:
        """The `--json` document (docs/schemas/conv.schema.json)."""
        return serialize.conv_report_json(self)


def _check_filters(request: ConvRequest) -> tuple[Number, ...]:
    names, kernels = request.names, request.kernels
    if not kernels:
        raise CnnToolError(f"{names.kernel}: give at least one filter.")
    for n, kernel in enumerate(kernels[1:], start=2):
        if shape(kernel) != shape(kernels[0]):
            raise ShapeError(
                f"{names.kernel}: filter {n} is {'x'.join(map(str, shape(kernel)))} but filter 1 is "
                f"{'x'.join(map(str, shape(kernels[0])))}; all filters need the same shape."
            )
    biases = request.biases if request.biases is not None else (request.settings.bias,) * len(kernels)
    biases = tuple(Fraction(b) if isinstance(b, int) else b for b in biases)  # ints are exact numbers too
    if len(biases) == 1 and len(kernels) > 1:
        biases = biases * len(kernels)
    if len(biases) != len(kernels):
        raise CnnToolError(
            f"{names.bias} has {len(biases)} values but there are {len(kernels)} filters; give one number "
            "for all of them or one per filter."
        )
    return biases


def _conv_dout(request: ConvRequest, plans: tuple[ConvPlan, ...]) -> tuple[Grid, ...]:
    out_h, out_w = plans[0].out_shape
    if request.dout is None:
        return tuple(ones(plans[0].out_shape) for _ in plans)
    if len(request.dout) != len(plans):
        raise ShapeError(
            f"{request.names.dout} has {len(request.dout)} matrices but there are {len(plans)} filters; give "
            "one per filter (separated by '|') or 'ones'."
        )
    if len(plans) > 1:
        for n, g in enumerate(request.dout, start=1):
            if (len(g), len(g[0])) != (out_h, out_w):
                raise ShapeError(
                    f"{request.names.dout}: filter {n}'s gradient is {len(g)}x{len(g[0])} but its output is "
                    f"{out_h}x{out_w}; give {out_h}x{out_w} matrices separated by '|', or 'ones'."
                )
    return request.dout


def conv_backward(plans: tuple[ConvPlan, ...], dout: tuple[Grid, ...]) -> ConvBackward:
    """Every filter's gradients, and dL/dx summed over the filters."""
    grads = tuple(conv2d_backward(plan, g) for plan, g in zip(plans, dout))
    c, h, w = shape(plans[0].image)
    total = [zeros(h, w) for _ in range(c)]
    for g in grads:
        for ch in range(c):
            for r in range(h):
                for q in range(w):
                    total[ch][r][q] += g.dinput[ch][r][q]
    return ConvBackward(dout, grads, tuple(freeze(t) for t in total))


def run_conv(request: ConvRequest) -> ConvReport:
    """Plan every filter, run the forward pass, then the optional parts the request asks for."""
    biases = _check_filters(request)
    plans = tuple(
        plan_conv(request.image, kernel, replace(request.settings, bias=b), request.names, f)
        for f, (kernel, b) in enumerate(zip(request.kernels, biases))
    )
    results = [conv_result(plan) for plan in plans]
    chosen: tuple[ConvStep, ...] = ()
    if request.at is not None:
        chosen = tuple(conv_step(plan, *request.at) for plan in plans)
    backward = conv_backward(plans, _conv_dout(request, plans)) if request.backward else None
    matrix = filters_as_matrix(plans) if request.as_matrix else None
    shifted = None
    if request.shift is not None:
        shifted = tuple(
            shift_equivariance(request.image, p.kernel, p.settings, *request.shift, request.names)
            for p in plans
        )
    return ConvReport(
        request, plans, tuple(r.output for r in results), tuple(s for r in results for s in r.steps), chosen,
        backward, matrix, shifted, plans[0].warnings, plans[0].formulas,
    )  # fmt: skip


# --- pooling --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolRequest:
    """A pooling to explain; `at` shows one output cell of every channel; `dout` (C, H_out, W_out) or None (ones)."""

    image: Tensor
    settings: PoolSettings = field(default_factory=PoolSettings)
    at: Pair | None = None
    backward: bool = False
    dout: Tensor | None = None
    names: Names = PLAIN


@dataclass(frozen=True)
class PoolBackward:
    """dout (C, H_out, W_out) and where each of its cells went."""

    dout: Tensor
    grads: PoolGrads


@dataclass(frozen=True)
class PoolReport:
    """Everything `cnntool pool` shows; steps run channel by channel."""

    request: PoolRequest
    plan: PoolPlan
    output: Tensor
    steps: tuple[PoolStep, ...]
    chosen: tuple[PoolStep, ...]
    backward: PoolBackward | None
    warnings: tuple[str, ...]
    formulas: tuple[Formula, Formula]

    def to_json(self) -> dict[str, Any]:
        """The `--json` document (docs/schemas/pool.schema.json)."""
        return serialize.pool_report_json(self)


def run_pool(request: PoolRequest) -> PoolReport:
    """Pool every channel, then the chosen cell and the backward pass when asked."""
    result = pool2d(request.image, request.settings, request.names)
    plan = result.plan
    chosen: tuple[PoolStep, ...] = ()
    if request.at is not None:
        chosen = tuple(pool_step(plan, ch, *request.at) for ch in range(len(request.image)))
    backward = None
    if request.backward:
        dout = (
            request.dout if request.dout is not None else tuple(ones(plan.out_shape) for _ in request.image)
        )
        backward = PoolBackward(dout, pool2d_backward(plan, dout))
    return PoolReport(
        request, plan, result.output, result.steps, chosen, backward, plan.warnings, plan.formulas
    )


# --- transposed convolution -----------------------------------------------------------------


@dataclass(frozen=True)
class ConvTRequest:
    """A transposed convolution to explain; `at` is an input cell whose stamps (every channel) are shown."""

    image: Tensor
    kernel: Tensor
    settings: ConvTSettings = field(default_factory=ConvTSettings)
    at: Pair | None = None
    backward: bool = False
    dout: Grid | None = None
    names: Names = PLAIN


@dataclass(frozen=True)
class ConvTReport:
    """Everything `cnntool convT` shows; `backward` has one filter (one output channel)."""

    request: ConvTRequest
    plan: ConvTPlan
    output: Grid
    steps: tuple[ConvTStep, ...]
    chosen: tuple[ConvTStep, ...]
    backward: ConvBackward | None
    warnings: tuple[str, ...]
    formulas: tuple[Formula, Formula]

    def to_json(self) -> dict[str, Any]:
        """The `--json` document (docs/schemas/convT.schema.json)."""
        return serialize.convt_report_json(self)


def run_conv_transpose(request: ConvTRequest) -> ConvTReport:
    """Stamp every input cell, then the chosen cell and the backward pass when asked."""
    result = conv_transpose2d(request.image, request.kernel, request.settings, request.names)
    plan = result.plan
    chosen: tuple[ConvTStep, ...] = ()
    if request.at is not None:
        chosen = tuple(conv_transpose_step(plan, ch, *request.at) for ch in range(len(request.image)))
    backward = None
    if request.backward:
        dout = request.dout if request.dout is not None else ones(plan.out_shape)
        grads = conv_transpose2d_backward(plan, dout)
        backward = ConvBackward((dout,), (grads,), grads.dinput)
    return ConvTReport(request, plan, result.output, result.steps, chosen, backward, (), plan.formulas)
