"""scikit-learn's 8×8 handwritten digits, through the optional extra `cnntool[digits]`.

The 1,797 images ship inside scikit-learn (no download), values 0 … 16, here scaled to 0 … 1
as (N, 1, 8, 8) float32. scikit-learn publishes no test split, so there are train and
validation only (a seeded stratified split).
"""

from __future__ import annotations

import numpy as np

from cnntool.data.catalog import CATALOG
from cnntool.data.dataset import Dataset, from_pool
from cnntool.data.limits import check_count, check_seed
from cnntool.errors import CnnToolError

_DIGITS = CATALOG["digits"].defaults
INSTALL_HINT = "pip install 'cnntool[digits]' (it installs scikit-learn)"


class MissingExtraError(CnnToolError):
    """An optional dependency that a dataset needs is not installed; the message says how to install it."""


def sklearn_digits():
    """scikit-learn's load_digits() result, or MissingExtraError saying how to install it."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise MissingExtraError(
            f"the digits dataset needs scikit-learn, which is not installed: {INSTALL_HINT}"
        ) from None
    return load_digits()


def digits(*, seed: int = 0, n_val: int = _DIGITS["n_val"]) -> Dataset:
    """The 1,797 digits split by `seed` into 1,797 − n_val training and n_val validation images."""
    seed = check_seed(seed)
    bunch = sklearn_digits()
    images = np.asarray(bunch.images, dtype=np.float32)
    check_count("n_val", n_val, 1, len(images) - 1)
    x = (images / 16.0)[:, None]
    y = np.asarray(bunch.target, dtype=np.int64)
    rng = np.random.default_rng(seed)
    names = tuple(str(d) for d in range(10))
    return from_pool(CATALOG["digits"], x, y, n_val, rng, loss="cross_entropy", class_names=names,
                     options={"seed": seed, "n_val": n_val})  # fmt: skip
