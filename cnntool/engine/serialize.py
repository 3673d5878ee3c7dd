"""Save and load a model (and optimizer state) as one .npz, atomically and with checks.

Layout of the file: ``__format__`` (version), ``__spec__`` (the spec text), ``__dtype__``,
``state/<name>`` for every state_dict entry, ``optim/<key>`` and ``__optim__`` (class name)
when an optimizer was saved. Saving writes a temporary file in the same folder, flushes
it to disk and renames it over the target, so a crash never leaves a truncated file where
a good one was. Loading rebuilds the model from the spec and refuses any array whose name,
shape or dtype differ, naming it.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from cnntool.errors import CnnToolError

FORMAT = 1


def save(model, path, optimizer=None) -> None:
    """Write `model` (and `optimizer.state_dict()`) to `path` atomically."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {
        "__format__": np.asarray(FORMAT),
        "__spec__": np.asarray(model.spec),
        "__dtype__": np.asarray(model.dtype.name),
    }
    arrays |= {f"state/{k}": np.asarray(v) for k, v in model.state_dict().items()}
    if optimizer is not None:
        arrays["__optim__"] = np.asarray(type(optimizer).__name__)
        arrays |= {f"optim/{k}": np.asarray(v) for k, v in optimizer.state_dict().items()}
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise CnnToolError(f"{path}: no such model file") from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise CnnToolError(
            f"{path}: not a readable cnntool model (corrupt or truncated .npz: {exc})"
        ) from None


def load(path, dtype=None):
    """The Model saved at `path`; `model.optimizer_state` holds the saved optimizer state ({} if none).

    Raises CnnToolError naming the array when a name, shape or dtype differs from what the spec builds.
    """
    from cnntool.engine.model import build

    path = Path(path)
    data = _read(path)
    for key in ("__format__", "__spec__", "__dtype__"):
        if key not in data:
            raise CnnToolError(f"{path}: not a cnntool model file (missing {key})")
    if int(data["__format__"]) != FORMAT:
        raise CnnToolError(f"{path}: file format {int(data['__format__'])}, this cnntool reads {FORMAT}")
    saved_dtype = str(data["__dtype__"])
    model = build(str(data["__spec__"]), dtype=saved_dtype, check_shapes=False)
    own = model.state_dict()
    state = {k[len("state/") :]: v for k, v in data.items() if k.startswith("state/")}
    for name in own:
        if name not in state:
            raise CnnToolError(
                f"{path}: array {name!r} is missing (the spec builds it with shape {own[name].shape})"
            )
    for name, value in state.items():
        if name not in own:
            raise CnnToolError(f"{path}: unexpected array {name!r} (shape {value.shape}) for this spec")
        if value.shape != own[name].shape or value.dtype != own[name].dtype:
            raise CnnToolError(
                f"{path}: array {name!r} expected {own[name].dtype}{own[name].shape}, found {value.dtype}{value.shape}"
            )
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            raise CnnToolError(f"{path}: array {name!r} contains NaN or infinite values")
    model.load_state_dict(state)
    model.optimizer_state = {k[len("optim/") :]: v for k, v in data.items() if k.startswith("optim/")}
    model.optimizer_class = str(data["__optim__"]) if "__optim__" in data else ""
    if dtype is not None and np.dtype(dtype) != model.dtype:
        raise CnnToolError(f"{path}: saved as {saved_dtype}, asked for {np.dtype(dtype)}")
    return model
