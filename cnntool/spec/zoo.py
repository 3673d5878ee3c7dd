"""Named networks: the classic ImageNet nets (counts equal torchvision's) and the lecture's small examples.

Each entry is ordinary spec text, so `cnntool summary alexnet` is exactly
`cnntool summary "<that text>"`; nothing about a zoo net is special-cased.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ZooNet:
    name: str
    input_shape: str  # default input (torchvision's 3x224x224 for ImageNet nets)
    body: str  # layers, one per line
    description: str

    def text(self, input_shape: str | None = None) -> str:
        return f"{input_shape or self.input_shape}\n{self.body}"


def _vgg16() -> str:
    lines, cfg = [], [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    for item in cfg:
        lines.append("maxpool 2" if item == "M" else f"conv {item} k3 p1 | relu")
    lines += [
        "adaptiveavgpool 7x7 | flatten",
        "dense 4096 | relu | dropout",
        "dense 4096 | relu | dropout",
        "dense 1000",
    ]
    return "\n".join(lines)


def _resnet18() -> str:
    def basic(width: int, stride: int) -> str:
        return (
            f"res[ conv {width} k3 s{stride} p1 bias=false | batchnorm | relu | "
            f"conv {width} k3 p1 bias=false | batchnorm ] | relu"
        )

    lines = ["conv 64 k7 s2 p3 bias=false | batchnorm | relu | maxpool 3 s2 p1"]
    for width, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        lines += [basic(width, stride), basic(width, 1)]
    lines.append("adaptiveavgpool 1 | flatten | dense 1000")
    return "\n".join(lines)


def _mobilenet_v2() -> str:
    """torchvision's MobileNetV2: inverted residuals (expand 1×1, depthwise 3×3, project 1×1)."""
    lines = ["conv 32 k3 s2 p1 bias=false | batchnorm | relu6"]
    channels = 32
    for expand, out, repeats, first_stride in (
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ):
        for i in range(repeats):
            stride = first_stride if i == 0 else 1
            hidden = channels * expand
            parts = [f"conv {hidden} k1 bias=false | batchnorm | relu6"] if expand != 1 else []
            parts += [
                f"dwconv k3 s{stride} p1 bias=false | batchnorm | relu6",
                f"conv {out} k1 bias=false | batchnorm",
            ]
            block = " | ".join(parts)
            lines.append(f"res[ {block} ]" if stride == 1 and channels == out else block)
            channels = out
    lines.append(
        "conv 1280 k1 bias=false | batchnorm | relu6 | adaptiveavgpool 1 | flatten | dropout 0.2 | dense 1000"
    )
    return "\n".join(lines)


_NETS = (
    ZooNet(
        "lenet5",
        "1x28x28",
        "conv 6 k5 p2 | tanh | avgpool 2\nconv 16 k5 | tanh | avgpool 2\nflatten | dense 120 | tanh | dense 84 | tanh | dense 10",
        "LeNet-5 as in the lecture (tanh, average pooling): about 60K parameters",
    ),
    ZooNet(
        "alexnet",
        "3x224x224",
        "conv 64 k11 s4 p2 | relu | maxpool 3 s2\nconv 192 k5 p2 | relu | maxpool 3 s2\n"
        "conv 384 k3 p1 | relu\nconv 256 k3 p1 | relu\nconv 256 k3 p1 | relu | maxpool 3 s2\n"
        "adaptiveavgpool 6x6 | flatten\ndropout | dense 4096 | relu\ndropout | dense 4096 | relu\ndense 1000",
        "AlexNet as torchvision builds it (single-GPU variant)",
    ),
    ZooNet("vgg16", "3x224x224", _vgg16(), "VGG-16: uniform 3×3 convolutions"),
    ZooNet("resnet18", "3x224x224", _resnet18(), "ResNet-18: residual blocks with projection shortcuts"),
    ZooNet(
        "mobilenet_v2", "3x224x224", _mobilenet_v2(), "MobileNetV2: depthwise separable inverted residuals"
    ),
    ZooNet(
        "mlp861",
        "20",
        "dense 20 | relu\ndense 20 | relu\ndense 1",
        "the lecture's MLP: 20 → 20 → 20 → 1, 861 params",
    ),
    ZooNet(
        "mlp_imagenet",
        "65536",
        "dense 20 | relu\ndense 20 | relu\ndense 1",
        "the same MLP on a 256×256 image: 1,311,181 params",
    ),
    ZooNet(
        "cs231n760", "3x32x32", "conv 10 k5 s1 p2", "CS231n: ten 5×5 filters on 32×32×3, pad 2: 760 params"
    ),
    ZooNet(
        "alexnet_conv1",
        "3x227x227",
        "conv 96 k11 s4",
        "AlexNet's first layer: 34,944 shared vs 105,705,600 unshared",
    ),
    ZooNet(
        "convnetjs", "3x32x32", "conv 16 k5 s1 p2", "ConvNetJS's first layer: 16 filters 5×5×3, 1,216 params"
    ),
    ZooNet(
        "dwsep57",
        "3x32x32",
        "dwconv k3 p1 bias=false | conv 10 k1 bias=false",
        "depthwise separable conv, 3 → 10 channels: 27 + 30 = 57 params",
    ),
    ZooNet(
        "dense_vs_conv",
        "1x32x32",
        "conv 1 k21 padding=same bias=false",
        "one 21×21 filter (441 weights) vs a dense 1,024 → 1,024 map (1,048,576)",
    ),
    ZooNet(
        "lstm_classifier",
        "50x32",
        "lstm 128 return_sequences=false | dense 10",
        "an LSTM reading 50 steps of 32 features",
    ),
    ZooNet(
        "gru_classifier",
        "50x32",
        "gru 128 return_sequences=false | dense 10",
        "the same with a GRU: fewer params than the LSTM",
    ),
)

ZOO: dict[str, ZooNet] = {net.name: net for net in _NETS}
