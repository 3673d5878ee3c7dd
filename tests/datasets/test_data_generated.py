"""The generated datasets: shapes as catalogued, balanced labels, determinism by seed, and each
task's targets recomputed here independently of the generator."""

from __future__ import annotations

import numpy as np
import pytest

from cnntool.data import CATALOG, load, resolve
from cnntool.data.images import SHAPE_CLASSES, letter_image, slide_letter
from cnntool.errors import CnnToolError, InputError

GENERATED = [name for name, info in CATALOG.items() if info.origin == "generated"]

# The 9x9 X of the X/O slides, typed from the slide (1 = stroke, 0 = background).
SLIDE_X = """
000000000
010000010
001000100
000101000
000010000
000101000
001000100
010000010
000000000
"""
SLIDE_O = """
000000000
000111000
001000100
010000010
010000010
010000010
001000100
000111000
000000000
"""


def _grid(text: str) -> np.ndarray:
    return np.array([[1.0 if c == "1" else -1.0 for c in row] for row in text.split()], dtype=np.float32)


def test_generated_names_are_the_catalogued_ones() -> None:
    assert GENERATED == ["xo", "shapes", "sine", "adding", "copy", "parity"]


@pytest.mark.parametrize("name", GENERATED)
def test_default_dataset_matches_its_catalogue_entry(name: str) -> None:
    info = CATALOG[name]
    ds = load(name)
    assert ds.input_shape == info.input_shape
    assert ds.sizes() == info.sizes
    assert ds.num_classes == info.num_classes and ds.task == info.task
    assert ds.x_train.shape == (info.sizes["train"], *info.input_shape)
    assert ds.x_val.shape == (info.sizes["val"], *info.input_shape)
    assert ds.x_train.dtype == np.float32 and ds.x_test is None
    assert ds.input_spec == "x".join(map(str, info.input_shape))
    if ds.task == "regression":
        assert (
            ds.loss == "mse" and ds.y_train.dtype == np.float32 and ds.y_train.shape == (len(ds.x_train), 1)
        )
    else:
        assert ds.loss == "cross_entropy" and ds.y_train.dtype == np.int64
    assert ds.options["seed"] == 0


@pytest.mark.parametrize("name", GENERATED)
def test_same_seed_same_arrays_other_seed_other_arrays(name: str) -> None:
    a, b, c = load(name, seed=7), load(name, seed=7), load(name, seed=8)
    for split in ("train", "val"):
        xa, ya = a.splits()[split]
        xb, yb = b.splits()[split]
        xc, _ = c.splits()[split]
        assert np.array_equal(xa, xb) and np.array_equal(ya, yb)
        assert not np.array_equal(xa, xc)


