"""Character-level next-character prediction on a text file the user gives.

The vocabulary is the file's distinct characters in sorted order (id i is vocabulary[i]), so the
same file always gives the same ids. A sample is a window of `seq_len` character ids (N, T)
int64, for an embedding (`64 | embedding V 16 | lstm 128 return_sequences=false | dense V`), and
its label is the id of the character that follows.

Train and validation come from different parts of the text (the first 1 − val_fraction of it and
the rest): windows overlap, so a random split would put almost every validation window's text
in the training set too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnntool import budgets
from cnntool.data.catalog import CATALOG
from cnntool.data.dataset import Dataset
from cnntool.data.limits import (
    MAX_SEQ_LEN,
    MAX_TEXT_WINDOWS,
    MAX_VOCABULARY,
    check_count,
    check_fraction,
    check_seed,
)
from cnntool.errors import InputError

_TEXT = CATALOG["text"].defaults


def read_text(path: Path | str) -> str:
    """The file's text, refused before reading when over the text budget (cnntool.budgets), or not UTF-8."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InputError(f"text file {path} is not a file")
    except OSError as error:
        raise InputError(f"cannot read text file {path}: {error.strerror or error}") from None
    budgets.check(budgets.DATASET_TEXT_BYTES, size, f"text file {path}")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read text file {path}: {error.strerror or error}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            f"text file {path} is not UTF-8 text (byte {error.start:,} cannot be decoded)"
        ) from None


def _windows(
    ids: np.ndarray, seq_len: int, limit: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Every window of seq_len ids with the id after it (a seeded random `limit` of them when more), shuffled."""
    starts = np.arange(len(ids) - seq_len)
    starts = rng.choice(starts, size=limit, replace=False) if len(starts) > limit else rng.permutation(starts)
    return ids[starts[:, None] + np.arange(seq_len)], ids[starts + seq_len]


def text(
    file: Path | str,
    *,
    seed: int = 0,
    seq_len: int = _TEXT["seq_len"],
    val_fraction: float = _TEXT["val_fraction"],
) -> Dataset:
    """Windows of `seq_len` character ids from `file` and the next character's id; train and validation
    come from the first 1 − val_fraction of the text and the rest."""
    path = file
    seed = check_seed(seed)
    check_count("seq_len", seq_len, 1, MAX_SEQ_LEN)
    check_fraction("val_fraction", val_fraction, 0.01, 0.5)
    content = read_text(path)
    vocabulary = tuple(sorted(set(content)))
    if len(vocabulary) > MAX_VOCABULARY:
        raise InputError(
            f"text file {path} has {len(vocabulary):,} distinct characters; the limit is {MAX_VOCABULARY:,}"
        )
    lookup = {ch: i for i, ch in enumerate(vocabulary)}
    ids = np.fromiter((lookup[ch] for ch in content), dtype=np.int64, count=len(content))
    cut = int(round(len(ids) * (1.0 - val_fraction)))
    need = seq_len + 1
    if cut < need or len(ids) - cut < need:
        minimum = int(np.ceil(need / min(val_fraction, 1 - val_fraction)))
        raise InputError(
            f"text file {path} has {len(ids):,} characters; with seq_len {seq_len} and val_fraction "
            f"{val_fraction} it needs at least {minimum:,}"
        )
    rng = np.random.default_rng(seed)
    n_val_windows = max(1, int(MAX_TEXT_WINDOWS * val_fraction))
    x_train, y_train = _windows(ids[:cut], seq_len, MAX_TEXT_WINDOWS - n_val_windows, rng)
    x_val, y_val = _windows(ids[cut:], seq_len, n_val_windows, rng)
    info = CATALOG["text"]
    return Dataset(
        name=info.name,
        task=info.task,
        x_train=x_train,
        y_train=y_train,
        x_val=x_val,
        y_val=y_val,
        input_shape=(seq_len,),
        num_classes=len(vocabulary),
        class_names=vocabulary,
        description=f"{info.description}: {Path(path).name}, {len(ids):,} characters",
        loss="cross_entropy",
        vocabulary=vocabulary,
        options={"seed": seed, "seq_len": seq_len, "val_fraction": val_fraction, "file": str(path)},
    )
