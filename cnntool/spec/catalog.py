"""Every layer the spec language knows: its names, positional arguments and options.

The parser is generic; all knowledge of "conv takes out_channels then k/s/p/d/g"
lives in this table, so adding a layer is one entry here plus its arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

REQUIRED = object()  # marks an option with no default

# Value types (see parser.convert_value): count > 0, dims = count or AxB, dims0 = >= 0 or AxB,
# padding = dims0 | same | valid, bool, prob in [0, 1), float, int0 >= 0, or a tuple of choices.


@dataclass(frozen=True)
class Opt:
    name: str
    type: str | tuple[str, ...]
    default: object = REQUIRED
    aliases: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class LayerDef:
    kind: str
    names: tuple[str, ...]
    positional: tuple[str, ...]  # option names filled by bare values, in order
    opts: tuple[Opt, ...]
    help: str

    def opt(self, name: str) -> Opt | None:
        for o in self.opts:
            if o.name == name or name in o.aliases:
                return o
        return None


_BIAS = Opt("bias", "bool", True, help="add a bias (false: no bias, as before a batchnorm)")
_TRAIN = Opt("trainable", "bool", True, help="false freezes the layer's parameters")


def _conv_opts(*extra: Opt) -> tuple[Opt, ...]:
    return (
        Opt("kernel", "dims", aliases=("kernel_size",), help="kernel size, k3 or k3x5"),
        Opt("stride", "dims", 1, help="stride, s2"),
        Opt("padding", "padding", 0, help="padding: p1, p1x2, same, valid"),
        Opt("dilation", "dims", 1, help="dilation, d2"),
        *extra,
        _BIAS,
        _TRAIN,
    )


def _recurrent(kind: str, help: str, *extra: Opt) -> LayerDef:
    return LayerDef(
        kind,
        (kind,),
        ("hidden_size",),
        (
            Opt("hidden_size", "count", aliases=("hidden",), help="hidden units per direction"),
            Opt("layers", "count", 1, aliases=("num_layers",), help="stacked layers"),
            Opt("bidirectional", "bool", False, help="run both directions, output 2·H wide"),
            Opt("return_sequences", "bool", True, help="false keeps only the last step (Keras's name)"),
            Opt("dropout", "prob", 0.0, help="dropout between stacked layers while training (PyTorch's)"),
            Opt("bptt", "int0", 0, help="truncated backprop through time: k steps per block (0: full)"),
            *extra,
            _BIAS,
            _TRAIN,
        ),
        help,
    )


_POOL_COMMON = (
    Opt("kernel", "dims", aliases=("kernel_size",), help="window size"),
    Opt("stride", "dims", None, help="defaults to the window size, as PyTorch"),
    Opt("padding", "dims0", 0, help="padding (at most half the window)"),
)

_ACTIVATIONS = {
    "relu": "max(0, x)",
    "relu6": "min(max(0, x), 6) (MobileNet)",
    "sigmoid": "1/(1+e^-x)",
    "tanh": "tanh(x)",
    "gelu": "x·Φ(x)",
    "elu": "x if x > 0 else e^x − 1",
    "hardswish": "x·relu6(x+3)/6 (MobileNetV3)",
    "identity": "x",
}

LAYERS: tuple[LayerDef, ...] = (
    LayerDef(
        "conv",
        ("conv", "conv2d", "conv1d"),
        ("out_channels",),
        (Opt("out_channels", "count", help="number of filters"), *_conv_opts(Opt("groups", "count", 1))),
        "convolution, 1-D on C×L input, 2-D on C×H×W",
    ),
    LayerDef(
        "convT",
        ("convT", "convt", "convtranspose", "convtranspose2d", "deconv"),
        ("out_channels",),
        (
            Opt("out_channels", "count"),
            *_conv_opts(Opt("groups", "count", 1), Opt("output_padding", "dims0", 0, aliases=("op",))),
        ),
        "transposed convolution (learned upsampling)",
    ),
    LayerDef(
        "dwconv",
        ("dwconv", "depthwise"),
        ("multiplier",),
        (
            Opt("multiplier", "count", 1, aliases=("mult",), help="output channels per input channel"),
            *_conv_opts(),
        ),
        "depthwise convolution: one filter per input channel (groups = channels)",
    ),
    LayerDef(
        "maxpool",
        ("maxpool", "maxpool2d", "maxpool1d", "pool"),
        ("kernel",),
        (*_POOL_COMMON, Opt("dilation", "dims", 1), Opt("ceil", "bool", False, aliases=("ceil_mode",))),
        "max pooling (floor by default; ceil=true as PyTorch's ceil_mode)",
    ),
    LayerDef(
        "avgpool",
        ("avgpool", "avgpool2d", "avgpool1d"),
        ("kernel",),
        (
            *_POOL_COMMON,
            Opt("ceil", "bool", False, aliases=("ceil_mode",)),
            Opt("count_include_pad", "bool", True),
        ),
        "average pooling",
    ),
    LayerDef(
        "globalavgpool", ("globalavgpool", "gap"), (), (), "average each channel to one number: C×H×W → C"
    ),
    LayerDef(
        "adaptiveavgpool",
        ("adaptiveavgpool", "adaptiveavgpool2d"),
        ("output_size",),
        (Opt("output_size", "dims"),),
        "average pooling to a fixed output size (C×6×6 in AlexNet)",
    ),
    LayerDef("flatten", ("flatten",), (), (), "C×H×W → C·H·W"),
    LayerDef(
        "dense",
        ("dense", "linear", "fc"),
        ("out_features",),
        (Opt("out_features", "count", aliases=("units",)), _BIAS, _TRAIN),
        "fully connected layer (on a T×F sequence: applied at every step)",
    ),
    LayerDef(
        "dropout",
        ("dropout",),
        ("p",),
        (Opt("p", "prob", 0.5),),
        "zero a fraction p of inputs while training",
    ),
    LayerDef(
        "batchnorm",
        ("batchnorm", "bn", "batchnorm2d", "batchnorm1d"),
        (),
        (Opt("affine", "bool", True), _TRAIN),
        "batch normalisation per channel (running mean/var are buffers, not params)",
    ),
    LayerDef(
        "layernorm",
        ("layernorm", "ln"),
        (),
        (
            Opt("dims", "count", 1, help="how many trailing dimensions to normalise"),
            Opt("affine", "bool", True),
            _TRAIN,
        ),
        "layer normalisation over the last `dims` dimensions",
    ),
    LayerDef(
        "leakyrelu",
        ("leakyrelu",),
        ("slope",),
        (Opt("slope", "float", 0.01, aliases=("negative_slope",)),),
        "max(x, slope·x)",
    ),
    LayerDef(
        "softmax",
        ("softmax",),
        (),
        (),
        "exp(x)/Σexp(x) over the features: a vector's or T×F sequence's last axis, an image's channels",
    ),
    *(LayerDef(name, (name,), (), (), formula) for name, formula in _ACTIVATIONS.items()),
    LayerDef(
        "embedding",
        ("embedding", "embed"),
        ("num_embeddings", "embedding_dim"),
        (
            Opt("num_embeddings", "count", aliases=("vocab",)),
            Opt("embedding_dim", "count", aliases=("dim",)),
            Opt(
                "padding_idx",
                "int0",
                None,
                aliases=("pad",),
                help="this id maps to zeros and gets no gradient",
            ),
            _TRAIN,
        ),
        "token ids (a length-T vector) → T×dim vectors",
    ),
    _recurrent("rnn", "Elman RNN", Opt("nonlinearity", ("tanh", "relu"), "tanh")),
    _recurrent(
        "gru",
        "gated recurrent unit (gates r, z, n)",
        Opt("reset_after", "bool", True, help="Keras: two biases"),
    ),
    _recurrent(
        "lstm",
        "long short-term memory (gates i, f, g, o)",
        Opt("proj_size", "int0", 0, help="LSTM projection size"),
        Opt(
            "peephole", "bool", False, help="i and f see c_{t-1}, o sees c_t (diagonal V's; no PyTorch twin)"
        ),
    ),
    LayerDef(
        "upsample",
        ("upsample",),
        ("scale",),
        (Opt("scale", "dims", aliases=("scale_factor",)), Opt("mode", ("nearest", "bilinear"), "nearest")),
        "repeat pixels: H×W → sH×sW",
    ),
)

BY_NAME: dict[str, LayerDef] = {name.lower(): d for d in LAYERS for name in d.names}
BY_KIND: dict[str, LayerDef] = {d.kind: d for d in LAYERS}

# Short options: a letter glued to its value (k3, k3x5, s2, p1, psame, d2, g3).
SHORT = {"k": "kernel", "s": "stride", "p": "padding", "d": "dilation", "g": "groups"}

ACTIVATION_KINDS = frozenset([*_ACTIVATIONS, "leakyrelu", "softmax"])
RECURRENT_KINDS = frozenset(["rnn", "gru", "lstm"])
