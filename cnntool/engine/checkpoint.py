"""Checkpoints: a model (and optimizer state) as one .npz file, written atomically, read as data.

Layout: ``__format__`` (version), ``__spec__`` (the spec text), ``__dtype__``, ``state/<name>`` for
every state_dict entry, ``optim/<key>`` and ``__optim__`` (class name) when an optimizer was
saved. Arrays are always written from the host (NumPy), so a checkpoint saved from any device
loads on any other. Reading never unpickles (`allow_pickle=False`); what a file claims is
checked before it is used. Turning a checkpoint back into a Model is `engine.build.load`, which
rebuilds the network from the saved spec; this module imports nothing that builds.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cnntool.engine.backend import backend_of
from cnntool.errors import CnnToolError
from cnntool.files import atomic_write

FORMAT = 1


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint file holds, validated as data (names and shapes are checked against the
    rebuilt model by `Model.load_state_dict`)."""

    path: Path
    spec: str
    dtype: str
    state: dict[str, np.ndarray] = field(repr=False)
    optimizer_state: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    optimizer_class: str = ""


def save(model: Any, path: str | Path, optimizer: Any = None) -> None:
    """Write `model` (and `optimizer.state_dict()`) to `path` atomically, arrays as NumPy."""

    def host(value: Any) -> np.ndarray:
        return backend_of(value).to_numpy(value)

    arrays: dict[str, np.ndarray] = {
        "__format__": np.asarray(FORMAT),
        "__spec__": np.asarray(model.spec),
        "__dtype__": np.asarray(model.dtype.name),
    }
    arrays |= {f"state/{k}": host(v) for k, v in model.state_dict().items()}
    if optimizer is not None:
        arrays["__optim__"] = np.asarray(type(optimizer).__name__)
        arrays |= {f"optim/{k}": host(v) for k, v in optimizer.state_dict().items()}
    atomic_write(path, lambda handle: np.savez(handle, **arrays))


def _arrays(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise CnnToolError(f"{path}: no such model file") from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise CnnToolError(
            f"{path}: not a readable cnntool model (corrupt or truncated .npz: {exc})"
        ) from None


def read(path: str | Path) -> Checkpoint:
    """The checkpoint at `path`; CnnToolError naming the file when it is not a cnntool model."""
    path = Path(path)
    data = _arrays(path)
    for key in ("__format__", "__spec__", "__dtype__"):
        if key not in data:
            raise CnnToolError(f"{path}: not a cnntool model file (missing {key})")
    if int(data["__format__"]) != FORMAT:
        raise CnnToolError(f"{path}: file format {int(data['__format__'])}, this cnntool reads {FORMAT}")
    return Checkpoint(
        path=path,
        spec=str(data["__spec__"]),
        dtype=str(data["__dtype__"]),
        state={k[len("state/") :]: v for k, v in data.items() if k.startswith("state/")},
        optimizer_state={k[len("optim/") :]: v for k, v in data.items() if k.startswith("optim/")},
        optimizer_class=str(data["__optim__"]) if "__optim__" in data else "",
    )
