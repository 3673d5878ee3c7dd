"""The parsed form of a network spec: frozen dataclasses, no behaviour beyond copying with changes.

A NetSpec is data that arith, explain, engine and check all read; keeping it
frozen means no consumer can change what another one sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Union

# Option values: int, float, bool, str ("same"/"valid"/"tanh"), or a tuple of ints (k3x5).
OptionValue = Any


@dataclass(frozen=True)
class LayerSpec:
    """One layer as written: canonical `kind`, its options (defaults filled in), and where it was.

    `options` holds every option of the kind, given or defaulted, so consumers
    never guess a default. `given` names the options the user wrote.
    """

    kind: str
    options: tuple[tuple[str, OptionValue], ...]
    text: str
    offset: int = -1
    given: frozenset[str] = field(default_factory=frozenset)

    def get(self, name: str, default: OptionValue = None) -> OptionValue:
        for key, value in self.options:
            if key == name:
                return value
        return default

    def __getitem__(self, name: str) -> OptionValue:
        for key, value in self.options:
            if key == name:
                return value
        raise KeyError(name)

    def with_options(self, **changes: OptionValue) -> LayerSpec:
        """A copy with some options' values replaced (only options the kind has)."""
        return replace(self, options=tuple((k, changes.get(k, v)) for k, v in self.options))

    @property
    def opts(self) -> dict[str, OptionValue]:
        return dict(self.options)


@dataclass(frozen=True)
class ResidualSpec:
    """`res[ ... ]`: output = body(x) + shortcut(x); the shortcut is chosen by arith from the shapes."""

    body: tuple[Node, ...]
    text: str
    offset: int = -1


Node = Union[LayerSpec, ResidualSpec]

# The role of a rank-2 input decides how layers read it: (T, F) sequence or (C, L) signal.
LAYOUTS = ("vector", "sequence", "signal", "image")


@dataclass(frozen=True)
class NetSpec:
    """A whole network: input shape (channels first, no batch), its layout, and the layers."""

    input_shape: tuple[int, ...]
    layout: str
    layers: tuple[Node, ...]
    source: str = ""
    name: str = ""

    def map_leaves(self, change: Callable[[LayerSpec], LayerSpec]) -> NetSpec:
        """A copy with every layer replaced by `change(layer)`, residual blocks kept (the
        checker's hints recompute a question on such a variant: no bias, no padding, ...)."""

        def walk(nodes: tuple[Node, ...]) -> tuple[Node, ...]:
            return tuple(
                replace(n, body=walk(n.body)) if isinstance(n, ResidualSpec) else change(n) for n in nodes
            )

        return replace(self, layers=walk(self.layers))

    def leaves(self) -> list[LayerSpec]:
        """All layers in order, residual bodies flattened (for consumers that ignore blocks)."""
        out: list[LayerSpec] = []

        def walk(nodes: tuple[Node, ...]) -> None:
            for node in nodes:
                if isinstance(node, ResidualSpec):
                    walk(node.body)
                else:
                    out.append(node)

        walk(self.layers)
        return out
