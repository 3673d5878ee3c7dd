"""Inputs for `predict` and `filters`: a PNG picture, a .npy array, or a matrix as `cnntool conv` reads it.

PNG is read here with zlib and struct (8-bit, grey, grey+alpha, RGB, RGBA or palette, not
interlaced: what every drawing program saves), so predicting needs no imaging library. The header's
width × height is checked against budgets.IMAGE_PIXELS before anything is decompressed, and the
pixel data is decompressed only up to the size the header announces (a "zip bomb" stops there).

A picture is scaled to the model's input: converted to grey or RGB, resized by area averaging,
and its 0…1 intensities mapped onto the value range the model was trained on (−1…+1 for xo,
0…1 for MNIST). An array or a matrix is taken as the model's input values as they are.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cnntool import budgets
from cnntool.errors import CnnToolError
from cnntool.files import check_regular_file
from cnntool.text import shape_text

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type → samples per pixel
#: The value range of a picture's dark and light ends for datasets not in 0…1.
PIXEL_RANGE = {"xo": (-1.0, 1.0), "shapes": (-1.0, 1.0)}


@dataclass(frozen=True)
class Picture:
    """A decoded PNG: pixels (H, W, C) uint8 with C = 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA)."""

    pixels: np.ndarray
    path: str = ""


def _chunks(data: bytes, name: str):
    pos = len(SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if len(body) != length:
            raise CnnToolError(f"{name}: the PNG is truncated (a {kind!r} chunk is cut off)")
        yield kind, body
        if kind == b"IEND":
            return
        pos += 12 + length
    raise CnnToolError(f"{name}: the PNG is truncated (no IEND chunk)")


def _paeth_row(filtered: bytes, prior: bytes, bpp: int) -> bytearray:
    out = bytearray(filtered)
    for i in range(len(out)):
        a = out[i - bpp] if i >= bpp else 0
        b = prior[i]
        c = prior[i - bpp] if i >= bpp else 0
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        out[i] = (out[i] + pred) & 0xFF
    return out


def _average_row(filtered: bytes, prior: bytes, bpp: int) -> bytearray:
    out = bytearray(filtered)
    for i in range(len(out)):
        a = out[i - bpp] if i >= bpp else 0
        out[i] = (out[i] + ((a + prior[i]) >> 1)) & 0xFF
    return out


def _unfilter(raw: bytes, height: int, stride: int, bpp: int, name: str) -> np.ndarray:
    """Undo PNG's per-row filters (None, Sub, Up, Average, Paeth) → (height, stride) uint8."""
    out = np.zeros((height, stride), dtype=np.uint8)
    prior = np.zeros(stride, dtype=np.uint8)
    for r in range(height):
        start = r * (stride + 1)
        kind, row = raw[start], np.frombuffer(raw, np.uint8, stride, start + 1)
        if kind == 0:
            line = row.copy()
        elif kind == 1:  # Sub: a running sum along the row, per byte of the pixel
            line = (np.cumsum(row.reshape(-1, bpp).astype(np.int64), axis=0) & 0xFF).astype(np.uint8).ravel()
        elif kind == 2:  # Up
            line = row + prior
        elif kind == 3:
            line = np.frombuffer(_average_row(row.tobytes(), prior.tobytes(), bpp), np.uint8)
        elif kind == 4:
            line = np.frombuffer(_paeth_row(row.tobytes(), prior.tobytes(), bpp), np.uint8)
        else:
            raise CnnToolError(f"{name}: row {r} of the PNG has an unknown filter type {kind}")
        out[r] = line
        prior = out[r]
    return out


def decode_png(data: bytes, name: str = "image") -> Picture:
    """The pixels of an 8-bit, non-interlaced PNG; CnnToolError for anything else or a damaged file."""
    if not data.startswith(SIGNATURE):
        raise CnnToolError(f"{name}: not a PNG file (the PNG signature is missing)")
    header = palette = None
    idat = []
    for kind, body in _chunks(data, name):
        if kind == b"IHDR":
            if len(body) != 13:
                raise CnnToolError(f"{name}: the PNG header has {len(body)} bytes, not 13")
            header = struct.unpack(">IIBBBBB", body)
            width, height, depth, colour, _, _, interlace = header
            budgets.check(budgets.IMAGE_PIXELS, width * height, f"{name} ({width}x{height})")
            if width == 0 or height == 0:
                raise CnnToolError(f"{name}: the PNG is {width}x{height} pixels: empty")
            if depth != 8 or colour not in _CHANNELS:
                raise CnnToolError(
                    f"{name}: a PNG of bit depth {depth}, colour type {colour}; cnntool reads 8-bit grey, "
                    "RGB, RGBA, grey+alpha and palette PNGs (save it as an 8-bit PNG)"
                )
            if interlace:
                raise CnnToolError(f"{name}: an interlaced PNG; save it without interlacing")
        elif kind == b"PLTE":
            palette = np.frombuffer(body, np.uint8).reshape(-1, 3) if len(body) % 3 == 0 else None
        elif kind == b"IDAT":
            idat.append(body)
    if header is None:
        raise CnnToolError(f"{name}: the PNG has no header (IHDR)")
    width, height, _, colour, _, _, _ = header
    channels = _CHANNELS[colour]
    stride = width * channels
    expected = height * (stride + 1)
    try:
        raw = zlib.decompressobj().decompress(b"".join(idat), expected + 1)
    except zlib.error as exc:
        raise CnnToolError(f"{name}: the PNG's pixel data is damaged ({exc})") from None
    if len(raw) != expected:
        raise CnnToolError(
            f"{name}: the PNG holds {len(raw):,} bytes of pixels, its header says {expected:,}"
        )
    pixels = _unfilter(raw, height, stride, channels, name).reshape(height, width, channels)
    if colour == 3:
        if palette is None or int(pixels.max()) >= len(palette):
            raise CnnToolError(f"{name}: the PNG's palette is missing or too short")
        pixels = palette[pixels[..., 0]]
    return Picture(pixels, name)


