"""The character-level text task and scikit-learn's digits (the optional extra)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from cnntool import budgets
from cnntool.data import load
from cnntool.data.digits import MissingExtraError
from cnntool.errors import CnnToolError, InputError

POEM = "the quick brown fox jumps over the lazy dog. " * 40 + "pack my box with five dozen liquor jugs! " * 10


def test_text_windows_and_next_characters(tmp_path) -> None:
    path = tmp_path / "poem.txt"
    path.write_text(POEM, encoding="utf-8")
    ds = load("text", file=str(path), seq_len=16, seed=1)
    vocab = ds.vocabulary
    assert vocab == tuple(sorted(set(POEM))) and ds.num_classes == len(vocab) == len(ds.class_names)
    assert ds.input_shape == (16,) and ds.input_spec == "16" and ds.x_train.dtype == np.int64
    cut = round(len(POEM) * 0.9)
    train_text, val_text = POEM[:cut], POEM[cut:]
    assert ds.sizes() == {"train": cut - 16, "val": len(POEM) - cut - 16}
    for split, part in (("train", train_text), ("val", val_text)):
        x, y = ds.splits()[split]
        for window, nxt in zip(x[:200], y[:200]):
            piece = "".join(vocab[i] for i in window) + vocab[nxt]
            assert piece in part  # each window and its next character come from its own part of the text
    again = load("text", file=str(path), seq_len=16, seed=1)
    other = load("text", file=str(path), seq_len=16, seed=2)
    assert np.array_equal(ds.x_train, again.x_train) and not np.array_equal(ds.x_train, other.x_train)


def test_text_refuses_bad_files(tmp_path) -> None:
    with pytest.raises(InputError, match="needs a text file"):
        load("text")
    with pytest.raises(InputError, match="cannot read text file"):
        load("text", file=str(tmp_path / "missing.txt"))
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"abc\xff\xfe")
    with pytest.raises(InputError, match=r"not UTF-8 text \(byte 3"):
        load("text", file=str(binary))
    short = tmp_path / "s.txt"
    short.write_text("hello world", encoding="utf-8")
    with pytest.raises(InputError, match="needs at least 650"):
        load("text", file=str(short), seq_len=64)
    big = tmp_path / "big.txt"
    with open(big, "wb") as handle:  # a sparse file: its size is refused before a byte is read
        handle.truncate(budgets.DATASET_TEXT_BYTES.limit + 1)
    with pytest.raises(CnnToolError, match="bytes of a text file to learn from"):
        load("text", file=str(big))


def test_digits_without_scikit_learn_says_how_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn now raises ImportError
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'cnntool\[digits\]'"):
        load("digits")


def test_digits_from_scikit_learn() -> None:
    datasets = pytest.importorskip(
        "sklearn.datasets", reason="scikit-learn (cnntool[digits]) is not installed"
    )
    ds = load("digits", seed=0)
    raw = datasets.load_digits()
    assert ds.input_shape == (1, 8, 8) and ds.sizes() == {"train": 1438, "val": 359}
    assert ds.x_train.min() == 0.0 and ds.x_train.max() == 1.0
    counts = np.bincount(raw.target, minlength=10)
    val_counts = np.bincount(ds.y_val, minlength=10)
    assert np.all(np.abs(val_counts - counts * 359 / 1797) < 1)  # stratified: each class keeps its share
    # Every image is one of scikit-learn's, scaled by 1/16, with its own label.
    flat = {tuple((img / 16.0).astype(np.float32).ravel()): int(t) for img, t in zip(raw.images, raw.target)}
    for x, y in zip(ds.x_train[:100], ds.y_train[:100]):
        assert flat[tuple(x.ravel())] == y
