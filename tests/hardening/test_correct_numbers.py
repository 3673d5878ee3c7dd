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
