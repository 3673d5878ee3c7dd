"""Optimizers with torch.optim's exact update rules, LR schedules, and gradient-norm clipping.

Each optimizer updates `Parameter.value` in place from `Parameter.grad`; its per-parameter
state (momentum buffers, moments, step) is a dict of arrays so `state_dict()` can be saved.
Every optimizer takes `clip_norm=`: each `step()` first scales all gradients so their joint L2
norm is at most that (torch's `clip_grad_norm_` before `optimizer.step()`, the usual cure for
exploding gradients in recurrent networks) and keeps the norm it saw in `grad_norm`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from cnntool.engine.backend import backend_of
from cnntool.engine.layers.base import Parameter
from cnntool.errors import InputError


def _finite(value: object) -> bool:
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


class Optimizer:
    """Base: `params`, `lr`, per-parameter `state[i]` (dict of arrays), `zero_grad()`, `step()`."""

    def __init__(self, params: Iterable[Parameter], lr: float, clip_norm: float | None = None) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: no parameters to optimise")
        if not _finite(lr) or lr < 0:
            raise InputError(f"{type(self).__name__}: lr must be a finite number ≥ 0, got {lr!r}")
        if clip_norm is not None and not (_finite(clip_norm) and clip_norm > 0):
            raise InputError(f"{type(self).__name__}: clip_norm must be > 0 and finite, got {clip_norm!r}")
        self.lr = lr
        self.clip_norm = clip_norm
        #: The joint gradient norm the last `step()` saw (before clipping); None before the first
        #: step or without clip_norm.
        self.grad_norm: float | None = None
        self.state: list[dict[str, np.ndarray]] = [{} for _ in self.params]
        self.steps = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad[...] = 0

    def step(self) -> None:
        if self.clip_norm is not None:
            self.grad_norm = clip_grad_norm(self.params, self.clip_norm)
        self.steps += 1
        for p, st in zip(self.params, self.state, strict=True):
            self._update(p, st)

    def _update(self, p: Parameter, st: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, np.ndarray]:
        """Flat {"{param name}.{key}": array} plus "steps" and "lr"."""
        out = {"steps": np.asarray(self.steps), "lr": np.asarray(self.lr)}
        for p, st in zip(self.params, self.state, strict=True):
            out |= {f"{p.name}.{k}": v for k, v in st.items()}
        return out

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore what `state_dict()` wrote (arrays are copied)."""
        self.steps, self.lr = int(state["steps"]), float(state["lr"])
        for p, st in zip(self.params, self.state, strict=True):
            st.clear()
            prefix = p.name + "."
            backend = backend_of(p.value)
            st |= {
                k[len(prefix) :]: backend.asarray(v).copy() for k, v in state.items() if k.startswith(prefix)
            }


class SGD(Optimizer):
    """torch.optim.SGD: g = ∇ + λp; b = μb + (1−τ)g (b = g at first); g = g + μb (nesterov) or b; p −= lr·g."""

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, clip_norm: float | None = None) -> None:  # fmt: skip
        super().__init__(params, lr, clip_norm)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov needs momentum > 0 and dampening 0")
        self.momentum, self.dampening, self.weight_decay, self.nesterov = (
            momentum,
            dampening,
            weight_decay,
            nesterov,
        )

    def _update(self, p, st):
        xp = backend_of(p.value).xp
        g = p.grad + self.weight_decay * p.value if self.weight_decay else p.grad
        if self.momentum:
            if "momentum_buffer" not in st:
                st["momentum_buffer"] = xp.array(g, copy=True)
            else:
                buf = st["momentum_buffer"]
                buf *= self.momentum
                buf += (1 - self.dampening) * g
            buf = st["momentum_buffer"]
            g = g + self.momentum * buf if self.nesterov else buf
        p.value -= p.value.dtype.type(self.lr) * g


