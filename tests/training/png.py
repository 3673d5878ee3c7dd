"""A small PNG encoder for the tests (written from the PNG specification, independent of the reader):
every row may use any of the five filters, so the reader's unfiltering is exercised."""

from __future__ import annotations

import struct
import zlib

import numpy as np


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def _filter(row: bytes, prior: bytes, bpp: int, kind: int) -> bytes:
    out = bytearray()
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prior[i]
        c = prior[i - bpp] if i >= bpp else 0
        pred = (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]
        out.append((x - pred) % 256)
    return bytes(out)


def chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def encode(pixels: np.ndarray, filters: tuple[int, ...] = (0, 1, 2, 3, 4)) -> bytes:
    """pixels (H, W) grey or (H, W, 3) RGB or (H, W, 4) RGBA uint8 → PNG bytes; row r uses filters[r % len]."""
    pixels = np.asarray(pixels, dtype=np.uint8)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    h, w, c = pixels.shape
    colour = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    raw, prior = bytearray(), bytes(w * c)
    for r in range(h):
        row = pixels[r].tobytes()
        kind = filters[r % len(filters)]
        raw += bytes([kind]) + _filter(row, prior, c, kind)
        prior = row
    header = struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw)))
            + chunk(b"IEND", b""))  # fmt: skip
