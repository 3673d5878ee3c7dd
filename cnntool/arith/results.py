"""What the arithmetic returns: frozen dataclasses whose fields are the `--json` keys.

`to_dict()` is the JSON contract (docs/json-output.md): plain integers,
lists for shapes, stable key names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import prod
from typing import Any, Union

from cnntool.arith.formulas import Formula
from cnntool.arith.hyper import Hyper

Shape = tuple[int, ...]

#: Memory estimates count float32 elements (PyTorch's default dtype), 4 bytes each.
ELEMENT_TYPE, ELEMENT_BYTES = "float32", 4


def _num(value: Fraction | int) -> int | float:
    """Fractions print as plain numbers in JSON: integral ones as int."""
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    return value


@dataclass(frozen=True)
class ReceptiveField:
    """Receptive field per spatial axis in input pixels (Araujo et al., Distill 2019).

    size: how many input pixels one output cell sees; jump: input pixels between
    neighbouring output cells; start: the 0-based input coordinate of the centre of
    the first output cell's field. whole_input: after flatten/dense/global pooling.
    """

    size: tuple[int | Fraction, ...]
    jump: tuple[int | Fraction, ...]
    start: tuple[int | Fraction, ...]
    whole_input: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "size": [_num(v) for v in self.size],
            "jump": [_num(v) for v in self.jump],
            "start": [_num(v) for v in self.start],
            "whole_input": self.whole_input,
        }

    def label(self) -> str:
        """Short text for a table cell: '11x11' (or 'all' for the whole input)."""
        if self.whole_input:
            return "all"
        return "x".join(str(_num(v)) for v in self.size)


@dataclass(frozen=True)
class LayerResult:
    """Everything cnntool knows about one layer on its input.

    params: PyTorch's count (trainable and frozen); buffers: running stats (not params);
    params_unshared: the same map with no weight sharing (a filter per output position,
    or weights per time step); params_dense: a dense layer between the same input and
    output elements; macs: multiply-accumulates per sample, torchinfo's convention
    (bias adds counted); activations: output elements per sample.
    hyper: resolved hyper-parameters, a frozen dataclass per kind (arith/hyper.py) that the
    engine builds from and the exporter writes; None for the residual "add" row.
    """

    index: int
    kind: str
    text: str
    input_shape: Shape
    output_shape: Shape
    params: int = 0
    trainable_params: int = 0
    buffers: int = 0
    params_unshared: int = 0
    params_dense: int = 0
    macs: int = 0
    receptive_field: ReceptiveField | None = None
    layout: str = "image"
    input_layout: str = "image"
    role: str = "layer"  # layer | shortcut | add
    depth: int = 0
    formulas: tuple[Formula, ...] = ()
    warnings: tuple[str, ...] = ()
    hyper: Hyper | None = field(default=None, compare=False)
    #: The warnings without their "layer N (text): " prefix, so a summary can group equal causes.
    causes: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def activations(self) -> int:
        return prod(self.output_shape)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "kind": self.kind,
            "text": self.text,
            "role": self.role,
            "depth": self.depth,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape),
            "layout": self.layout,
            "params": self.params,
            "trainable_params": self.trainable_params,
            "buffers": self.buffers,
            "params_unshared": self.params_unshared,
            "params_dense": self.params_dense,
            "macs": self.macs,
            "activations": self.activations,
            "receptive_field": self.receptive_field.to_dict() if self.receptive_field else None,
            "formulas": [
                {
                    "quantity": f.quantity,
                    "symbolic": f.symbolic,
                    "substituted": f.substituted,
                    "value": f.value,
                }
                for f in self.formulas
            ],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class ResidualResult:
    """A residual block: output = body(x) + shortcut(x); an empty shortcut is the identity."""

    body: tuple[Node, ...]
    shortcut: tuple[LayerResult, ...]
    add: LayerResult
    input_shape: Shape
    output_shape: Shape


Node = Union[LayerResult, ResidualResult]


@dataclass(frozen=True)
class Summary:
    """The whole network: per-layer rows (blocks flattened, in execution order) and totals."""

    input_shape: Shape
    output_shape: Shape
    layout: str
    layers: tuple[LayerResult, ...]
    nodes: tuple[Node, ...]
    convention: str = "pytorch"
    name: str = ""

    def _total(self, attr: str) -> int:
        return sum(getattr(row, attr) for row in self.layers)

    @property
    def total_params(self) -> int:
        return self._total("params")

    @property
    def trainable_params(self) -> int:
        return self._total("trainable_params")

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    @property
    def total_buffers(self) -> int:
        return self._total("buffers")

    @property
    def total_macs(self) -> int:
        return self._total("macs")

    @property
    def total_params_unshared(self) -> int:
        return self._total("params_unshared")

    @property
    def total_params_dense(self) -> int:
        return self._total("params_dense")

    @property
    def total_activations(self) -> int:
        return self._total("activations")

    @property
    def receptive_field(self) -> ReceptiveField | None:
        return self.layers[-1].receptive_field if self.layers else None

    @property
    def warnings(self) -> tuple[str, ...]:
        """Each distinct cause once, naming every layer it applies to (a repeated block warns once)."""
        where: dict[str, list[LayerResult]] = {}
        for row in self.layers:
            for cause in row.causes:
                where.setdefault(cause, []).append(row)
        out = []
        for cause, rows in where.items():
            if len(rows) == 1:
                out.append(f"layer {rows[0].index} ({rows[0].text}): {cause}")
            else:
                names = ", ".join(f"{r.index} ({r.text})" for r in rows)
                out.append(f"layers {names}: {cause}")
        return tuple(out)

    def memory_bytes(self, element_bytes: int = ELEMENT_BYTES) -> dict[str, int]:
        """Bytes for the parameters and for one sample's activations, at `element_bytes` per number."""
        return {
            "params": self.total_params * element_bytes,
            "activations": self.total_activations * element_bytes,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "convention": self.convention,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape),
            "layers": [row.to_dict() for row in self.layers],
            "total_params": self.total_params,
            "trainable_params": self.trainable_params,
            "non_trainable_params": self.non_trainable_params,
            "total_buffers": self.total_buffers,
            "total_params_unshared": self.total_params_unshared,
            "total_params_dense": self.total_params_dense,
            "total_macs": self.total_macs,
            "total_activations": self.total_activations,
            "memory_bytes": self.memory_bytes(),
            "receptive_field": self.receptive_field.to_dict() if self.receptive_field else None,
            "warnings": list(self.warnings),
        }
