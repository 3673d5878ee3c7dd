"""Resolved hyper-parameters of every layer kind: one immutable typed record per kind.

arith resolves what the spec leaves implicit (padding pairs, `same`, default strides,
the channels a layer receives) and stores the result on `LayerResult.hyper`. The engine
builds its layers from these objects and the exporter writes PyTorch code from them, so
the three read the same typed fields and cannot drift apart (a typo is an AttributeError,
not a silently missing dict key).

Each record is a typed NamedTuple rather than a frozen dataclass: the same typed, immutable fields,
but created in a fraction of the time (15 frozen dataclasses cost ~12 ms of every `cnntool summary`).

Conventions: spatial tuples have one entry per spatial axis (1 for C×L, 2 for C×H×W);
padding of conv and pooling is a (before, after) pair per axis, so PyTorch's asymmetric
`padding='same'` for even kernels is exact.
"""

from __future__ import annotations

from typing import NamedTuple

Pad = tuple[int, int]


class ConvHyper(NamedTuple):
    """conv and dwconv (dwconv: groups = in_channels). Weight (out, in/groups, *kernel)."""

    in_channels: int
    out_channels: int
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[Pad, ...]
    dilation: tuple[int, ...]
    groups: int
    bias: bool


class ConvTransposeHyper(NamedTuple):
    """convT: symmetric padding per axis, as PyTorch. Weight (in, out/groups, *kernel)."""

    in_channels: int
    out_channels: int
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int
    bias: bool


class MaxPoolHyper(NamedTuple):
    """maxpool: padding counts as −∞; `ceil_mode` is PyTorch's."""

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[Pad, ...]
    dilation: tuple[int, ...]
    ceil_mode: bool


class AvgPoolHyper(NamedTuple):
    """avgpool: `count_include_pad` decides the divisor, as PyTorch."""

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[Pad, ...]
    ceil_mode: bool
    count_include_pad: bool


class AdaptiveAvgPoolHyper(NamedTuple):
    output_size: tuple[int, ...]


class GlobalAvgPoolHyper(NamedTuple):
    """Mean over every spatial axis: C×H×W → C."""

    spatial_rank: int


class UpsampleHyper(NamedTuple):
    scale: tuple[int, ...]
    mode: str


class FlattenHyper(NamedTuple):
    """C×H×W → C·H·W (no settings; the dataclass keeps every layer typed)."""


class DenseHyper(NamedTuple):
    """Linear on the last axis (a T×F sequence is transformed at every step)."""

    in_features: int
    out_features: int
    bias: bool


class EmbeddingHyper(NamedTuple):
    """A lookup table (vocabulary × dim); row `padding_idx` (if any) is zero and never trained."""

    num_embeddings: int
    embedding_dim: int
    padding_idx: int | None = None


class BatchNormHyper(NamedTuple):
    """Statistics per channel; `spatial_rank` 0 (N, C), 1 (N, C, L) or 2 (N, C, H, W) picks BatchNorm1d/2d.

    `features_last`: a T×F sequence is normalised per feature F (the channels are its last axis).
    """

    num_features: int
    affine: bool
    spatial_rank: int
    features_last: bool = False
    eps: float = 1e-5
    momentum: float = 0.1


class LayerNormHyper(NamedTuple):
    normalized_shape: tuple[int, ...]
    affine: bool
    eps: float = 1e-5


class DropoutHyper(NamedTuple):
    p: float


class SoftmaxHyper(NamedTuple):
    """Softmax over the features: the channels of an image or signal (dim 1), the last axis of a
    vector or a T×F sequence (dim −1)."""

    dim: int


class ActivationHyper(NamedTuple):
    """Elementwise activation `name` (relu, relu6, sigmoid, tanh, leakyrelu, softmax, gelu, …)."""

    name: str
    negative_slope: float = 0.01


class RecurrentHyper(NamedTuple):
    """rnn, gru, lstm: PyTorch's nn.RNN/GRU/LSTM arguments plus what cnntool adds.

    `dropout` is PyTorch's (between stacked layers, training only); `peephole` (LSTM) adds the
    lecture's diagonal V's (3·H per layer and direction, no PyTorch twin); `bptt` truncates
    backpropagation through time to blocks of that many steps (0: full); `reset_after` false
    is the lecture's / Keras's GRU with the reset gate applied before the matmul.
    """

    cell: str
    input_size: int
    hidden_size: int
    num_layers: int
    bidirectional: bool
    bias: bool
    proj_size: int
    return_sequences: bool
    nonlinearity: str = "tanh"
    reset_after: bool = True
    dropout: float = 0.0
    peephole: bool = False
    bptt: int = 0


Hyper = (
    ConvHyper
    | ConvTransposeHyper
    | MaxPoolHyper
    | AvgPoolHyper
    | AdaptiveAvgPoolHyper
    | GlobalAvgPoolHyper
    | UpsampleHyper
    | FlattenHyper
    | DenseHyper
    | EmbeddingHyper
    | BatchNormHyper
    | LayerNormHyper
    | DropoutHyper
    | ActivationHyper
    | SoftmaxHyper
    | RecurrentHyper
)