class Adam(Optimizer):
    """torch.optim.Adam (L2 weight decay added to the gradient); AdamW subclasses it."""

    decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, clip_norm: float | None = None) -> None:  # fmt: skip
        super().__init__(params, lr, clip_norm)
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay

    def _update(self, p, st):
        xp = backend_of(p.value).xp
        b1, b2 = self.betas
        if "exp_avg" not in st:
            st["exp_avg"], st["exp_avg_sq"] = xp.zeros_like(p.value), xp.zeros_like(p.value)
            st["step"] = np.asarray(0)
        st["step"] = np.asarray(int(st["step"]) + 1)
        t = int(st["step"])
        g = p.grad
        if self.weight_decay and self.decoupled:
            p.value *= p.value.dtype.type(1 - self.lr * self.weight_decay)
        elif self.weight_decay:
            g = g + self.weight_decay * p.value
        m, v = st["exp_avg"], st["exp_avg_sq"]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        step_size = self.lr / (1 - b1**t)
        denom = xp.sqrt(v) / math.sqrt(1 - b2**t) + self.eps
        p.value -= (step_size * m / denom).astype(p.value.dtype, copy=False)


class AdamW(Adam):
    """torch.optim.AdamW: decoupled weight decay p ← p·(1 − lr·λ) before the Adam step (λ = 0.01)."""

    decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, clip_norm: float | None = None) -> None:  # fmt: skip
        super().__init__(params, lr, betas, eps, weight_decay, clip_norm)


class RMSprop(Optimizer):
    """torch.optim.RMSprop: s = αs + (1−α)g²; (centred: subtract the squared mean); p −= lr·g/(√s + ε)."""

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum: float = 0.0, centered: bool = False, clip_norm: float | None = None) -> None:  # fmt: skip
        super().__init__(params, lr, clip_norm)
        self.alpha, self.eps, self.weight_decay, self.momentum, self.centered = (
            alpha,
            eps,
            weight_decay,
            momentum,
            centered,
        )

    def _update(self, p, st):
        xp = backend_of(p.value).xp
        if "square_avg" not in st:
            st["square_avg"] = xp.zeros_like(p.value)
            if self.momentum:
                st["momentum_buffer"] = xp.zeros_like(p.value)
            if self.centered:
                st["grad_avg"] = xp.zeros_like(p.value)
        g = p.grad + self.weight_decay * p.value if self.weight_decay else p.grad
        sq = st["square_avg"]
        sq *= self.alpha
        sq += (1 - self.alpha) * g * g
        if self.centered:
            ga = st["grad_avg"]
            ga *= self.alpha
            ga += (1 - self.alpha) * g
            avg = xp.sqrt(sq - ga * ga) + self.eps
        else:
            avg = xp.sqrt(sq) + self.eps
        if self.momentum:
            buf = st["momentum_buffer"]
            buf *= self.momentum
            buf += g / avg
            p.value -= p.value.dtype.type(self.lr) * buf
        else:
            p.value -= (self.lr * g / avg).astype(p.value.dtype, copy=False)


class StepLR:
    """lr = base·γ^⌊epoch/step_size⌋; call `step()` once per epoch, as torch's StepLR."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.optimizer, self.step_size, self.gamma = optimizer, step_size, gamma
        self.base_lr, self.epoch = optimizer.lr, 0

    def step(self) -> float:
        self.epoch += 1
        self.optimizer.lr = self.base_lr * self.gamma ** (self.epoch // self.step_size)
        return self.optimizer.lr


class CosineLR:
    """lr = η_min + (base − η_min)(1 + cos(π·t/T_max))/2, torch's CosineAnnealingLR closed form."""

    def __init__(self, optimizer: Optimizer, t_max: int, eta_min: float = 0.0) -> None:
        self.optimizer, self.t_max, self.eta_min = optimizer, t_max, eta_min
        self.base_lr, self.epoch = optimizer.lr, 0

    def step(self) -> float:
        self.epoch += 1
        cos = (1 + math.cos(math.pi * self.epoch / self.t_max)) / 2
        self.optimizer.lr = self.eta_min + (self.base_lr - self.eta_min) * cos
        return self.optimizer.lr


def clip_grad_norm(params: Iterable[Parameter], max_norm: float) -> float:
    """Scale all gradients so their joint L2 norm is ≤ max_norm (torch's clip_grad_norm_); returns the norm."""
    params = list(params)
    # Summed where the gradients live, converted once: one device-to-host copy, not one per parameter.
    total = math.sqrt(float(sum(((p.grad.astype(np.float64) ** 2).sum() for p in params), 0.0)))
    coef = min(max_norm / (total + 1e-6), 1.0)
    if coef < 1.0:
        for p in params:
            p.grad *= p.grad.dtype.type(coef)
    return total
