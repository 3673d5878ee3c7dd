"""MNIST, Fashion-MNIST and CIFAR-10 from their verified files in the cache (downloaded on request).

Images become float32 in [0, 1], (N, 1, 28, 28) or (N, 3, 32, 32); labels int64. The official
test split is kept as the test set, and a seeded stratified part of the official training split
becomes the validation set. `limit` keeps only the first `limit` samples of each official split,
for a quick experiment on a small machine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnntool.data import download, formats
from cnntool.data.catalog import CATALOG, DatasetInfo
from cnntool.data.dataset import Dataset, split_indices
from cnntool.data.limits import MAX_SAMPLES, check_count, check_fraction, check_seed
from cnntool.data.remote import REMOTES, Remote
from cnntool.errors import CnnToolError

DIGIT_NAMES = tuple(str(d) for d in range(10))
# The published class names (Zalando's README; torchvision uses the same list).
FASHION_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                 "Ankle boot")  # fmt: skip
# batches.meta.txt of the CIFAR-10 binary tarball, in label order.
CIFAR10_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CLASS_NAMES = {"mnist": DIGIT_NAMES, "fashion-mnist": FASHION_NAMES, "cifar10": CIFAR10_NAMES}


class NotCachedError(CnnToolError):
    """A dataset that needs files which are not in the cache, and downloading was not allowed."""


def cached_files(
    remote: Remote, *, root: Path | None = None, download_missing: bool = True, progress=None
) -> dict[str, Path]:
    """Paths of the verified files of `remote`, downloading the missing ones when allowed."""
    if not download_missing:
        folder = download.dataset_dir(remote, root)
        if not all(download.verified_in_cache(f, folder / f.name) for f in remote.files):
            raise NotCachedError(
                f"{remote.dataset} is not (whole) in the dataset cache {folder}; fetch it first"
            )
        return {f.name: folder / f.name for f in remote.files}
    result = download.fetch(remote, root=root, progress=progress)
    return {f.name: f.path for f in result.files}


def _limited(x: np.ndarray, y: np.ndarray, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    return (x, y) if limit is None else (x[:limit], y[:limit])


def _assemble(
    info: DatasetInfo, train, test, *, seed: int, val_fraction: float, limit: int | None
) -> Dataset:
    """Scale to [0, 1], split validation from the official training images, keep the test split."""
    (x, y), (x_test, y_test) = _limited(*train, limit), _limited(*test, limit)
    n_val = int(round(len(x) * val_fraction))
    if not 1 <= n_val < len(x):
        raise CnnToolError(f"{info.name}: {len(x):,} training images cannot give {n_val:,} for validation")
    rng = np.random.default_rng(seed)
    tr, va = split_indices(len(x), n_val, rng, y)

    def scaled(images: np.ndarray) -> np.ndarray:
        return images.astype(np.float32) / np.float32(255.0)

    names = CLASS_NAMES[info.name]
    return Dataset(
        name=info.name, task=info.task,
        x_train=scaled(x[tr]), y_train=y[tr].astype(np.int64),
        x_val=scaled(x[va]), y_val=y[va].astype(np.int64),
        x_test=scaled(x_test), y_test=y_test.astype(np.int64),
        input_shape=info.input_shape, num_classes=len(names), class_names=names,
        description=info.description, loss="cross_entropy",
        options={"seed": seed, "val_fraction": val_fraction, "limit": limit},
    )  # fmt: skip


def _idx_pair(paths: dict[str, Path], prefix: str, info: DatasetInfo) -> tuple[np.ndarray, np.ndarray]:
    images = formats.read_idx(paths[f"{prefix}-images-idx3-ubyte.gz"])
    labels = formats.read_idx(paths[f"{prefix}-labels-idx1-ubyte.gz"])
    where = f"{info.name} {prefix} files"
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != info.input_shape[1:]:
        raise formats.FormatError(f"{where}: images are {images.dtype} {images.shape}, not uint8 N×28×28")
    if labels.ndim != 1 or len(labels) != len(images) or (len(labels) and labels.max() > 9):
        raise formats.FormatError(
            f"{where}: {labels.shape} labels do not fit {len(images):,} images of 10 classes"
        )
    return images[:, None], labels


def _options(seed: int, val_fraction: float, limit: int | None) -> None:
    check_seed(seed)
    check_fraction("val_fraction", val_fraction, 0.001, 0.9)
    if limit is not None:
        check_count("limit", limit, 2, MAX_SAMPLES)


def idx_dataset(name: str, *, seed: int = 0, val_fraction: float | None = None, limit: int | None = None,
                root: Path | None = None, download_missing: bool = True, progress=None) -> Dataset:  # fmt: skip
    """MNIST or Fashion-MNIST (`name`), from the four IDX files of REMOTES[name]."""
    info = CATALOG[name]
    val_fraction = info.defaults["val_fraction"] if val_fraction is None else val_fraction
    _options(seed, val_fraction, limit)
    paths = cached_files(REMOTES[name], root=root, download_missing=download_missing, progress=progress)
    train, test = _idx_pair(paths, "train", info), _idx_pair(paths, "t10k", info)
    return _assemble(info, train, test, seed=seed, val_fraction=val_fraction, limit=limit)


def mnist(**options) -> Dataset:
    """MNIST: idx_dataset("mnist", seed=..., val_fraction=..., limit=..., root=..., download_missing=...)."""
    return idx_dataset("mnist", **options)


def fashion_mnist(**options) -> Dataset:
    """Fashion-MNIST: the options of idx_dataset."""
    return idx_dataset("fashion-mnist", **options)


def cifar10(*, seed: int = 0, val_fraction: float | None = None, limit: int | None = None,
            root: Path | None = None, download_missing: bool = True, progress=None) -> Dataset:  # fmt: skip
    """CIFAR-10 from the binary tarball: five training batches and the test batch."""
    info = CATALOG["cifar10"]
    val_fraction = info.defaults["val_fraction"] if val_fraction is None else val_fraction
    _options(seed, val_fraction, limit)
    remote = REMOTES["cifar10"]
    paths = cached_files(remote, root=root, download_missing=download_missing, progress=progress)
    tarball = paths[remote.files[0].name]
    members = formats.read_cifar_tar(tarball)
    parts = [formats.read_cifar_batch(members.pop(n), f"{tarball}: {n}") for n in formats.CIFAR_TRAIN]
    train = (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
    test = formats.read_cifar_batch(members[formats.CIFAR_TEST], f"{tarball}: {formats.CIFAR_TEST}")
    return _assemble(info, train, test, seed=seed, val_fraction=val_fraction, limit=limit)
