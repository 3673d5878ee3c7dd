"""Class 3 of the hardening issue: files from others are data, never code.

A saved model's spec (comments included) used to reach the module `cnntool export` writes, inside a
docstring: a crafted comment closed the docstring and ran code on import. Every field of a model file
is tried here; the canary file must never appear.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cnntool.engine import build
from tests.hardening.sandbox import assert_refused, run

PAYLOAD = "__import__('pathlib').Path({canary!r}).touch()"


def _model_file(tmp_path: Path, spec: str) -> Path:
    path = tmp_path / "model.npz"
    build(spec, dtype="float32").save(path)
    return path


def _rewrite(path: Path, **fields: object) -> Path:
    """The same file with some of its entries replaced or added (a crafted model file)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays.update({k: np.asarray(v) for k, v in fields.items()})
    crafted = path.with_name("crafted.npz")
    with open(crafted, "wb") as handle:
        np.savez(handle, **arrays)
    return crafted


@pytest.mark.parametrize(
    "comment",
    [
        '# """; {payload}; """',
        "# '''; {payload}; '''",
        "# \\n{payload}",
        '# "; {payload}; x = "',
    ],
)
def test_a_spec_comment_never_becomes_code(tmp_path: Path, comment: str) -> None:
    canary = tmp_path / "canary"
    spec = "4 | dense 2 " + comment.format(payload=PAYLOAD.format(canary=str(canary)))
    model = _model_file(tmp_path, spec)
    out = tmp_path / "exported.py"
    outcome = run(["export", str(model), "--out", str(out)])
    assert outcome.code == 0, outcome.stderr
    source = out.read_text(encoding="utf-8")
    compile(source, str(out), "exec")  # still a valid module
    check = f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import exported; print(exported.SPEC)"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip("\n") == spec  # the spec survives, as a string literal
    assert not canary.exists()


def test_to_torch_executes_nothing_from_the_file(tmp_path: Path, torch) -> None:
    from cnntool.engine import load
    from cnntool.engine.export import to_torch

    canary = tmp_path / "canary"
    spec = '4 | dense 2 # """; ' + PAYLOAD.format(canary=str(canary)) + '; """'
    module = to_torch(load(_model_file(tmp_path, spec)))
    assert isinstance(module, torch.nn.Sequential) and not canary.exists()


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"__dtype__": "float32'); import os #"}, "is not float32 or float64"),
        ({"__dtype__": "object"}, "is not float32 or float64"),
        ({"__format__": "1; import os"}, "__format__ is not a single number"),
        ({"__format__": 7}, "file format 7"),
        ({"__spec__": "4 | dense 2 | lambda"}, "unknown layer 'lambda'"),
        ({"__spec__": "/etc/passwd"}, "'/etc/passwd'"),
        ({"__spec__": "3x32x32 | 1000*[ 1000*[ relu ] ]"}, "budget of 10,000 layers"),
        ({"state/0.weight'); import os #": np.zeros(2)}, "unexpected array"),
        ({"state/0.weight": np.zeros((9, 9), np.float32)}, "expected float32(2, 4)"),
        ({"state/0.weight": np.full((2, 4), np.nan, np.float32)}, "NaN or infinite"),
        ({"state/0.weight": np.array(["a", "b"])}, "holds numbers only"),
    ],
)
def test_every_field_of_a_model_file_is_validated(tmp_path: Path, fields: dict, fragment: str) -> None:
    crafted = _rewrite(_model_file(tmp_path, "4 | dense 2"), **fields)
    out = tmp_path / "out.py"
    assert_refused(run(["export", str(crafted), "--out", str(out)], timeout=60), fragment, seconds=30)
    assert not out.exists() and not (tmp_path / "out.weights.npz").exists()


def test_a_pickle_inside_a_model_file_is_never_loaded(tmp_path: Path) -> None:
    path = tmp_path / "pickled.npz"
    with open(path, "wb") as handle:
        np.savez(handle, __format__=np.asarray(1), __spec__=np.asarray("4 | dense 2"),
                 __dtype__=np.asarray("float32"), **{"state/0.weight": np.array([object()] * 8, dtype=object)})  # fmt: skip
    assert_refused(run(["export", str(path), "--out", str(tmp_path / "o.py")]), "Python objects", seconds=30)


@pytest.mark.parametrize("content", [b"hello, this is text\n", b"\x00" * 64, b"PK\x03\x04truncated"])
def test_a_file_that_is_not_a_model_says_so(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.npz"
    path.write_bytes(content)
    assert_refused(run(["export", str(path), "--out", str(tmp_path / "o.py")]), "not a cnntool model")
