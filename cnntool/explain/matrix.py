"""Read matrices the way students write them, and the few grid helpers the explainers share.

A tensor here is channels × rows × columns as nested tuples (`Tensor`), so the
explainers stay pure Python. Text syntax: entries separated by spaces or commas,
rows by `;` or newlines, channels by `;;` (or a blank line in a file), filters
(several kernels) by `|` (or a line `---` in a file). `@path` reads a text file
or a `.npy` array; a bare word names a lecture sample.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

from cnntool import budgets
from cnntool.budgets import BudgetError
from cnntool.errors import CnnToolError
from cnntool.explain.samples import SAMPLES, lookup
from cnntool.files import check_regular_file, read_text
from cnntool.numbers import Grid, Number, parse_number
from cnntool.text import closest, excerpt

Tensor = tuple[Grid, ...]

_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def shape(tensor: Tensor) -> tuple[int, int, int]:
    """(C, H, W) of a tensor."""
    return len(tensor), len(tensor[0]), len(tensor[0][0])


def _grid_from_rows(rows: list[list[str]], what: str, channel: int, many: bool) -> Grid:
    where = f"{what}, channel {channel + 1}" if many else what
    grid: list[tuple[Number, ...]] = []
    for r, tokens in enumerate(rows):
        values = []
        for c, token in enumerate(tokens):
            try:
                value = parse_number(token)
            except BudgetError as exc:
                raise BudgetError(f"{where}: row {r + 1}, column {c + 1}: {exc}") from None
            if value is None:
                raise CnnToolError(
                    f"{where}: {token!r} in row {r + 1}, column {c + 1} is not a number. "
                    "Use integers, decimals (0.5) or fractions (-1/2), separated by spaces."
                )
            values.append(value)
        grid.append(tuple(values))
    widths = {len(row) for row in grid}
    if len(widths) > 1:
        first = len(grid[0])
        bad = next(i for i, row in enumerate(grid) if len(row) != first)
        raise CnnToolError(
            f"{where}: row {bad + 1} has {len(grid[bad])} entries but row 1 has {first}. "
            "Every row needs the same number of entries; rows are separated by ';' or newlines."
        )
    return tuple(grid)


def _split_channels(text: str, from_file: bool) -> list[str]:
    if from_file:
        text = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
        text = re.sub(r"\n\s*\n", ";;", text.strip())
    return text.split(";;")


def _parse_text(text: str, what: str, from_file: bool = False) -> Tensor:
    blocks = _split_channels(text, from_file)
    channels: list[Grid] = []
    for index, block in enumerate(blocks):
        rows = [line.replace(",", " ").split() for line in re.split(r"[;\n]", block)]
        rows = [row for row in rows if row]
        if not rows:
            raise CnnToolError(
                f"{what}: channel {index + 1} is empty. Write rows like '1 2; 3 4' and separate channels with ';;'."
            )
        channels.append(_grid_from_rows(rows, what, index, len(blocks) > 1))
    return _check_channels(tuple(channels), what)


def _check_channels(tensor: Tensor, what: str) -> Tensor:
    cells = len(tensor) * len(tensor[0]) * len(tensor[0][0])
    budgets.check(
        budgets.EXPLAIN_CELLS, cells, f"{what} ({len(tensor)}x{len(tensor[0])}x{len(tensor[0][0])})"
    )
    first = (len(tensor[0]), len(tensor[0][0]))
    for index, grid in enumerate(tensor):
        if (len(grid), len(grid[0])) != first:
            raise CnnToolError(
                f"{what}: channel {index + 1} is {len(grid)}x{len(grid[0])} but channel 1 is "
                f"{first[0]}x{first[1]}. All channels must have the same size."
            )
    return tensor


def _is_grid(g: object) -> bool:
    return (
        isinstance(g, list)
        and bool(g)
        and all(isinstance(row, list) and row and not any(isinstance(v, list) for v in row) for row in g)
    )


def _from_nested(data: object, what: str) -> list[Tensor]:
    """A JSON-style nested list: 2-D (one channel), 3-D (C×H×W) or 4-D (F filters of C×H×W)."""
    if _is_grid(data):
        tensors = [[data]]
    elif isinstance(data, list) and data and all(_is_grid(g) for g in data):
        tensors = [data]
    elif isinstance(data, list) and data and all(isinstance(t, list) and t and all(_is_grid(g) for g in t)
                                                 for t in data):  # fmt: skip
        tensors = data
    else:
        raise CnnToolError(f"{what}: expected a 2-D or 3-D nested list of numbers like [[1, 2], [3, 4]].")
    out = []
    for n, channels in enumerate(tensors):
        where = f"{what}, filter {n + 1}" if len(tensors) > 1 else what
        blocks = [[[str(v) for v in row] for row in grid] for grid in channels]
        tensor = tuple(_grid_from_rows(rows, where, i, len(blocks) > 1) for i, rows in enumerate(blocks))
        out.append(_check_channels(tensor, where))
    return out


def _load_npy(path: Path, what: str) -> list[Tensor]:
    import numpy as np  # lazy: only a .npy input pays for numpy

    check_regular_file(path, what=f"{what} file")
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise CnnToolError(f"{what}: cannot read {path} as a .npy array ({exc}).") from None
    if array.ndim not in (2, 3, 4) or array.size == 0:
        raise CnnToolError(
            f"{what}: {path} holds an array of shape {array.shape}; expected H×W or C×H×W (non-empty), "
            "or F×C×H×W for several filters."
        )
    while array.ndim < 4:
        array = array[None]
    if array.dtype.kind in "biu":
        convert = lambda v: Fraction(int(v))  # noqa: E731
    elif array.dtype.kind == "f":
        if not np.isfinite(array).all():
            raise CnnToolError(f"{what}: {path} contains NaN or infinite values.")
        convert = float
    else:
        raise CnnToolError(f"{what}: {path} has dtype {array.dtype}; expected integers or floats.")
    return [
        tuple(tuple(tuple(convert(v) for v in row) for row in grid) for grid in tensor)
        for tensor in array.tolist()
    ]


_FILTER_LINE = re.compile(r"(?m)^\s*-{3,}\s*$")


def _read_file(name: str, what: str) -> list[Tensor]:
    """The tensors in a file: one, or several filters (`---` lines, a 4-D list or array)."""
    path = Path(name).expanduser()
    if not (path.exists() or path.is_symlink()):
        raise CnnToolError(
            f"{what}: file {name!r} not found. Give a path after '@', e.g. @examples/feature.txt."
        )
    if path.suffix.lower() == ".npy":
        return _load_npy(path, what)
    text = read_text(path, what=f"{what} file")  # refuses folders, pipes, devices, and more than the budget
    if not text.strip():
        raise CnnToolError(f"{what}: file {name!r} is empty.")
    if text.lstrip().startswith("["):
        return _parse_json(text, what)
    text = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    blocks = _FILTER_LINE.split(text)
    out = []
    for n, block in enumerate(blocks):
        where = f"{what}, filter {n + 1}" if len(blocks) > 1 else what
        if not block.strip():
            raise CnnToolError(
                f"{where}: empty; write a matrix between the '---' lines that separate filters."
            )
        out.append(_parse_text(block, where, from_file=True))
    return out


def _parse_json(text: str, what: str) -> list[Tensor]:
    try:  # numbers stay their text: parse_number reads them exactly, within its length budget
        data = json.loads(text, parse_int=str, parse_float=str, parse_constant=str)
    except json.JSONDecodeError as exc:
        raise CnnToolError(
            f"{what}: the nested list does not parse ({exc.msg} at character {exc.pos})."
        ) from None
    except RecursionError:
        raise CnnToolError(f"{what}: the nested list is nested too deeply; give a 2-D or 3-D list.") from None
    return _from_nested(data, what)


def _sample(name: str, what: str) -> Tensor:
    sample = lookup(name)
    if sample is None:
        close = closest(name, SAMPLES)
        hint = f" Did you mean {close!r}?" if close else ""
        raise CnnToolError(
            f"{what}: {excerpt(name)} is not a number or a known sample.{hint} Known samples: {', '.join(SAMPLES)}."
        )
    return _parse_text(sample.text, what, from_file=True)


def _only_one(tensors: list[Tensor], what: str) -> Tensor:
    if len(tensors) != 1:
        raise CnnToolError(
            f"{what}: expected one matrix (channels separated by ';;' or a blank line), got {len(tensors)} "
            "filters; several filters are for a convolution's kernel only."
        )
    return tensors[0]


def parse_tensor(text: str, what: str = "matrix") -> Tensor:
    """Text, `@file`, `[[...]]` or a sample name → a C×H×W tensor of exact numbers.

    `what` names the input in error messages (the CLI passes "--image", the checker a field).
    """
    stripped = text.strip()
    if not stripped:
        raise CnnToolError(
            f"{what}: empty matrix. Write rows like '1 2; 3 4', a file as @path, or a sample name."
        )
    if "|" in stripped:
        raise CnnToolError(f"{what}: '|' separates several filters; give one matrix here.")
    if stripped.startswith("@"):
        return _only_one(_read_file(stripped[1:], what), what)
    if stripped.startswith("["):
        return _only_one(_parse_json(stripped, what), what)
    if _WORD.match(stripped):
        return _sample(stripped, what)
    return _parse_text(stripped, what)


_WORD_LIST = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*(\s*,\s*[A-Za-z][A-Za-z0-9_-]*)+$")


def _filters_of(text: str, what: str) -> list[Tensor]:
    if _WORD_LIST.match(text):
        return [_sample(name.strip(), what) for name in text.split(",")]
    if text.startswith("@"):
        return _read_file(text[1:], what)
    if text.startswith("["):
        return _parse_json(text, what)
    return [parse_tensor(text, what)]


def parse_filters(text: str, what: str = "kernel") -> tuple[Tensor, ...]:
    """One or several filters (F×C×kh×kw): each gives one output map of a convolution.

    Filters are separated by `|` (`"1 0; 0 1 | 0 1; 1 0"`, `"diag | @mine.txt"`), by a line
    `---` in a file, or listed as sample names (`diag,cross,antidiag`); a 4-D nested list or
    `.npy` array works too. Channels inside a filter stay as in `parse_tensor` (`;;`, blank line).
    """
    stripped = text.strip()
    if not stripped:
        raise CnnToolError(
            f"{what}: empty matrix. Write rows like '1 2; 3 4', a file as @path, or a sample name."
        )
    parts = [part.strip() for part in stripped.split("|")]
    filters: list[Tensor] = []
    for n, part in enumerate(parts):
        where = f"{what}, filter {n + 1}" if len(parts) > 1 else what
        if not part:
            raise CnnToolError(f"{where}: empty; separate filters with '|', e.g. 'diag | cross'.")
        filters += _filters_of(part, where)
    first = shape(filters[0])
    for n, tensor in enumerate(filters):
        if shape(tensor) != first:
            raise CnnToolError(
                f"{what}: filter {n + 1} is {'x'.join(map(str, shape(tensor)))} (channels x rows x columns) "
                f"but filter 1 is {'x'.join(map(str, first))}; all filters need the same shape."
            )
    return tuple(filters)


def parse_matrix(text: str, what: str = "matrix") -> Grid:
    """Like `parse_tensor` but exactly one channel (a kernel for pooling gradients, a dout map)."""
    tensor = parse_tensor(text, what)
    if len(tensor) != 1:
        raise CnnToolError(f"{what}: expected one matrix, got {len(tensor)} channels separated by ';;'.")
    return tensor[0]


# --- grid helpers ------------------------------------------------------------------------


def zeros(rows: int, cols: int) -> list[list[Number]]:
    """A mutable rows×cols grid of exact zeros."""
    return [[Fraction(0)] * cols for _ in range(rows)]


def freeze(grid: list[list[Number]]) -> Grid:
    """Mutable rows → an immutable Grid."""
    return tuple(tuple(row) for row in grid)


def flip(grid: Grid) -> Grid:
    """Rotate 180°: what true convolution does to the kernel before sliding it."""
    return tuple(tuple(reversed(row)) for row in reversed(grid))


def shift(grid: Grid, dy: int, dx: int, fill: Number = Fraction(0)) -> Grid:
    """Move the content down by dy and right by dx (negative: up/left); new cells get `fill`."""
    rows, cols = len(grid), len(grid[0])
    return tuple(
        tuple(
            grid[r - dy][c - dx] if 0 <= r - dy < rows and 0 <= c - dx < cols else fill for c in range(cols)
        )
        for r in range(rows)
    )