@pytest.mark.parametrize(("name", "classes"), [("xo", 2), ("shapes", 6), ("parity", 2)])
def test_labels_are_balanced_in_both_splits(name: str, classes: int) -> None:
    ds = load(name, seed=3)
    n_train, n_val = ds.sizes()["train"], ds.sizes()["val"]
    assert np.bincount(ds.y_train, minlength=classes).tolist() == [n_train // classes] * classes
    assert np.bincount(ds.y_val, minlength=classes).tolist() == [n_val // classes] * classes


def test_slide_letters_are_the_lecture_images() -> None:
    assert np.array_equal(slide_letter("x"), _grid(SLIDE_X))
    assert np.array_equal(slide_letter("O"), _grid(SLIDE_O))
    assert np.array_equal(letter_image("x", shift=(0, 0), thickness=1, noise=0.0), _grid(SLIDE_X))


def test_xo_without_variation_reproduces_the_slides_exactly() -> None:
    ds = load("xo", max_shift=0, thickness=(1,), noise=0.0, n_train=10, n_val=4)
    for x, y in zip(np.concatenate([ds.x_train, ds.x_val]), np.concatenate([ds.y_train, ds.y_val])):
        assert np.array_equal(x[0], _grid(SLIDE_X if y == 0 else SLIDE_O))


def test_xo_shift_and_thickness() -> None:
    x = _grid(SLIDE_X)
    moved = letter_image("x", shift=(1, -1))
    assert np.array_equal(moved[1:, :-1], x[:-1, 1:])  # one row down, one column left
    assert (moved[0] == -1).all() and (moved[:, -1] == -1).all()
    thick = letter_image("x", thickness=2)
    strokes = {(r, c) for r, c in zip(*np.nonzero(x > 0))}
    widened = {(r + dr, c + dc) for r, c in strokes for dr in (0, 1) for dc in (0, 1)}
    assert {(r, c) for r, c in zip(*np.nonzero(thick > 0))} == widened
    noisy = load("xo", noise=0.5, max_shift=0, thickness=(1,), n_train=200, n_val=2)
    residual = noisy.x_train[:, 0] - np.where(noisy.y_train[:, None, None] == 0, x, _grid(SLIDE_O))
    assert abs(residual.std() - 0.5) < 0.02 and abs(residual.mean()) < 0.02


def test_adding_targets_are_the_sums_of_the_marked_values() -> None:
    ds = load("adding", seq_len=30, n_train=300, n_val=50, seed=5)
    assert ds.input_shape == (30, 2)
    for x, y in zip(ds.x_train, ds.y_train):
        marked = [t for t in range(30) if x[t, 1] == 1.0]
        assert len(marked) == 2 and marked[0] < 15 <= marked[1]
        assert set(np.unique(x[:, 1])) == {0.0, 1.0}
        assert y[0] == pytest.approx(float(x[marked[0], 0]) + float(x[marked[1], 0]), abs=1e-6)
    assert ds.x_train[:, :, 0].min() >= 0.0 and ds.x_train[:, :, 0].max() <= 1.0


def test_adding_default_length_is_fifty() -> None:
    ds = load("adding", n_train=2, n_val=1)
    assert ds.input_shape == (50, 2) and ds.input_spec == "50x2"


def test_sine_target_continues_the_wave() -> None:
    # A noise-free sine obeys x[t+1] = 2·cos(ω)·x[t] − x[t−1]: recover cos(ω) from the input alone.
    ds = load("sine", noise=0.0, seq_len=12, n_train=200, n_val=10, seed=2)
    x, y = ds.x_train[:, :, 0].astype(np.float64), ds.y_train[:, 0]
    for seq, target in zip(x, y):
        t = int(np.argmax(np.abs(seq[1:-1]))) + 1  # the largest |x[t]| gives the best estimate
        cos_w = (seq[t + 1] + seq[t - 1]) / (2 * seq[t])
        assert target == pytest.approx(2 * cos_w * seq[-1] - seq[-2], abs=2e-4)


def test_copy_targets_repeat_the_symbols_after_the_delay() -> None:
    ds = load("copy", length=3, delay=4, symbols=5, n_train=50, n_val=5)
    assert ds.input_shape == (10, 7) and ds.num_classes == 6 and ds.y_train.shape == (50, 10)
    ids = ds.x_train.argmax(axis=2)
    assert (ds.x_train.sum(axis=2) == 1).all()
    assert (ids[:, 6] == 6).all()  # the delimiter, symbols + 1, at step length + delay − 1
    assert (ids[:, 3:6] == 0).all() and (ids[:, 7:] == 0).all()
    assert (ds.y_train[:, :7] == 0).all()
    assert np.array_equal(ds.y_train[:, 7:], ids[:, :3])
    assert ids[:, :3].min() >= 1 and ids[:, :3].max() <= 5


def test_parity_labels_count_the_ones() -> None:
    ds = load("parity", seq_len=7, n_train=400, n_val=100, seed=9)
    bits = ds.x_train[:, :, 0]
    assert set(np.unique(bits)) == {0.0, 1.0}
    assert np.array_equal(ds.y_train, bits.sum(axis=1).astype(np.int64) % 2)
    assert len({tuple(row) for row in bits}) > 100  # many different sequences, not a few patterns


def _cells(mask: np.ndarray) -> list[tuple[int, int]]:
    return [(int(r), int(c)) for r, c in zip(*np.nonzero(mask))]


def test_shapes_are_what_their_labels_say() -> None:
    ds = load("shapes", noise=0.0, n_train=120, n_val=6, seed=4)
    assert ds.class_names == SHAPE_CLASSES
    for x, y in zip(ds.x_train, ds.y_train):
        cells = _cells(x[0] > 0)
        rows, cols = [r for r, _ in cells], [c for _, c in cells]
        assert min(rows) >= 1 and max(rows) <= 14 and min(cols) >= 1 and max(cols) <= 14
        kind = SHAPE_CLASSES[y]
        if kind.startswith("line"):
            assert len(cells) >= 8
            key = {"line-0": lambda r, c: r, "line-90": lambda r, c: c,
                   "line-45": lambda r, c: r + c, "line-135": lambda r, c: r - c}[kind]  # fmt: skip
            assert len({key(r, c) for r, c in cells}) == 1, kind
        elif kind == "cross":
            centre_r = max(set(rows), key=rows.count)
            centre_c = max(set(cols), key=cols.count)
            assert all(r == centre_r or c == centre_c for r, c in cells)
            assert rows.count(centre_r) == cols.count(centre_c) >= 5
        else:
            top, bottom, left, right = min(rows), max(rows), min(cols), max(cols)
            assert bottom - top == right - left >= 3
            assert len(cells) == 4 * (bottom - top)
            assert all(r in (top, bottom) or c in (left, right) for r, c in cells)


def test_bad_options_say_what_to_fix() -> None:
    with pytest.raises(InputError, match="did you mean 'n_train'"):
        load("xo", n_trian=5)
    with pytest.raises(InputError, match="n_train must be between 1"):
        load("xo", n_train=0)
    with pytest.raises(InputError, match="seq_len must be a whole number"):
        load("adding", seq_len=2.5)
    with pytest.raises(CnnToolError, match="numbers in one generated dataset"):
        load("adding", seq_len=10_000, n_train=20_000, n_val=1)
    with pytest.raises(CnnToolError, match="did you mean 'parity'"):
        resolve("partiy")
    assert resolve("FASHION_MNIST").name == "fashion-mnist" and resolve("cifar-10").name == "cifar10"
