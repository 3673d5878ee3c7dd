"""Optimizers against torch.optim over 20 steps, LR schedules, gradient clipping."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cnntool.engine import optim
from cnntool.engine.layers.base import Parameter

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.05}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.1, "eps": 1e-6}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.01}),
]


@pytest.mark.torch
@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_optimizer_matches_torch_over_20_steps(name, kwargs, rng, torch):
    shapes = [(3, 4), (5,)]
    values = [rng.standard_normal(s) for s in shapes]
    ours = [Parameter(f"p{i}", v.copy()) for i, v in enumerate(values)]
    theirs = [torch.tensor(v.copy(), requires_grad=True) for v in values]
    opt = getattr(optim, name)(ours, **kwargs)
    topt = getattr(torch.optim, name)(theirs, **kwargs)
    for _ in range(20):
        grads = [rng.standard_normal(s) for s in shapes]
        for p, t, g in zip(ours, theirs, grads, strict=True):
            p.grad[...] = g
            t.grad = torch.tensor(g)
        opt.step()
        topt.step()
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.value, t.detach().numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.torch
def test_schedules_match_torch(torch):
    p = Parameter("w", np.zeros(1))
    t = torch.zeros(1, requires_grad=True)
    for ours_cls, theirs_cls, kw, tkw in [
        (optim.StepLR, torch.optim.lr_scheduler.StepLR, {"step_size": 3, "gamma": 0.5}, {"step_size": 3, "gamma": 0.5}),
        (optim.CosineLR, torch.optim.lr_scheduler.CosineAnnealingLR, {"t_max": 7, "eta_min": 0.01}, {"T_max": 7, "eta_min": 0.01}),
    ]:  # fmt: skip
        opt, topt = optim.SGD([p], lr=0.1), torch.optim.SGD([t], lr=0.1)
        sched, tsched = ours_cls(opt, **kw), theirs_cls(topt, **tkw)
        for _ in range(10):
            topt.step()
            tsched.step()
            assert sched.step() == pytest.approx(topt.param_groups[0]["lr"], rel=1e-9)


@pytest.mark.torch
def test_clip_grad_norm_matches_torch(rng, torch):
    grads = [rng.standard_normal((3, 3)), rng.standard_normal(4)]
    ours = [Parameter(f"p{i}", np.zeros_like(g)) for i, g in enumerate(grads)]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, t, g in zip(ours, theirs, grads, strict=True):
        p.grad[...] = g
        t.grad = torch.tensor(g)
    total = optim.clip_grad_norm(ours, 1.0)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert total == pytest.approx(float(ttotal))
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)


def test_optimizer_state_round_trips(rng):
    p = Parameter("w", rng.standard_normal(3))
    opt = optim.Adam([p], lr=0.1)
    p.grad[...] = 1.0
    opt.step()
    state = opt.state_dict()
    q = Parameter("w", p.value.copy())
    opt2 = optim.Adam([q], lr=0.5)
    opt2.load_state_dict(state)
    for o in (opt, opt2):
        o.params[0].grad[...] = 0.5
        o.step()
    np.testing.assert_allclose(p.value, q.value)
    assert opt2.steps == 2 and math.isclose(opt2.lr, 0.1)


def test_bad_optimizer_arguments():
    p = Parameter("w", np.zeros(2))
    with pytest.raises(ValueError, match="no parameters"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="lr"):
        optim.Adam([p], lr=-1)
