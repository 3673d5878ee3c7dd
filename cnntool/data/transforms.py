"""Augmentation: random variants of a batch of images, drawn from a generator the caller seeds.

Each transform is a small frozen object called as `transform(x, rng)` on a batch (N, C, H, W)
and returns a new array (the input is never changed). Every sample draws its own random
choice, so one batch holds many variants; `Compose` chains transforms in order. Passing the
generator in (docs/architecture.md, rule 4) makes a training run repeatable from its seed.

The transforms follow the lecture's CIFAR-10 demo ("random flipping and random image shifts by
up to 2px") and torchvision's RandomCrop(padding=...), RandomHorizontalFlip and additive noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnntool.errors import InputError


def _images(x: np.ndarray, what: str) -> tuple[int, int, int, int]:
    if x.ndim != 4:
        raise InputError(f"{what} works on image batches (N, C, H, W), got shape {x.shape}")
    n, c, h, w = x.shape
    return n, c, h, w


def _shift_each(x: np.ndarray, dy: np.ndarray, dx: np.ndarray, fill: float) -> np.ndarray:
    """Sample i moved down by dy[i] and right by dx[i] pixels; uncovered pixels take `fill`."""
    n, c, h, w = x.shape
    out = np.full_like(x, fill)
    for i in range(n):
        sy, sx = int(dy[i]), int(dx[i])
        if abs(sy) >= h or abs(sx) >= w:
            continue
        out[i, :, max(sy, 0) : h + min(sy, 0), max(sx, 0) : w + min(sx, 0)] = x[
            i, :, max(-sy, 0) : h + min(-sy, 0), max(-sx, 0) : w + min(-sx, 0)
        ]
    return out


@dataclass(frozen=True)
class RandomShift:
    """Move each image by up to `max_shift` pixels in each direction; uncovered pixels take `fill`."""

    max_shift: int = 2
    fill: float = 0.0

    def __post_init__(self) -> None:
        if self.max_shift < 0:
            raise InputError(f"shift must be at least 0, got {self.max_shift}")

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n, _, _, _ = _images(x, "a random shift")
        dy = rng.integers(-self.max_shift, self.max_shift + 1, size=n)
        dx = rng.integers(-self.max_shift, self.max_shift + 1, size=n)
        return _shift_each(x, dy, dx, self.fill)


@dataclass(frozen=True)
class HorizontalFlip:
    """Mirror each image left-right with probability `p` (never for digits or text: it changes them)."""

    p: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 <= self.p <= 1.0:
            raise InputError(f"flip probability must be in [0, 1], got {self.p}")

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n, _, _, _ = _images(x, "a horizontal flip")
        flip = rng.random(n) < self.p
        out = x.copy()
        out[flip] = x[flip][..., ::-1]
        return out


@dataclass(frozen=True)
class RandomCrop:
    """Pad every side by `padding` pixels of `fill`, then cut a random window of the original size.

    torchvision's RandomCrop(size, padding): the image moves by up to `padding` pixels, and the
    content that leaves one side is lost rather than wrapped round.
    """

    padding: int = 4
    fill: float = 0.0

    def __post_init__(self) -> None:
        if self.padding < 0:
            raise InputError(f"crop padding must be at least 0, got {self.padding}")

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n, _, h, w = _images(x, "a random crop")
        p = self.padding
        padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=self.fill)
        top = rng.integers(0, 2 * p + 1, size=n)
        left = rng.integers(0, 2 * p + 1, size=n)
        out = np.empty_like(x)
        for i in range(n):
            out[i] = padded[i, :, top[i] : top[i] + h, left[i] : left[i] + w]
        return out


@dataclass(frozen=True)
class GaussianNoise:
    """Add independent normal noise of standard deviation `std` to every number (any shape)."""

    std: float = 0.1

    def __post_init__(self) -> None:
        if not self.std >= 0.0:
            raise InputError(f"noise standard deviation must be at least 0, got {self.std}")

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return (x + rng.normal(0.0, self.std, size=x.shape)).astype(x.dtype, copy=False)


@dataclass(frozen=True)
class Compose:
    """Apply `transforms` one after another, all drawing from the same generator."""

    transforms: tuple = ()

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        for transform in self.transforms:
            x = transform(x, rng)
        return x
