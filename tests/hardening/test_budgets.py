"""Class 1 of the hardening issue: every input has a work budget, checked before the work starts.

Each case runs in a child process with a 1 GB address-space limit: before the budgets, several
of these grew to gigabytes or never ended.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from cnntool import budgets
from tests.hardening.sandbox import assert_refused, run

NESTED_REPEATS = "3x32x32 | 1000*[ 1000*[ 1000*[ relu ] ] ]"


@pytest.mark.parametrize(
    ("spec", "fragments"),
    [
        (NESTED_REPEATS, ("1,000,000 layers", "budget of 10,000 layers", "repeat fewer times")),
        ("3x32x32 | 5001*[ relu | relu ]", ("10,002 layers", "by 2 layers")),
        ("20 | 9999*[ res[ dense 20 ] ]", ("layers after expanding repeats",)),
        ("50x32 | lstm 10 layers=10000000", ("layers=10000000", "budget of 1,000 layers")),
        ("3x" + "9" * 5000 + "x3 | relu", ("(5,000 digits)", "budget of 1,000,000,000")),
        ("20 | dense " + "7" * 4400, ("out_features",)),
        ("3x32x32 | 2000000000*[ relu ]", ("repeat count",)),
        ("3x32x32 | leakyrelu 1e999", ("slope 1e999", "size of a number")),
        ("3x3 | " + "res[ " * 60 + "relu" + " ]" * 60, ("budget of 50 levels",)),
    ],
)
def test_a_few_characters_of_spec_cost_little(spec: str, fragments: tuple[str, ...]) -> None:
    for command in (["summary", spec], ["summary", spec, "--json"], ["explain", spec]):
        assert_refused(run(command), *fragments, seconds=5)


def test_the_largest_allowed_spec_still_runs_fast() -> None:
    outcome = run(["summary", "3x64x64 | 5000*[ conv 8 k3 p1 | relu ]", "--json"], timeout=60)
    assert outcome.code == 0 and outcome.seconds < 10


def test_stdin_that_never_ends_is_read_only_to_the_budget() -> None:
    with open("/dev/zero", "rb") as zero:
        outcome = run(["summary", "-"], stdin=zero.fileno())
    assert_refused(outcome, "<stdin>", f"{budgets.TEXT_BYTES.limit:,} bytes")


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/null"])
def test_a_device_is_not_a_spec_file(path: str) -> None:
    assert_refused(run(["summary", path]), path, "not a regular file")


def test_a_fifo_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "spec.fifo"
    os.mkfifo(fifo)  # opening it would block forever: no writer ever comes
    assert_refused(run(["summary", str(fifo)], timeout=20), "not a regular file")


def test_a_symlink_loop_is_one_message(tmp_path: Path) -> None:
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop)
    assert_refused(run(["summary", str(loop)]), "loop.txt")


def test_a_big_spec_file_is_refused_by_its_size(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("3x32x32\n" + "relu\n" * 300_000)
    assert_refused(run(["summary", str(big)]), "big.txt", "1,000,000 bytes")


BUILD = """
import sys
from cnntool.errors import CnnToolError
from cnntool.engine import build
try:
    build(sys.argv[1])
except CnnToolError as error:  # what the CLI does with it: one line, exit 2
    print(f"error: {error}", file=sys.stderr)
    sys.exit(2)
"""


@pytest.mark.parametrize(
    "spec",
    ["100000 | dense 100000", "3x4096x4096 | conv 64 k11", "3x224x224 | conv 4096 k3 p1 | relu"],
)
def test_build_refuses_a_model_that_would_not_fit(spec: str) -> None:
    outcome = run(
        [], python=f"import sys; sys.argv = ['build', {spec!r}]\n{BUILD}", memory_mb=1536, timeout=60
    )
    assert_refused(outcome, "building this model needs", "budget of 400,000,000 bytes", seconds=30)


def test_a_model_file_that_announces_a_huge_array_is_refused_before_allocating(tmp_path: Path) -> None:
    """A crafted .npz whose .npy header claims 10^11 floats (800 GB) but holds 8 bytes."""
    from cnntool.engine import build

    model = build("4 | dense 2", dtype="float64")
    path = tmp_path / "m.npz"
    model.save(path)
    import zipfile

    crafted = tmp_path / "crafted.npz"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(crafted, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "state/0.weight.npy":
                header = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }"
                header = header.ljust(118) + "\n"
                data = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + data[-8:]
            dst.writestr(info, data)
    outcome = run(["export", str(crafted), "--out", str(tmp_path / "out.py")], memory_mb=1536, timeout=60)
    assert_refused(outcome, "claims shape (100000000000,)", seconds=30)
    assert not (tmp_path / "out.py").exists()


def test_every_budget_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "budgets.md").read_text(encoding="utf-8")
    for budget in budgets.ALL:
        assert budget.name in docs and f"{budget.limit:,}" in docs, budget.name
    assert np.all([b.limit > 0 for b in budgets.ALL])


def test_no_writable_numba_cache_falls_back_to_no_cache_and_says_so_once(capsys, monkeypatch) -> None:
    from cnntool import config

    assert config.numba_cache_usable(config.__file__)  # this checkout: the cache works
    assert not config.numba_cache_usable("/proc/cnntool-no-such-dir/kernels.py")
    monkeypatch.setitem(config.NJIT_OPTIONS, "cache", True)
    monkeypatch.setitem(config.NJIT_SERIAL, "cache", True)
    assert config.disable_cache_if_unwritable("/proc/cnntool-no-such-dir/kernels.py") is False
    assert config.NJIT_OPTIONS["cache"] is False and config.NJIT_SERIAL["cache"] is False
    assert config.disable_cache_if_unwritable("/proc/cnntool-no-such-dir/kernels.py") is False
    err = capsys.readouterr().err
    assert err.count("no writable place for numba's compiled-kernel cache") == 1
