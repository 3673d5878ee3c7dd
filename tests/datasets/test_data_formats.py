"""The IDX and CIFAR-10 binary readers on files made by hand, including hostile ones."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from cnntool.budgets import BudgetError
from cnntool.data.formats import FormatError, read_cifar_batch, read_cifar_tar, read_idx
from tests.datasets.fakes import cifar_records, idx_bytes, tar_gz, tiny_cifar_tar
from tests.hardening.sandbox import run


def test_idx_uint8_images_read_as_written(tmp_path) -> None:
    # Two 2×3 images, written byte by byte: magic 00 00 08 03, sizes 2, 2, 3, then the values.
    raw = bytes([0, 0, 8, 3]) + struct.pack(">III", 2, 2, 3) + bytes(range(12))
    path = tmp_path / "images-idx3-ubyte"
    path.write_bytes(raw)
    out = read_idx(path)
    assert out.dtype == np.uint8 and out.shape == (2, 2, 3)
    assert out[1, 0].tolist() == [6, 7, 8]
    (tmp_path / "images.gz").write_bytes(gzip.compress(raw))
    assert np.array_equal(read_idx(tmp_path / "images.gz"), out)


def test_idx_big_endian_types() -> None:
    ints = read_idx(bytes([0, 0, 0x0C, 1]) + struct.pack(">I", 3) + struct.pack(">iii", -2, 70000, 5))
    assert ints.tolist() == [-2, 70000, 5] and ints.dtype == np.int32 and ints.dtype.byteorder in "=|<"
    floats = read_idx(bytes([0, 0, 0x0E, 2]) + struct.pack(">II", 1, 2) + struct.pack(">dd", 0.5, -1.25))
    assert floats.tolist() == [[0.5, -1.25]]
    shorts = read_idx(idx_bytes(np.array([[1, -300]], dtype=np.int16), 0x0B))
    assert shorts.tolist() == [[1, -300]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x00\x08", "truncated header"),
        (b"PK\x03\x04" + bytes(20), "not an IDX file"),
        (bytes([0, 0, 0x07, 1]) + struct.pack(">I", 1) + b"\x00", "not an IDX file"),
        (bytes([0, 0, 8, 0]), "not an IDX file"),
        (bytes([0, 0, 8, 9]) + bytes(36), "not an IDX file"),
        (bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + bytes(4), r"truncated data \(4 of 10 bytes\)"),
        (bytes([0, 0, 8, 1]) + struct.pack(">I", 2) + bytes(3), "more data than its header announces"),
        (b"\x1f\x8b" + bytes(30), "damaged gzip data"),
    ],
)
def test_idx_refuses_malformed_files(data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        read_idx(data, "test.idx")


def test_idx_refuses_a_truncated_gzip(tmp_path) -> None:
    whole = gzip.compress(idx_bytes(np.zeros((50, 28, 28), np.uint8), 0x08))
    (tmp_path / "cut.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(FormatError, match="cut.gz"):
        read_idx(tmp_path / "cut.gz")


def test_idx_absurd_dimensions_are_refused_before_allocating() -> None:
    header = bytes([0, 0, 8, 3]) + struct.pack(">III", 60000, 60000, 60000)
    with pytest.raises(BudgetError, match=r"60000x60000x60000 uint8 values needs 216,000,000,000,000 bytes"):
        read_idx(header + bytes(100), "evil.idx")


def test_idx_bomb_in_a_child_with_little_memory(tmp_path) -> None:
    # A gzip of 2 GB of zeros announced by a header: refused by its header, never inflated.
    path = tmp_path / "bomb.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(bytes([0, 0, 8, 1]) + struct.pack(">I", 2_000_000_000))
        for _ in range(100):
            handle.write(bytes(1_000_000))
    code = f"from cnntool.data.formats import read_idx\nread_idx({str(path)!r})"
    outcome = run([], python=code, memory_mb=512)
    assert outcome.code != 0 and "bytes of one decompressed dataset file" in outcome.stderr


def test_cifar_batch_layout_label_then_red_green_blue_planes() -> None:
    image = np.zeros((3, 32, 32), dtype=np.uint8)
    record = bytearray(bytes([7]) + image.tobytes())
    record[1 + 1024 + 32 * 2 + 5] = 200  # green plane, row 2, column 5
    record[1 + 2048 + 32 * 31 + 31] = 9  # blue plane, last pixel
    x, y = read_cifar_batch(bytes(record) * 2)
    assert x.shape == (2, 3, 32, 32) and y.tolist() == [7, 7]
    assert x[0, 1, 2, 5] == 200 and x[1, 2, 31, 31] == 9 and int(x.sum()) == 2 * 209


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a whole number"),
        (bytes(3072), "not a whole number"),
        (bytes([10]) + bytes(3072), "label 10"),
    ],
)
def test_cifar_batch_refuses_bad_data(data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        read_cifar_batch(data)


def test_cifar_tarball_members(tmp_path) -> None:
    blob, train_x, train_y, test_x, test_y = tiny_cifar_tar()
    path = tmp_path / "cifar-10-binary.tar.gz"
    path.write_bytes(blob)
    members = read_cifar_tar(path)
    assert sorted(members) == sorted([f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"])
    x, y = read_cifar_batch(members["data_batch_2.bin"])
    assert np.array_equal(x, train_x[4:8]) and np.array_equal(y, train_y[4:8])
    x, y = read_cifar_batch(members["test_batch.bin"])
    assert np.array_equal(x, test_x) and y.tolist() == test_y.tolist()


def test_cifar_tarball_missing_member_or_not_a_tarball(tmp_path) -> None:
    path = tmp_path / "partial.tar.gz"
    path.write_bytes(tar_gz({"cifar-10-batches-bin/data_batch_1.bin": cifar_records(
        np.zeros((1, 3, 32, 32), np.uint8), np.zeros(1, np.uint8))}))  # fmt: skip
    with pytest.raises(FormatError, match="data_batch_2.bin, .*test_batch.bin missing"):
        read_cifar_tar(path)
    path.write_bytes(b"this is not a tarball")
    with pytest.raises(FormatError, match="not a readable .tar.gz"):
        read_cifar_tar(path)


def test_cifar_member_over_budget_is_not_read(tmp_path, monkeypatch) -> None:
    from cnntool import budgets

    small = budgets.Budget(budgets.DATASET_FILE_BYTES.name, 1000, "bytes", "use the official dataset files")
    monkeypatch.setattr(budgets, "DATASET_FILE_BYTES", small)
    blob, *_ = tiny_cifar_tar()
    path = tmp_path / "c.tar.gz"
    path.write_bytes(blob)
    with pytest.raises(BudgetError, match="data_batch_1.bin needs 12,292 bytes"):
        read_cifar_tar(path)
