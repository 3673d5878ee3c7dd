"""Datasets to train on: generated lecture sets, scikit-learn's digits, and verified public downloads.

Pure NumPy, independent of the engine (it never imports cnntool.engine), and never imported by
the shape commands. Start with `load`:

    from cnntool.data import load
    ds = load("xo", seed=0)        # Dataset: x_train, y_train, x_val, y_val, input_shape, loss, ...

`CATALOG` lists the names; docs/datasets.md describes each dataset, the cache and the checksums.
"""

from __future__ import annotations

from cnntool.data.catalog import CATALOG, DatasetInfo, UnknownDatasetError, resolve
from cnntool.data.dataset import Dataset, Normalization, batches, normalization_stats, split_indices
from cnntool.data.download import FetchError, FetchResult, ImportFilesError, data_dir
from cnntool.data.loader import fetch, listing, load, options_of

__all__ = [
    "CATALOG",
    "Dataset",
    "DatasetInfo",
    "FetchError",
    "FetchResult",
    "ImportFilesError",
    "Normalization",
    "UnknownDatasetError",
    "batches",
    "data_dir",
    "fetch",
    "listing",
    "load",
    "normalization_stats",
    "options_of",
    "resolve",
    "split_indices",
]