def read_png(path: str | Path) -> Picture:
    path = Path(path)
    check_regular_file(path, budgets.IMAGE_BYTES, what="image")
    return decode_png(path.read_bytes(), str(path))


def _resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """(H, W, C) float → (height, width, C) by averaging each target cell's share of the source."""
    h, w = image.shape[:2]

    def bounds(n_src: int, n_dst: int) -> tuple[np.ndarray, np.ndarray]:
        lo = np.floor(np.arange(n_dst) * n_src / n_dst).astype(int)
        hi = np.maximum(np.ceil((np.arange(n_dst) + 1) * n_src / n_dst).astype(int), lo + 1)
        return lo, hi

    table = np.zeros((h + 1, w + 1, image.shape[2]))
    table[1:, 1:] = image.cumsum(0).cumsum(1)
    (r0, r1), (c0, c1) = bounds(h, height), bounds(w, width)
    total = table[r1][:, c1] - table[r0][:, c1] - table[r1][:, c0] + table[r0][:, c0]
    area = ((r1 - r0)[:, None] * (c1 - c0)[None, :])[..., None]
    return total / area


@dataclass(frozen=True)
class ModelInput:
    """One sample ready for the model, and what was done to make it (for the user to read)."""

    x: np.ndarray
    source: str
    notes: tuple[str, ...] = field(default=())


def picture_input(picture: Picture, shape: tuple[int, ...], meta: dict, invert: bool = False) -> ModelInput:
    """A picture as one model input of `shape` (C, H, W): colours, size and value range matched."""
    if len(shape) != 3 or shape[0] not in (1, 3):
        raise CnnToolError(
            f"{picture.path}: a picture is an input for image models (1 or 3 channels); this model takes "
            f"{shape_text(shape, 'x')}"
        )
    notes = []
    px = picture.pixels.astype(np.float64) / 255.0
    if px.shape[2] in (2, 4):  # composite over white, as a viewer shows it
        alpha = px[..., -1:]
        px = px[..., :-1] * alpha + (1.0 - alpha)
    if shape[0] == 1 and px.shape[2] == 3:
        px = (px @ np.array([0.299, 0.587, 0.114]))[..., None]
        notes.append("converted to grey")
    elif shape[0] == 3 and px.shape[2] == 1:
        px = np.repeat(px, 3, axis=2)
    h, w = px.shape[:2]
    if (h, w) != tuple(shape[1:]):
        px = _resize(px, shape[1], shape[2])
        notes.append(f"resized from {w}x{h} to {shape[2]}x{shape[1]}")
    if invert:
        px = 1.0 - px
        notes.append("inverted (dark strokes became light)")
    low, high = PIXEL_RANGE.get(str(meta.get("dataset")), (0.0, 1.0))
    background = meta.get("background")
    border = np.concatenate([px[0].ravel(), px[-1].ravel(), px[:, 0].ravel(), px[:, -1].ravel()]).mean()
    if not invert and background is not None and background <= (low + high) / 2 and border > 0.6:
        notes.append(
            f"the picture's border is light but {meta.get('dataset')}'s images have dark backgrounds; "
            "if it shows a dark drawing on white, invert it"
        )
    x = low + (high - low) * px.transpose(2, 0, 1)
    if (low, high) != (0.0, 1.0):
        notes.append(f"values mapped from 0…1 to {low:g}…{high:g} as in {meta.get('dataset')}")
    return ModelInput(x.astype(np.float32), picture.path, tuple(notes))


def array_input(array: np.ndarray, shape: tuple[int, ...], source: str) -> ModelInput:
    """An array as one model input: leading axes of size 1 may be dropped or added, nothing else."""
    squeezed = array.reshape([d for d in array.shape if d != 1] or [1])
    target = [d for d in shape if d != 1] or [1]
    if list(squeezed.shape) != target:
        raise CnnToolError(
            f"{source}: the input is {shape_text(array.shape, 'x')} but the model takes "
            f"{shape_text(shape, 'x')} per sample"
        )
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise CnnToolError(f"{source}: contains NaN or infinite values")
    return ModelInput(squeezed.reshape(shape).astype(array.dtype if array.dtype.kind in "iu" else np.float32),
                      source)  # fmt: skip


def read_input(text: str, shape: tuple[int, ...], meta: dict, invert: bool = False,
               what: str = "image") -> ModelInput:  # fmt: skip
    """`@picture.png`, `@array.npy`, or a matrix / sample name as `cnntool conv` reads it."""
    stripped = text.strip()
    if stripped.startswith("@") and stripped.lower().endswith(".png"):
        return picture_input(read_png(Path(stripped[1:]).expanduser()), shape, meta, invert)
    if invert:
        raise CnnToolError(f"{what}: inverting is for pictures (.png); an array or a matrix is used as it is")
    if stripped.startswith("@") and stripped.lower().endswith(".npy"):
        path = Path(stripped[1:]).expanduser()
        check_regular_file(path, budgets.IMAGE_BYTES, what=what)
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise CnnToolError(f"{what}: cannot read {path} as a .npy array ({exc})") from None
        if array.dtype.kind not in "biuf":
            raise CnnToolError(f"{what}: {path} holds {array.dtype}; expected numbers")
        return array_input(array, shape, str(path))
    from cnntool.explain.matrix import parse_tensor

    tensor = parse_tensor(stripped, what)
    array = np.array([[[float(v) for v in row] for row in grid] for grid in tensor], dtype=np.float64)
    return array_input(array, shape, what)
