"""`load(name)`: any catalogued dataset by name, with its options checked; `fetch` and `listing`.

This is the API a trainer uses (`cnntool train`, experiments, notebooks):

    from cnntool.data import load
    ds = load("xo", seed=1)                    # generated: same seed, same arrays
    ds = load("adding", seq_len=100)           # options of the generator
    ds = load("text", file="poem.txt")         # the character task needs a file
    ds = load("mnist", limit=5000)             # downloaded once, verified, cached
    ds = ds.normalized()                       # statistics of the training split only
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cnntool.data import chars, digits, download, images, public, sequences
from cnntool.data.catalog import CATALOG, DatasetInfo, resolve
from cnntool.data.dataset import Dataset
from cnntool.data.remote import REMOTES
from cnntool.errors import InputError
from cnntool.text import did_you_mean

BUILDERS: dict[str, Callable[..., Dataset]] = {
    "xo": images.xo,
    "shapes": images.shapes,
    "sine": sequences.sine,
    "adding": sequences.adding,
    "copy": sequences.copy,
    "parity": sequences.parity,
    "text": chars.text,
    "digits": digits.digits,
    "mnist": public.mnist,
    "fashion-mnist": public.fashion_mnist,
    "cifar10": public.cifar10,
}


def options_of(name: str) -> list[str]:
    """The options `load(name, ...)` accepts (the builder's keyword parameters)."""
    info = resolve(name)
    builder = BUILDERS[info.name]
    if info.needs_download:
        builder = public.cifar10 if info.name == "cifar10" else public.idx_dataset
    params = inspect.signature(builder).parameters
    return [
        p for p, v in params.items() if v.kind in (v.KEYWORD_ONLY, v.POSITIONAL_OR_KEYWORD) and p != "name"
    ]


def load(name: str, **options: Any) -> Dataset:
    """The dataset `name` built with `options` (seed=0 unless given).

    Raises UnknownDatasetError (with the closest name), InputError for an unknown or bad option,
    MissingExtraError for digits without scikit-learn, FetchError when a download fails.
    """
    info = resolve(name)
    accepted = options_of(info.name)
    for key in options:
        if key not in accepted:
            hint = did_you_mean(key, accepted)
            raise InputError(
                f"{info.name} has no option '{key}'"
                + (f"; {hint}" if hint else "")
                + f" (options: {', '.join(accepted)})"
            )
    if info.name == "text" and options.get("file") is None:
        raise InputError("the text dataset needs a text file to learn from (option file=PATH)")
    return BUILDERS[info.name](**options)


def fetch(
    name: str,
    *,
    source_dir: Path | None = None,
    root: Path | None = None,
    progress: download.Progress | None = None,
    how_to_import: str = "",
) -> download.FetchResult | None:
    """Put a downloadable dataset's verified files in the cache (from the network or `source_dir`).

    Returns None for a dataset that needs no files (generated, or shipped by an installed extra);
    raises MissingExtraError when the extra is not installed.
    """
    info = resolve(name)
    if info.origin == "extra":
        digits.sklearn_digits()  # raises MissingExtraError with the install command
        return None
    if not info.needs_download:
        return None
    return download.fetch(REMOTES[info.name], root=root, source_dir=source_dir, progress=progress,
                          how_to_import=how_to_import)  # fmt: skip


def _available(info: DatasetInfo) -> bool:
    if info.origin != "extra":
        return True
    import importlib.util

    return importlib.util.find_spec("sklearn") is not None


def listing(root: Path | None = None) -> list[dict[str, Any]]:
    """Every catalogued dataset as plain data (for `cnntool data list`): shape, sizes, download, cached."""
    out = []
    for info in CATALOG.values():
        remote = REMOTES.get(info.name)
        out.append(
            {
                "name": info.name,
                "task": info.task,
                "input_shape": list(info.input_shape),
                "num_classes": info.num_classes,
                "sizes": dict(info.sizes) if info.sizes is not None else None,
                "origin": info.origin,
                "download": info.needs_download,
                "download_bytes": info.download_bytes,
                "cached": download.is_cached(remote, root) if remote is not None else None,
                "extra": info.extra,
                "available": _available(info),
                "options": options_of(info.name),
                "description": info.description,
            }
        )
    return out
