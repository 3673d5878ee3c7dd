"""Budgets of the datasets package, checked before any array is allocated or any byte is read.

One module holds every limit (DESIGN.md rule 11), so the documentation (docs/datasets.md) and
the checks cannot drift apart. A file from the network or a user's folder is data from others:
its size is compared with what the catalogue expects before it is read, and a header that
announces absurd dimensions is refused before memory is reserved for them.
"""

from __future__ import annotations

from cnntool.errors import InputError

#: Samples one generated split may hold (a student's laptop, not a cluster).
MAX_SAMPLES = 1_000_000
#: Numbers (elements) one generated split may hold: 200 M float32 values are 800 MB.
MAX_ELEMENTS = 200_000_000
#: Longest generated sequence (time steps).
MAX_SEQ_LEN = 10_000
#: Side of a generated image.
MAX_IMAGE_SIDE = 256
#: Largest text file the character task reads (10 MiB of UTF-8).
MAX_TEXT_BYTES = 10 * 1024 * 1024
#: Most distinct characters in that text (the embedding's vocabulary).
MAX_VOCABULARY = 5_000
#: Most windows cut from the text for training (more overlapping windows add little).
MAX_TEXT_WINDOWS = 100_000
#: Largest decompressed IDX payload (MNIST's training images are 47 MB).
MAX_IDX_BYTES = 256 * 1024 * 1024
#: Most dimensions an IDX header may announce (MNIST uses 1 and 3).
MAX_IDX_DIMS = 4
#: Largest member read from the CIFAR-10 tarball (a batch is 30,730,000 bytes).
MAX_CIFAR_MEMBER_BYTES = 40 * 1024 * 1024
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


def check_elements(what: str, samples: int, per_sample: int) -> None:
    """Refuse a split of `samples` × `per_sample` numbers above MAX_ELEMENTS, before allocating it."""
    total = samples * per_sample
    if total > MAX_ELEMENTS:
        raise InputError(
            f"{what}: {samples:,} samples of {per_sample:,} numbers are {total:,} numbers; "
            f"the limit is {MAX_ELEMENTS:,} (use fewer samples or shorter ones)"
        )


def check_seed(seed: object) -> int:
    """A seed for np.random.default_rng: a whole number ≥ 0."""
    return check_count("seed", seed, 0, 2**63 - 1)


def check_sizes(what: str, n_train: object, n_val: object, per_sample: int) -> tuple[int, int]:
    """Validated (n_train, n_val): at least one sample each, within MAX_SAMPLES and MAX_ELEMENTS."""
    train = check_count(f"{what}: n_train", n_train, 1, MAX_SAMPLES)
    val = check_count(f"{what}: n_val", n_val, 1, MAX_SAMPLES)
    check_elements(what, train + val, per_sample)
    return train, val
