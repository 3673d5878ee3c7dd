"""Every `--json` document of conv, pool and convT validates against docs/schemas/ (JSON Schema 2020-12).

Real outputs of the commands, through Typer's CliRunner: one and several filters, several
channels, --at, --steps, --backward, --as-matrix, --shift. The schemas also reject what they
promise to reject (an unknown key, a filter index in a one-filter document).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnntool.cli.conv import app

jsonschema = pytest.importorskip(
    "jsonschema", reason="jsonschema is in the test extra: pip install '.[test]'"
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "schemas"
EXAMPLES = ROOT / "examples"
runner = CliRunner()


def validator(command: str):
    schema = json.loads((SCHEMAS / f"{command}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def document(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


IMG3 = "1 2 3; 4 5 6; 7 8 9"
RGB, RGB_FILTERS = f"@{EXAMPLES / 'rgb.txt'}", f"@{EXAMPLES / 'rgb_filters.txt'}"
CONV = [
    ("-i", "exercise", "-k", "halves"),
    ("-i", "exercise", "-k", "halves", "--steps"),
    ("-i", "x", "-k", "diag", "--normalize", "--at", "0,0"),
    ("-i", "0.5 1; 2 3", "-k", "1 1; 1 1", "--bias", "-1/2"),
    ("-i", "; ".join(["1 2 3 4 5 6 7"] * 7), "-k", "box3", "-s", "3"),  # with a warning
    ("-i", IMG3, "-k", "1 0; 0 -1", "--backward", "--dout", "1 0; 0 1", "--as-matrix", "--shift", "1,0"),
    ("-i", IMG3, "-k", "filter32", "--padding", "1", "--flip", "--backward", "--steps"),
    ("-i", "1 2; 3 4;; 5 6; 7 8", "-k", "1 0; 0 0;; 0 0; 0 1", "--at", "0,0", "--bias", "1"),
    ("-i", "x", "-k", "diag,cross,antidiag", "--normalize"),
    ("-i", "x", "-k", "diag,cross,antidiag", "--at", "3,3", "--steps", "--as-matrix", "--shift", "0,1"),
    (
        "-i",
        IMG3,
        "-k",
        "1 0; 0 -1 | 0 1; 1 0",
        "--backward",
        "--dout",
        "1 0; 0 1 | 1 1; 1 1",
        "--bias",
        "1,2",
    ),
    ("-i", RGB, "-k", RGB_FILTERS, "--backward", "--as-matrix", "--shift", "1,1", "--at", "1,2"),
    ("-i", RGB, "-k", RGB_FILTERS, "--stride", "2", "--padding", "1", "--normalize", "--backward"),
]
POOL = [
    ("-i", f"@{EXAMPLES / 'feature.txt'}", "--ceil"),
    ("-i", f"@{EXAMPLES / 'feature.txt'}", "--ceil", "--at", "3,3"),
    ("-i", "1 2; 3 4", "--mode", "avg", "--backward"),
    (
        "-i",
        "1 2 3; 4 5 6; 7 8 9",
        "--size",
        "2",
        "--stride",
        "1",
        "--padding",
        "1",
        "--mode",
        "avg",
        "--no-count-include-pad",
        "--backward",
        "--dout",
        "; ".join(["1 2 3 4"] * 4),
        "--steps",
    ),  # fmt: skip
    ("-i", RGB, "--backward", "--at", "1,1"),
    ("-i", "; ".join(["1 2 3 4 5 6 7"] * 7), "--size", "2"),  # with a warning
]
CONVT = [
    ("-i", "1 2; 3 4", "-k", "1 1; 1 1", "--stride", "2"),
    ("-i", "1 2; 3 4", "-k", "1 1; 1 1", "--stride", "2", "--at", "1,0"),
    (
        "-i",
        "1 2; 3 4",
        "-k",
        "1 2 3; 4 5 6; 7 8 9",
        "--stride",
        "2",
        "--padding",
        "1",
        "--backward",
        "--steps",
    ),
    (
        "-i",
        "1 -1; 2 0;; 0 1; 1 1",
        "-k",
        "1 2; 3 4;; -1 0; 0 1",
        "--output-padding",
        "1",
        "--stride",
        "2",
        "--bias",
        "1/2",
        "--backward",
        "--dout",
        "; ".join(["1 0 2 -1 1"] * 5),
    ),  # fmt: skip
]


@pytest.mark.parametrize("args", CONV, ids=[" ".join(a)[:70] for a in CONV])
def test_conv_documents_validate(args: tuple[str, ...]) -> None:
    validator("conv").validate(document("conv", *args))


@pytest.mark.parametrize("args", POOL, ids=[" ".join(a)[:70] for a in POOL])
def test_pool_documents_validate(args: tuple[str, ...]) -> None:
    validator("pool").validate(document("pool", *args))


@pytest.mark.parametrize("args", CONVT, ids=[" ".join(a)[:70] for a in CONVT])
def test_convt_documents_validate(args: tuple[str, ...]) -> None:
    validator("convT").validate(document("convT", *args))


def test_schemas_reject_what_they_promise_to() -> None:
    conv = validator("conv")
    one = document("conv", "-i", IMG3, "-k", "1 0; 0 -1", "--backward")
    assert conv.is_valid(one)
    assert not conv.is_valid({**one, "extra": 1})  # the top-level keys are a contract
    assert not conv.is_valid({**one, "steps": [{**one["steps"][0], "filter": 0}]})  # one filter: no index
    assert not conv.is_valid({**one, "backward": {**one["backward"], "dinput_by_filter": []}})
    many = document("conv", "-i", IMG3, "-k", "1 0; 0 -1 | 0 1; 1 0", "--backward")
    assert conv.is_valid(many)
    assert not conv.is_valid({**many, "output": many["output"][0]})  # several filters: F maps
    step = dict(many["steps"][0])
    del step["filter"]
    assert not conv.is_valid({**many, "steps": [step]})
    pool = validator("pool")
    assert not pool.is_valid({**document("pool", "-i", "1 2; 3 4"), "settings": {"mode": "median"}})
    convt = validator("convT")
    doc = document("convT", "-i", "1 2; 3 4", "-k", "1 1; 1 1", "--backward")
    assert convt.is_valid(doc)
    assert not convt.is_valid({**doc, "backward": {**doc["backward"], "dbias": [1]}})
