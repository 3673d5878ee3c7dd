"""Augmentation transforms, normalisation from the training split only, the seeded stratified split."""

from __future__ import annotations

import numpy as np
import pytest

from cnntool.data import Dataset, batches, load, normalization_stats, split_indices
from cnntool.data.dataset import split_counts
from cnntool.data.transforms import Compose, GaussianNoise, HorizontalFlip, RandomCrop, RandomShift
from cnntool.errors import InputError


def _images(n: int = 6, c: int = 2, h: int = 5, w: int = 4) -> np.ndarray:
    return np.arange(n * c * h * w, dtype=np.float32).reshape(n, c, h, w) + 1


def test_random_shift_moves_each_image_by_its_own_offset() -> None:
    x = _images()
    out = RandomShift(max_shift=2, fill=0.0)(x, np.random.default_rng(3))
    rng = np.random.default_rng(3)
    dy, dx = rng.integers(-2, 3, size=6), rng.integers(-2, 3, size=6)
    for i in range(6):
        expected = np.zeros_like(x[i])
        for r in range(5):
            for c in range(4):
                if 0 <= r - dy[i] < 5 and 0 <= c - dx[i] < 4:
                    expected[:, r, c] = x[i, :, r - dy[i], c - dx[i]]
        assert np.array_equal(out[i], expected)
    assert np.array_equal(x, _images())  # the input is not changed


def test_horizontal_flip() -> None:
    x = _images(n=200)
    out = HorizontalFlip(p=0.5)(x, np.random.default_rng(0))
    flipped = [i for i in range(200) if not np.array_equal(out[i], x[i])]
    assert all(np.array_equal(out[i], x[i, :, :, ::-1]) for i in flipped)
    assert 70 < len(flipped) < 130
    assert np.array_equal(HorizontalFlip(p=1.0)(x, np.random.default_rng(0)), x[..., ::-1])


def test_random_crop_is_a_window_of_the_padded_image() -> None:
    x = _images(n=20)
    out = RandomCrop(padding=2, fill=-1.0)(x, np.random.default_rng(1))
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)), constant_values=-1.0)
    for i in range(20):
        windows = [padded[i, :, t : t + 5, s : s + 4] for t in range(5) for s in range(5)]
        assert any(np.array_equal(out[i], w) for w in windows)
    assert np.array_equal(RandomCrop(padding=0)(x, np.random.default_rng(1)), x)


def test_noise_and_compose_are_seeded() -> None:
    x = np.zeros((100, 1, 8, 8), dtype=np.float32)
    noisy = GaussianNoise(0.3)(x, np.random.default_rng(5))
    assert noisy.dtype == np.float32 and abs(noisy.std() - 0.3) < 0.01
    chain = Compose((RandomShift(1), HorizontalFlip(), GaussianNoise(0.1)))
    a = chain(_images(), np.random.default_rng(9))
    b = chain(_images(), np.random.default_rng(9))
    c = chain(_images(), np.random.default_rng(10))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    with pytest.raises(InputError, match=r"image batches \(N, C, H, W\)"):
        RandomShift(1)(np.zeros((3, 4)), np.random.default_rng(0))


def test_normalisation_uses_the_training_split_only() -> None:
    ds = load("shapes", n_train=60, n_val=12, seed=1)
    norm = ds.normalized()
    mean, std = ds.x_train.mean(), ds.x_train.std()
    assert norm.normalization.mean.shape == (1, 1, 1)
    assert np.allclose(norm.x_train, (ds.x_train - mean) / std, atol=1e-5)
    assert np.allclose(norm.x_val, (ds.x_val - mean) / std, atol=1e-5)  # the val split's own stats unused
    assert abs(norm.x_train.mean()) < 1e-5 and abs(norm.x_train.std() - 1) < 1e-4
    assert np.allclose(norm.normalization.invert(norm.x_val), ds.x_val, atol=1e-5)
    with pytest.raises(InputError, match="normalised already"):
        norm.normalized()


def test_normalisation_per_channel_and_per_feature() -> None:
    x = np.stack([np.full((4, 4), 2.0), np.arange(16.0).reshape(4, 4)])[None].repeat(3, axis=0)
    stats = normalization_stats(x.astype(np.float32))
    assert stats.mean.ravel().tolist() == [2.0, 7.5]
    assert stats.std.ravel()[0] == 1.0  # a constant channel is not divided by zero
    assert stats.std.ravel()[1] == pytest.approx(np.arange(16.0).std())
    seq = load("adding", n_train=500, n_val=10).x_train
    per_feature = normalization_stats(seq)
    assert per_feature.mean.shape == (1, 2)
    assert per_feature.mean[0, 1] == pytest.approx(2 / 50)  # two markers in fifty steps


def test_stratified_split_keeps_each_class_share() -> None:
    labels = np.array([0] * 50 + [1] * 30 + [2] * 20)
    assert split_counts(labels, 10) == {0: 5, 1: 3, 2: 2}
    assert split_counts(labels, 7) == {0: 4, 1: 2, 2: 1}  # 3.5, 2.1, 1.4: the largest remainder wins
    train, val = split_indices(100, 10, np.random.default_rng(0), labels)
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(100))
    assert np.bincount(labels[val]).tolist() == [5, 3, 2]
    train2, val2 = split_indices(100, 10, np.random.default_rng(0), labels)
    assert np.array_equal(train, train2) and np.array_equal(val, val2)
    with pytest.raises(InputError, match="cannot take 101"):
        split_indices(100, 101, np.random.default_rng(0))


def test_batches_cover_every_sample_once_and_augment() -> None:
    ds = load("xo", n_train=50, n_val=2)
    seen = []
    for xb, yb in batches(ds.x_train, ds.y_train, 16, np.random.default_rng(0), transform=GaussianNoise(0.0)):
        assert len(xb) <= 16 and len(xb) == len(yb)
        seen.append(xb)
    assert sum(len(b) for b in seen) == 50
    got = np.concatenate(seen)
    assert sorted(map(bytes, got)) == sorted(map(bytes, ds.x_train))


def test_dataset_checks_its_arrays() -> None:
    x = np.zeros((4, 1, 3, 3), dtype=np.float32)
    y = np.array([0, 1, 0, 2])
    common = dict(name="t", task="classification", x_val=x, y_val=y[:4] % 2, input_shape=(1, 3, 3), num_classes=2,
                  class_names=("a", "b"), description="", loss="cross_entropy")  # fmt: skip
    with pytest.raises(InputError, match=r"labels outside \[0, 2\)"):
        Dataset(x_train=x, y_train=y, **common)
    with pytest.raises(InputError, match="has 4 samples but 3 targets"):
        Dataset(x_train=x, y_train=y[:3] % 2, **common)
    with pytest.raises(InputError, match="not the declared 1×3×3"):
        Dataset(x_train=np.zeros((4, 1, 3, 2), np.float32), y_train=y % 2, **common)
