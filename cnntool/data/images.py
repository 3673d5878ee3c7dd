"""Generated image datasets: the lecture's X and O, and lines, crosses and squares.

Images use the X/O slides' convention, +1 on the stroke and −1 on the background, and are
(N, 1, H, W) float32. Everything random comes from one np.random.Generator seeded by `seed`,
so the same seed gives the same arrays on every machine.
"""

from __future__ import annotations

import numpy as np

from cnntool.data.catalog import CATALOG
from cnntool.data.dataset import Dataset, from_pool
from cnntool.data.limits import MAX_IMAGE_SIDE, check_count, check_fraction, check_seed, check_sizes
from cnntool.errors import InputError
from cnntool.explain.samples import lookup

_XO = CATALOG["xo"].defaults
_SHAPES = CATALOG["shapes"].defaults
SHAPE_CLASSES = ("line-0", "line-45", "line-90", "line-135", "cross", "square")


def slide_letter(letter: str) -> np.ndarray:
    """The 9×9 X or O of the lecture slides (cnntool.explain.samples), +1 stroke on −1, float32."""
    sample = lookup(letter)
    if sample is None or letter.lower() not in ("x", "o"):
        raise InputError(f"letter must be 'x' or 'o', got {letter!r}")
    rows = [line.split() for line in sample.text.strip().splitlines()]
    return np.array(rows, dtype=np.float32)


def _shifted(mask: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """`mask` moved down dy and right dx cells; what leaves the grid is lost."""
    h, w = mask.shape
    out = np.zeros_like(mask)
    if abs(dy) < h and abs(dx) < w:
        out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = mask[
            max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
        ]
    return out


def letter_image(
    letter: str,
    shift: tuple[int, int] = (0, 0),
    thickness: int = 1,
    noise: float = 0.0,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """One 9×9 X or O: the slide's strokes thickened, shifted (down, right), plus normal noise.

    thickness t widens every stroke cell into a t×t block towards the bottom right; shift (0, 0),
    thickness 1 and noise 0 give exactly the slide's image.
    """
    check_count("thickness", thickness, 1, 4)
    mask = slide_letter(letter) > 0
    thick = np.zeros_like(mask)
    for dy in range(thickness):
        for dx in range(thickness):
            thick |= _shifted(mask, dy, dx)
    image = np.where(_shifted(thick, *shift), 1.0, -1.0).astype(np.float32)
    if noise:
        if rng is None:
            raise InputError("noise needs a random generator (rng)")
        image += rng.normal(0.0, noise, size=image.shape).astype(np.float32)
    return image


def _balanced_labels(n: int, classes: int, rng: np.random.Generator) -> np.ndarray:
    """n labels, every class within one of n / classes, in random order."""
    return rng.permutation(np.arange(n) % classes).astype(np.int64)


def xo(
    *,
    seed: int = 0,
    n_train: int = _XO["n_train"],
    n_val: int = _XO["n_val"],
    max_shift: int = _XO["max_shift"],
    thickness: tuple[int, ...] = _XO["thickness"],
    noise: float = _XO["noise"],
) -> Dataset:
    """X (label 0) or O (label 1), balanced; each shifted by up to max_shift cells in each direction,
    drawn with a stroke thickness picked from `thickness`, plus normal noise of std `noise`."""
    seed = check_seed(seed)
    n_train, n_val = check_sizes("xo", n_train, n_val, 81)
    check_count("max_shift", max_shift, 0, 4)
    thicknesses = tuple(check_count("thickness", t, 1, 4) for t in (thickness or (1,)))
    check_fraction("noise", noise, 0.0, 10.0)
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    y = _balanced_labels(n, 2, rng)
    shifts = rng.integers(-max_shift, max_shift + 1, size=(n, 2))
    widths = rng.choice(np.array(thicknesses), size=n)
    x = np.empty((n, 1, 9, 9), dtype=np.float32)
    for i in range(n):
        letter = "xo"[y[i]]
        x[i, 0] = letter_image(letter, (int(shifts[i, 0]), int(shifts[i, 1])), int(widths[i]))
    x += rng.normal(0.0, noise, size=x.shape).astype(np.float32) if noise else 0.0
    options = {"seed": seed, "n_train": n_train, "n_val": n_val, "max_shift": max_shift,
               "thickness": list(thicknesses), "noise": noise}  # fmt: skip
    return from_pool(
        CATALOG["xo"], x, y, n_val, rng, loss="cross_entropy", class_names=("X", "O"), options=options
    )


def _draw(kind: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """A mask of shape class `kind` (SHAPE_CLASSES order) at a random place, 1 cell from the border."""
    s = size
    mask = np.zeros((s, s), dtype=bool)
    if kind < 4:  # a line of length n
        n = int(rng.integers(s // 2, s - 1))
        steps = np.arange(n)
        if kind == 0:  # 0°: horizontal
            r, c = int(rng.integers(1, s - 1)), int(rng.integers(1, s - n))
            mask[r, c + steps] = True
        elif kind == 2:  # 90°: vertical
            r, c = int(rng.integers(1, s - n)), int(rng.integers(1, s - 1))
            mask[r + steps, c] = True
        elif kind == 1:  # 45°: rising to the right, "/"
            r, c = int(rng.integers(n, s - 1)), int(rng.integers(1, s - n))
            mask[r - steps, c + steps] = True
        else:  # 135°: falling to the right, "\"
            r, c = int(rng.integers(1, s - n)), int(rng.integers(1, s - n))
            mask[r + steps, c + steps] = True
    elif kind == 4:  # a "+" cross with arms of length a
        a = int(rng.integers(2, (s - 3) // 2 + 1))
        r, c = int(rng.integers(1 + a, s - 1 - a)), int(rng.integers(1 + a, s - 1 - a))
        mask[r, c - a : c + a + 1] = True
        mask[r - a : r + a + 1, c] = True
    else:  # a square outline of side k
        k = int(rng.integers(4, s - 1))
        r, c = int(rng.integers(1, s - k)), int(rng.integers(1, s - k))
        mask[r, c : c + k] = mask[r + k - 1, c : c + k] = True
        mask[r : r + k, c] = mask[r : r + k, c + k - 1] = True
    return mask


def shapes(
    *,
    seed: int = 0,
    n_train: int = _SHAPES["n_train"],
    n_val: int = _SHAPES["n_val"],
    size: int = _SHAPES["size"],
    noise: float = _SHAPES["noise"],
) -> Dataset:
    """Six balanced classes (SHAPE_CLASSES): lines at 0°, 45°, 90°, 135°, a "+" cross, a square outline.

    Random length (half to all of the free width), position and arm or side length, on size×size
    images, one cell clear of the border; +1 stroke on −1, plus normal noise of std `noise`.
    """
    seed = check_seed(seed)
    check_count("size", size, 8, MAX_IMAGE_SIDE)
    n_train, n_val = check_sizes("shapes", n_train, n_val, size * size)
    check_fraction("noise", noise, 0.0, 10.0)
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    y = _balanced_labels(n, len(SHAPE_CLASSES), rng)
    x = np.empty((n, 1, size, size), dtype=np.float32)
    for i in range(n):
        x[i, 0] = np.where(_draw(int(y[i]), size, rng), 1.0, -1.0)
    if noise:
        x += rng.normal(0.0, noise, size=x.shape).astype(np.float32)
    options = {"seed": seed, "n_train": n_train, "n_val": n_val, "size": size, "noise": noise}
    return from_pool(CATALOG["shapes"], x, y, n_val, rng, loss="cross_entropy", class_names=SHAPE_CLASSES,
                     options=options)  # fmt: skip
