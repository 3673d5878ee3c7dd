"""Readers of the two published binary formats: IDX (MNIST, Fashion-MNIST) and CIFAR-10's binary batches.

Both are read with struct and NumPy only, never pickle (a pickle from the network could run
code). Both treat the file as untrusted: a header's dimensions are checked against the bytes
the file can hold and against a budget (cnntool.data.limits) before an array is allocated.

IDX (LeCun's format, yann.lecun.com/exdb/mnist): a 4-byte magic `0 0 type ndim`, then ndim
big-endian uint32 sizes, then the values big-endian in C order. Types: 0x08 uint8, 0x09 int8,
0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64. The file may be gzip-compressed.

CIFAR-10 binary (www.cs.toronto.edu/~kriz/cifar.html): records of 3073 bytes, a label byte then
1024 red, 1024 green and 1024 blue pixel bytes, each plane row by row; five training batches
`data_batch_1.bin` … `data_batch_5.bin` and `test_batch.bin`, 10,000 records each, inside
`cifar-10-batches-bin/` of the tarball.
"""

from __future__ import annotations

import gzip
import struct
import tarfile
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from cnntool import budgets
from cnntool.data.limits import MAX_IDX_DIMS, MAX_TAR_MEMBERS
from cnntool.errors import CnnToolError

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
CIFAR_RECORD = 1 + 3 * 32 * 32
CIFAR_DIR = "cifar-10-batches-bin"
CIFAR_TRAIN = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
CIFAR_TEST = "test_batch.bin"


class FormatError(CnnToolError):
    """A file that is not what its name says (bad magic, truncated, absurd dimensions)."""


def _read_exact(stream: BinaryIO, count: int, what: str, part: str) -> bytes:
    data = stream.read(count)
    if len(data) != count:
        raise FormatError(f"{what}: truncated {part} ({len(data):,} of {count:,} bytes)")
    return data


def _idx_stream(stream: BinaryIO, what: str) -> np.ndarray:
    magic = _read_exact(stream, 4, what, "header")
    zero, zero2, code, ndim = magic
    if zero or zero2 or code not in IDX_TYPES or not 1 <= ndim <= MAX_IDX_DIMS:
        raise FormatError(f"{what}: not an IDX file (magic bytes {magic.hex()})")
    dims = struct.unpack(f">{ndim}I", _read_exact(stream, 4 * ndim, what, "header"))
    dtype = np.dtype(IDX_TYPES[code])
    payload = dtype.itemsize
    for d in dims:
        payload *= d
    # Before allocating: a hostile header cannot make us reserve memory it does not hold.
    shape = "x".join(str(d) for d in dims)
    budgets.check(
        budgets.DATASET_FILE_BYTES, payload, f"{what}: its IDX header's {shape} {dtype.name} values"
    )
    data = _read_exact(stream, payload, what, "data")
    if stream.read(1):
        raise FormatError(f"{what}: more data than its header announces")
    return np.frombuffer(data, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def read_idx(source: Path | str | bytes, what: str = "") -> np.ndarray:
    """The array stored in an IDX file (gzip-compressed or not), or bytes holding one.

    Raises FormatError for anything that is not a well-formed IDX file, BudgetError for a header
    announcing more than the budget of one decompressed dataset file (cnntool.budgets).
    """
    if isinstance(source, bytes):
        import io

        raw: BinaryIO = io.BytesIO(source)
        what = what or "IDX data"
    else:
        what = what or str(source)
        try:
            raw = open(source, "rb")  # noqa: SIM115 - closed in the finally below
        except OSError as error:
            raise FormatError(f"cannot read {what}: {error.strerror or error}") from None
    try:
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw  # type: ignore[assignment]
        try:
            return _idx_stream(stream, what)
        except (OSError, EOFError, zlib.error) as error:  # BadGzipFile, a truncated gzip stream
            raise FormatError(f"{what}: damaged gzip data ({error})") from None
    finally:
        raw.close()


def read_cifar_batch(data: bytes, what: str = "CIFAR batch") -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 3, 32, 32), labels uint8 (N,)) from the bytes of one binary batch."""
    if not data or len(data) % CIFAR_RECORD:
        raise FormatError(f"{what}: {len(data):,} bytes is not a whole number of {CIFAR_RECORD}-byte records")
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, CIFAR_RECORD)
    labels = records[:, 0].copy()
    if labels.max() > 9:
        raise FormatError(f"{what}: label {int(labels.max())} outside 0..9")
    return records[:, 1:].reshape(-1, 3, 32, 32).copy(), labels


def read_cifar_tar(path: Path, what: str = "") -> dict[str, bytes]:
    """The bytes of the six batch files inside the CIFAR-10 binary tarball, by file name.

    Nothing is extracted to disk; each member's size is checked before it is read.
    """
    what = what or str(path)
    wanted = {f"{CIFAR_DIR}/{name}": name for name in (*CIFAR_TRAIN, CIFAR_TEST)}
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for _ in range(MAX_TAR_MEMBERS):
                member = tar.next()
                if member is None:
                    break
                name = wanted.get(member.name.removeprefix("./"))
                if name is None:
                    continue
                if not member.isfile():
                    raise FormatError(f"{what}: {member.name} is not a regular file")
                budgets.check(budgets.DATASET_FILE_BYTES, member.size, f"{what}: {member.name}")
                handle = tar.extractfile(member)
                if handle is None:
                    raise FormatError(f"{what}: cannot read {member.name}")
                found[name] = handle.read()
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise FormatError(f"{what}: not a readable .tar.gz ({error})") from None
    absent = [name for name in wanted.values() if name not in found]
    if absent:
        raise FormatError(f"{what}: {', '.join(absent)} missing from {CIFAR_DIR}/")
    return found
