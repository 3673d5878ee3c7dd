"""Class 6 of the hardening issue: correct numbers and honest output."""

from __future__ import annotations

import json

import pytest

from cnntool.spec.zoo import ZOO
from tests.hardening.sandbox import run


def _summary(*args: str) -> dict:
    outcome = run(["summary", *args, "--json"])
    assert outcome.code == 0, outcome.stderr
    return json.loads(outcome.stdout)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_hwc_never_rereads_a_zoo_nets_own_input(name: str) -> None:
    """`summary cs231n760 --hwc` used to read 3x32x32 as H=3, W=32, C=32 and report 8,010 params."""
    plain, hwc = _summary(name), _summary(name, "--hwc")
    assert hwc["total_params"] == plain["total_params"]
    assert hwc["total_macs"] == plain["total_macs"]
    first = plain["input_shape"]
    expected = [*first[1:], first[0]] if len(first) == 3 else first  # shown channels-last
    assert hwc["input_shape"] == expected and hwc["shape_order"] == "channels_last"


def test_hwc_reads_a_typed_input_shape_channels_last() -> None:
    assert _summary("32x32x3 | conv 10 k5 p2", "--hwc")["total_params"] == 760
    assert _summary("cs231n760", "--hwc", "--input", "32x32x3")["total_params"] == 760
    assert _summary("cs231n760")["total_params"] == 760


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_intended_stride_2_downsampling_is_explained_not_warned(name: str) -> None:
    """k3 s2 p1 (and k7 s2 p3, k1 s2 p0) on an even size: ⌈I/2⌉ by design, as torchvision builds it."""
    assert _summary(name)["warnings"] == []
    outcome = run(["explain", name, "--layer", "1", "--json"])
    formulas = json.loads(outcome.stdout)["layers"][0]["formulas"]
    assert (
        "⌈224/2⌉ (stride-2 downsampling with half padding: PyTorch's floor is intended)"
        in formulas[0]["substituted"]
    )
    assert formulas[0]["value"] == 112


def test_a_stride_that_really_does_not_fit_still_warns() -> None:
    warnings = _summary("1x10x10 | conv 1 k3 s2")["warnings"]  # the lecture's I=10, F=3, P=0, S=2
    assert len(warnings) == 1 and "4.5 is not an integer" in warnings[0]
    assert _summary("alexnet")["warnings"][0].startswith("layer 1 (conv 64 k11 s4 p2)")


def test_a_repeated_cause_warns_once_naming_every_layer() -> None:
    warnings = _summary("1x9x9 | 2*[ conv 1 k2 s2 | upsample 2 | conv 1 k2 p1 ]")["warnings"]
    assert len(warnings) == 1
    assert warnings[0].startswith("layers 1 (conv 1 k2 s2), 4 (conv 1 k2 s2): H and W: ")
