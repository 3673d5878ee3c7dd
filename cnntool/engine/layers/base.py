"""What every layer shares: parameters, the state kept for backward, the build context, and the
description of its PyTorch twin.

Every layer has `forward(x, train)` and `backward(dout)` side by side (docs/architecture.md, rule 2).
What backward needs is pushed by forward onto a per-layer stack and popped by backward, so
a layer may run several times before its backward (an unrolled recurrent cell, a shared
block): backward consumes the calls in reverse order. `Model.forward` starts every pass
with empty stacks. Gradients accumulate in `Parameter.grad`, as PyTorch's do, until the
optimizer's `zero_grad`.

A layer kind is declared once (engine/registry.py lists the classes): its class says which
spec kinds it builds (`kinds`), how to make itself from arith's resolved hyper-parameters
(`from_hyper`) and what its PyTorch twin is (`torch_call`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from cnntool.errors import ShapeError


class Parameter:
    """A trainable array: `name` as in PyTorch's state_dict ("3.weight"), `value`, and `grad` (same shape)."""

    def __init__(self, name: str, value: Any) -> None:
        self.name = name
        self.value = value
        self.grad = np.zeros_like(value)  # dispatches to the array's own module (NEP 18)

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, shape={self.value.shape}, dtype={self.value.dtype})"


@dataclass(frozen=True)
class BuildContext:
    """What a factory needs besides the hyper-parameters: the seeded generator that draws every
    initial weight, the dtype, and the layer's label for error messages ("layer 3 (conv 16 k5)")."""

    rng: np.random.Generator
    dtype: np.dtype
    label: str = "layer"


@dataclass(frozen=True)
class TorchCall:
    """A PyTorch constructor call as data: `nn.Conv2d(3, 8, (3, 3), stride=(1, 1), …)`.

    The exporter renders it as source (every value through `repr()` after checking its type)
    and `to_torch` instantiates it directly, so no text is ever executed. `name` is an `nn.`
    class or one of the exporter's helper classes (Residual, GlobalAvgPool).
    """

    name: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()


class Layer:
    """Base class of every layer and container."""

    kind: ClassVar[str] = "layer"
    #: The spec kinds (cnntool.spec.catalog) this class builds; empty for internal classes.
    kinds: ClassVar[tuple[str, ...]] = ()
    #: Whether forward takes `act=(name, alpha)` and applies that activation itself (conv).
    accepts_act: ClassVar[bool] = False
    #: Whether the layer reads integer inputs as they are (token ids for an embedding).
    accepts_integers: ClassVar[bool] = False
    #: Whether forward takes `state=` and `lengths=` and backward `dstate=` (recurrent layers):
    #: `Model.forward(x, state=…, lengths=…)` routes them to such layers.
    sequence_options: ClassVar[bool] = False

    def __init__(self) -> None:
        self.label = self.kind
        # False on a model's first layer: nobody needs d(input), and for a conv skipping it
        # skips the most expensive col2im of the step (PyTorch skips it too).
        self.needs_dx = True
        #: trainable=false in the spec: the parameters stay in the state_dict but are not trained.
        self.frozen = False
        self._saved: list[tuple[Any, ...]] = []
        self._params: dict[str, Parameter] = {}
        self._buffers: dict[str, Any] = {}

    # -- declaration -------------------------------------------------------------------------
    @classmethod
    def from_hyper(cls, hyper: Any, ctx: BuildContext) -> Layer:
        """The layer for arith's resolved hyper-parameters (arith/hyper.py)."""
        raise NotImplementedError(f"{cls.__name__} cannot be built from a spec")

    def torch_call(self) -> TorchCall:
        """This layer's PyTorch twin (its state_dict names and shapes equal ours)."""
        raise NotImplementedError(f"{self.label}: no PyTorch export for {type(self).__name__}")

    # -- parameters and state ----------------------------------------------------------------
    def _add_param(self, local: str, value: np.ndarray) -> Parameter:
        self._params[local] = Parameter(local, value)
        return self._params[local]

    def set_prefix(self, prefix: str) -> None:
        """Name parameters as PyTorch's state_dict would ("{prefix}weight")."""
        for local, p in self._params.items():
            p.name = prefix + local

    def parameters(self) -> list[Parameter]:
        """Trainable parameters in PyTorch's registration order (none when the layer is frozen)."""
        return [] if self.frozen else list(self._params.values())

    def frozen_names(self, prefix: str = "") -> list[str]:
        """State-dict names of the parameters `trainable=false` keeps out of training (export marks
        them `requires_grad=False` in PyTorch)."""
        return [prefix + k for k in self._params] if self.frozen else []

    def state_items(self, prefix: str = "") -> list[tuple[str, Any]]:
        """(name, array) pairs in PyTorch's state_dict order: parameters, then buffers."""
        items = [(prefix + k, p.value) for k, p in self._params.items()]
        return items + [(prefix + k, b) for k, b in self._buffers.items()]

    def load_item(self, local: str, value: Any) -> None:
        """Copy one state_dict entry in (shapes checked by the caller)."""
        if local in self._params:
            self._params[local].value[...] = value
        else:
            self._buffers[local][...] = value

    def move(self, convert: Any) -> None:
        """Replace every parameter, gradient and buffer by `convert(array)` (a device change)."""
        for p in self._params.values():
            p.value, p.grad = convert(p.value), convert(p.grad)
        self._buffers = {k: convert(v) for k, v in self._buffers.items()}
        self.clear_cache()

    # -- computation -----------------------------------------------------------------------
    def forward(self, x: Any, train: bool = False) -> Any:
        raise NotImplementedError

    def backward(self, dout: Any) -> Any:
        raise NotImplementedError

    def fused_act(self) -> tuple[str, float] | None:
        """(name, alpha) if this activation can be fused into the conv before it, else None."""
        return None

    def take_fused(self, out: Any) -> Any:
        """Adopt `out`, computed by the previous layer with this activation fused in (fused_act)."""
        self._push(out)  # relu, relu6, leakyrelu (slope > 0): out > 0 ⇔ x > 0; σ, tanh keep out
        return out

    # -- what forward keeps for backward ------------------------------------------------------
    def _push(self, *state: Any) -> None:
        self._saved.append(state)

    def _pop(self) -> tuple[Any, ...]:
        if not self._saved:
            raise RuntimeError(f"{self.label}: backward called before forward (or more often than forward)")
        return self._saved.pop()

    @property
    def pending(self) -> int:
        """How many forward calls still wait for their backward."""
        return len(self._saved)

    def clear_cache(self) -> None:
        """Drop what earlier forwards kept (memory; a backward must follow a real forward)."""
        self._saved.clear()

    # -- input checks -------------------------------------------------------------------------
    def _check_rank(self, x: Any, ranks: tuple[int, ...], layout: str) -> None:
        if x.ndim not in ranks:
            raise ShapeError(f"{self.label}: expected input of shape {layout}, got {x.shape}")

    def _check_dim(self, x: Any, axis: int, expected: int, what: str) -> None:
        if x.shape[axis] != expected:
            raise ShapeError(f"{self.label}: expected {expected} {what}, got input of shape {x.shape}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.label!r})"
