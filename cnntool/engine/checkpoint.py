"""Checkpoints: a model (and optimizer state) as one .npz file, written atomically, read as data.

Layout: ``__format__`` (version), ``__spec__`` (the spec text), ``__dtype__``, ``state/<name>`` for
every state_dict entry, ``optim/<key>`` and ``__optim__`` (class name) when an optimizer was
saved, and ``extra/<key>`` for what a caller keeps beside the model (a training run's generators
and position, the dataset's class names): numbers, or one text (JSON) per key. Arrays are always written from the host (NumPy), so a checkpoint saved from any device
loads on any other. Reading never unpickles (`allow_pickle=False`); what a file claims is
checked before it is used. Turning a checkpoint back into a Model is `engine.build.load`, which
rebuilds the network from the saved spec; this module imports nothing that builds.
"""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cnntool import budgets
from cnntool.engine.backend import backend_of
from cnntool.errors import CnnToolError, OutputExistsError
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
    extra: dict[str, np.ndarray] = field(repr=False, default_factory=dict)


def is_checkpoint(path: Path) -> bool:
    """Whether `path` is a cnntool model file (a zip holding __format__), from its directory only."""
    try:
        with zipfile.ZipFile(path) as archive:
            return "__format__.npy" in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def save(
    model: Any,
    path: str | Path,
    optimizer: Any = None,
    force: bool = False,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write `model` (and `optimizer.state_dict()`) to `path` atomically, arrays as NumPy.

    An existing cnntool model at `path` is replaced; any other existing file (a dataset, a script,
    a folder) is refused unless `force`, so a mistyped path cannot destroy someone's work.
    `extra` maps names to arrays of numbers or to one text each (stored as ``extra/<name>``).
    """
    path = Path(path)
    if path.is_dir():
        raise CnnToolError(f"{path} is a folder; give a file name such as {path / 'model.npz'}")
    if not force and (path.exists() or path.is_symlink()) and not is_checkpoint(path):
        raise OutputExistsError(path, "save", "exists and is not a cnntool model, so it was not replaced")

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
    for key, value in (extra or {}).items():
        array = np.asarray(value)
        if array.dtype.kind not in "fiubU" or (array.dtype.kind == "U" and array.shape != ()):
            raise CnnToolError(
                f"checkpoint extra {key!r}: numbers or one text, got {array.dtype}{array.shape}"
            )
        arrays[f"extra/{key}"] = array
    atomic_write(path, lambda handle: np.savez(handle, **arrays))


def _declared_bytes(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> int:
    """Bytes one .npy member says it holds, read from its header only (nothing allocated yet)."""
    from numpy.lib import format as npy

    with archive.open(info) as member:
        try:
            version = npy.read_magic(member)
            reader = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
            shape, _, dtype = reader(member)
        except (ValueError, OSError, SyntaxError, TypeError) as exc:
            raise CnnToolError(f"{path}: array {info.filename!r} has a malformed header ({exc})") from None
    if dtype.hasobject:
        raise CnnToolError(
            f"{path}: array {info.filename!r} holds Python objects; a model file holds numbers only"
        )
    size = math.prod(shape) * dtype.itemsize
    if size > info.file_size:
        raise CnnToolError(
            f"{path}: array {info.filename!r} claims shape {shape} ({size:,} bytes) but holds {info.file_size:,} bytes"
        )
    return size


def _arrays(path: Path) -> dict[str, np.ndarray]:
    """The file's arrays, after checking every header against the budget (a crafted header cannot
    make cnntool allocate what it announces)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            budgets.check(budgets.MODEL_BYTES, sum(i.file_size for i in members), f"model file {path}")
            declared = sum(_declared_bytes(archive, info, path) for info in members)
            budgets.check(budgets.MODEL_BYTES, declared, f"model file {path}")
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise CnnToolError(f"{path}: no such model file") from None
    except IsADirectoryError:
        raise CnnToolError(f"{path}: is a folder, not a model file") from None
    except zipfile.BadZipFile:
        raise CnnToolError(
            f"{path}: not a cnntool model: not a .npz archive, or a corrupt or truncated one "
            "(a model is the .npz file that model.save() writes)"
        ) from None
    except (ValueError, OSError, EOFError, KeyError) as exc:
        raise CnnToolError(
            f"{path}: not a readable cnntool model (corrupt or truncated .npz: {exc})"
        ) from None


def _scalar(data: dict[str, np.ndarray], key: str, kind: str, path: Path) -> Any:
    value = data[key]
    if value.shape != () or value.dtype.kind not in kind:
        raise CnnToolError(
            f"{path}: not a cnntool model file ({key} is not a single {'text' if 'U' in kind else 'number'})"
        )
    return value.item()


def read(path: str | Path) -> Checkpoint:
    """The checkpoint at `path`; CnnToolError naming the file when it is not a cnntool model."""
    path = Path(path)
    data = _arrays(path)
    for key in ("__format__", "__spec__", "__dtype__"):
        if key not in data:
            raise CnnToolError(f"{path}: not a cnntool model file (missing {key})")
    version = _scalar(data, "__format__", "iu", path)
    if version != FORMAT:
        raise CnnToolError(f"{path}: file format {version}, this cnntool reads {FORMAT}")
    spec, dtype = _scalar(data, "__spec__", "U", path), _scalar(data, "__dtype__", "U", path)
    if dtype not in ("float32", "float64"):
        raise CnnToolError(f"{path}: saved dtype {dtype[:20]!r} is not float32 or float64")
    budgets.check(budgets.TEXT_BYTES, len(spec.encode("utf-8")), f"the spec in {path}")
    for key, value in data.items():
        if key.startswith(("state/", "optim/")) and value.dtype.kind not in "fiub":
            raise CnnToolError(
                f"{path}: array {key!r} has dtype {value.dtype}; a model file holds numbers only"
            )
        if key.startswith("extra/") and value.dtype.kind not in "fiub":
            _scalar(data, key, "U", path)  # one text, never an object
            budgets.check(budgets.TEXT_BYTES, len(str(value.item()).encode("utf-8")), f"{key} in {path}")
    return Checkpoint(
        path=path,
        spec=spec,
        dtype=dtype,
        state={k[len("state/") :]: v for k, v in data.items() if k.startswith("state/")},
        optimizer_state={k[len("optim/") :]: v for k, v in data.items() if k.startswith("optim/")},
        optimizer_class=_scalar(data, "__optim__", "U", path) if "__optim__" in data else "",
        extra={k[len("extra/") :]: v for k, v in data.items() if k.startswith("extra/")},
    )
