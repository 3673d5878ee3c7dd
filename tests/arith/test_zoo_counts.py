"""Zoo counts equal torchvision's published numbers; MACs equal torchinfo's Mult-Adds."""

from __future__ import annotations

import pytest

from cnntool.arith import summarize
from cnntool.spec import ZOO

TORCHVISION = {
    "alexnet": 61_100_840,
    "vgg16": 138_357_544,
    "resnet18": 11_689_512,
    "mobilenet_v2": 3_504_872,
}


@pytest.mark.parametrize(("name", "count"), TORCHVISION.items())
def test_torchvision_param_counts(name: str, count: int) -> None:
    s = summarize(name)
    assert s.total_params == count
    assert s.output_shape == (1000,)
    assert s.input_shape == (3, 224, 224)


def test_alexnet_macs_match_torchinfo() -> None:
    assert summarize("alexnet").total_macs == 714_682_664


def test_alexnet_at_227_keeps_params() -> None:
    s = summarize("alexnet", input_shape="3x227x227")
    assert s.input_shape == (3, 227, 227)
    assert s.total_params == 61_100_840  # the adaptive pool absorbs the size change


def test_resnet18_uses_projection_shortcuts() -> None:
    s = summarize("resnet18")
    shortcuts = [r for r in s.layers if r.role == "shortcut"]
    assert [r.kind for r in shortcuts] == ["conv", "batchnorm"] * 3  # at 128, 256 and 512 channels
    assert shortcuts[0].params == 64 * 128  # 1x1 conv, no bias
    assert s.total_buffers == 2 * sum(r.hyper.num_features for r in s.layers if r.kind == "batchnorm")


def test_every_zoo_net_summarizes() -> None:
    for name in ZOO:
        assert summarize(name).total_params > 0
