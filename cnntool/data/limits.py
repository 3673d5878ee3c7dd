"""Ranges of the datasets' options, and the checks that apply the work budgets to them.

The budgets themselves (numbers in a generated dataset, bytes of a text file, bytes of one
decompressed dataset file) live with every other budget in cnntool/budgets.py and are listed
in docs/budgets.md; this module holds the option ranges (sequence length, image side, ...)
and the checks a generator calls before it allocates anything.
"""

from __future__ import annotations

from cnntool import budgets
from cnntool.errors import InputError

#: Samples one generated split may hold (a student's laptop, not a cluster).
MAX_SAMPLES = 1_000_000
#: Longest generated sequence (time steps).
MAX_SEQ_LEN = 10_000
#: Side of a generated image.
MAX_IMAGE_SIDE = 256
#: Most distinct characters in a text to learn from (the embedding's vocabulary).
MAX_VOCABULARY = 5_000
#: Most windows cut from the text (more overlapping windows add little); int64 ids of 64 steps: 51 MB.
MAX_TEXT_WINDOWS = 100_000
#: Most dimensions an IDX header may announce (MNIST uses 1 and 3).
MAX_IDX_DIMS = 4
#: Members of the CIFAR-10 tarball looked at before giving up (the real one has 8).
MAX_TAR_MEMBERS = 64
#: Seconds without an answer from a download server before trying the next mirror.
DOWNLOAD_TIMEOUT_S = 30.0


def check_count(what: str, value: object, low: int, high: int) -> int:
    """`value` as an int in [low, high], or an InputError naming `what` and the range."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{what} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise InputError(f"{what} must be between {low:,} and {high:,}, got {value:,}")
    return value


def check_fraction(what: str, value: object, low: float = 0.0, high: float = 1.0) -> float:
    """`value` as a float in [low, high] (NaN refused), or an InputError naming `what`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise InputError(f"{what} must be a number, got {value!r}")
    if not low <= float(value) <= high:
        raise InputError(f"{what} must be between {low} and {high}, got {value}")
    return float(value)


def check_seed(seed: object) -> int:
    """A seed for np.random.default_rng: a whole number ≥ 0."""
    return check_count("seed", seed, 0, 2**63 - 1)


def check_sizes(what: str, n_train: object, n_val: object, per_sample: int) -> tuple[int, int]:
    """Validated (n_train, n_val): at least one sample each, within MAX_SAMPLES and the numbers budget."""
    train = check_count(f"{what}: n_train", n_train, 1, MAX_SAMPLES)
    val = check_count(f"{what}: n_val", n_val, 1, MAX_SAMPLES)
    budgets.check(
        budgets.DATASET_NUMBERS,
        (train + val) * per_sample,
        f"{what} with {train + val:,} samples of {per_sample:,} numbers",
    )
    return train, val
