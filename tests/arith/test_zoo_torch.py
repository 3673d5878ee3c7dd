"""The zoo nets rebuilt in plain PyTorch (no torchvision): same parameter counts and output shapes."""

from __future__ import annotations

import pytest

from cnntool.arith import summarize

pytestmark = pytest.mark.torch


def _alexnet(nn):
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.AdaptiveAvgPool2d((6, 6)), nn.Flatten(),
        nn.Dropout(), nn.Linear(256 * 36, 4096), nn.ReLU(),
        nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 1000),
    )  # fmt: skip


def _vgg16(nn):
    layers, c = [], 3
    for v in [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]:
        if v == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU()]
            c = v
    head = [nn.AdaptiveAvgPool2d(7), nn.Flatten(), nn.Linear(512 * 49, 4096), nn.ReLU(), nn.Dropout(),
            nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 1000)]  # fmt: skip
    return nn.Sequential(*layers, *head)


def _resnet18(nn, torch):
    class Basic(nn.Module):
        def __init__(self, c_in, c_out, stride):
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(),
                nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out),
            )  # fmt: skip
            self.down = None
            if stride != 1 or c_in != c_out:
                self.down = nn.Sequential(
                    nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
                )

        def forward(self, x):
            return torch.relu(self.body(x) + (x if self.down is None else self.down(x)))

    blocks, c = [], 64
    for width, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        blocks += [Basic(c, width, stride), Basic(width, width, 1)]
        c = width
    stem = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    return nn.Sequential(*stem, *blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000))


def _mobilenet_v2(nn, torch):
    def cbr(c_in, c_out, k, s, groups=1):
        return [
            nn.Conv2d(c_in, c_out, k, s, (k - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU6(),
        ]

    class Inverted(nn.Module):
        def __init__(self, c_in, c_out, stride, t):
            super().__init__()
            hidden = c_in * t
            layers = cbr(c_in, hidden, 1, 1) if t != 1 else []
            layers += cbr(hidden, hidden, 3, stride, groups=hidden)
            layers += [nn.Conv2d(hidden, c_out, 1, bias=False), nn.BatchNorm2d(c_out)]
            self.conv = nn.Sequential(*layers)
            self.res = stride == 1 and c_in == c_out

        def forward(self, x):
            return x + self.conv(x) if self.res else self.conv(x)

    layers, c = cbr(3, 32, 3, 2), 32
    for t, out, n, s in (
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ):
        for i in range(n):
            layers.append(Inverted(c, out, s if i == 0 else 1, t))
            c = out
    layers += cbr(c, 1280, 1, 1)
    return nn.Sequential(
        *layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(1280, 1000)
    )


def _lenet(nn):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10),
    )  # fmt: skip


@pytest.mark.parametrize("name", ["alexnet", "vgg16", "resnet18", "mobilenet_v2", "lenet5"])
def test_zoo_matches_torch_build(torch, name: str) -> None:
    nn = torch.nn
    builders = {
        "alexnet": lambda: _alexnet(nn),
        "vgg16": lambda: _vgg16(nn),
        "resnet18": lambda: _resnet18(nn, torch),
        "mobilenet_v2": lambda: _mobilenet_v2(nn, torch),
        "lenet5": lambda: _lenet(nn),
    }
    model = builders[name]().eval()
    summary = summarize(name)
    assert summary.total_params == sum(p.numel() for p in model.parameters())
    assert summary.total_buffers == sum(b.numel() for n, b in model.named_buffers() if "running" in n)
    with torch.no_grad():
        out = model(torch.zeros(1, *summary.input_shape))
    assert tuple(out.shape[1:]) == summary.output_shape


def test_sequential_layer_shapes_match_torch(torch) -> None:
    """Every intermediate shape of AlexNet at 227×227, layer by layer."""
    model = _alexnet(torch.nn).eval()
    summary = summarize("alexnet", input_shape="3x227x227")
    x = torch.zeros(1, 3, 227, 227)
    with torch.no_grad():
        for module, row in zip(model, summary.layers, strict=True):
            x = module(x)
            assert tuple(x.shape[1:]) == row.output_shape, row.text
