"""The dataset cache: verified downloads, imports from a folder, and checks of what is cached.

Rules, in the order a file meets them:
- a file is kept only whole and verified: it is streamed into a temporary file beside its final
  name (cnntool.files.atomic_write), its size and SHA-256 are checked against the catalogue
  (cnntool.data.remote), and only then renamed into place. A failure, a wrong checksum, a
  truncated transfer or Ctrl-C leaves nothing half-written behind;
- a server announcing, or sending, more bytes than the catalogue's size is cut off at once;
  a file to import that is larger than expected is refused before a byte is read;
- a file already cached with the right size is never downloaded twice; a cached file whose
  SHA-256 no longer matches (a damaged disk, a hand edit) is removed and fetched again.

The cache is `platformdirs.user_cache_dir("cnntool", appauthor=False)/datasets/<name>/`
(~/.cache/cnntool/... on Linux), or `$CNNTOOL_DATA_DIR/<name>/` when that variable is set. Pure core: nothing is printed;
progress goes to an optional callback.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cnntool import __version__
from cnntool.data.limits import DOWNLOAD_TIMEOUT_S
from cnntool.data.remote import Remote, RemoteFile
from cnntool.errors import CnnToolError
from cnntool.files import atomic_write

ENV_VAR = "CNNTOOL_DATA_DIR"
_CHUNK = 1 << 16

#: progress(file name, bytes done, bytes expected), called as a download goes on.
Progress = Callable[[str, int, int], None]


class FetchError(CnnToolError):
    """Files that could not be downloaded; says what, from where, and how to place them by hand.

    `how_to_import` is the caller's way to say "import the folder" (a Python call by default;
    the command line passes its own command), so the core names no command-line flag.
    """

    def __init__(self, remote: Remote, directory: Path, missing: list[RemoteFile], reasons: list[str],
                 how_to_import: str = "") -> None:  # fmt: skip
        self.remote, self.directory, self.missing, self.reasons = remote, directory, missing, reasons
        super().__init__(
            self.with_hint(how_to_import or f"cnntool.data.fetch('{remote.dataset}', source_dir=FOLDER)")
        )

    def with_hint(self, how_to_import: str) -> str:
        names = ", ".join(f.name for f in self.missing)
        where = self.remote.mirrors[0] if self.remote.mirrors else self.remote.homepage
        return (
            f"could not download {self.remote.dataset} ({'; '.join(self.reasons)}); nothing partial was "
            f"kept in {self.directory}. To place the files by hand, download {names} from {where} "
            f"(see {self.remote.homepage}) into a folder FOLDER, then run: {how_to_import}"
        )


class ImportFilesError(CnnToolError):
    """A folder to import from that lacks a file, or holds one that is not the official file."""


def data_dir() -> Path:
    """The cache root: $CNNTOOL_DATA_DIR, else the user cache folder's cnntool/datasets."""
    override = os.environ.get(ENV_VAR, "").strip()
    if override:
        return Path(override).expanduser()
    import platformdirs  # a dependency; imported here so `cnntool summary` never pays for it

    return Path(platformdirs.user_cache_dir("cnntool", appauthor=False)) / "datasets"


def dataset_dir(remote: Remote, root: Path | None = None) -> Path:
    return (root if root is not None else data_dir()) / remote.dataset


def is_cached(remote: Remote, root: Path | None = None) -> bool:
    """Whether every file is in the cache with the right size (cheap: no checksum computed)."""
    folder = dataset_dir(remote, root)
    return all(_size(folder / f.name) == f.size for f in remote.files)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size if path.is_file() else None
    except OSError:
        return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class FileResult:
    """What happened to one file: status "cached", "downloaded" or "imported"; `origin` a URL or path."""

    name: str
    size: int
    sha256: str
    status: str
    path: Path
    origin: str | None = None


@dataclass(frozen=True)
class FetchResult:
    dataset: str
    directory: Path
    files: tuple[FileResult, ...]

    @property
    def status(self) -> str:
        """ "downloaded" or "imported" when any file was, else "cached"."""
        statuses = {f.status for f in self.files}
        return next((s for s in ("downloaded", "imported") if s in statuses), "cached")


class _Failure(Exception):
    """One mirror's failure for one file (the next mirror is tried)."""


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CnnToolError(
            f"cannot create the dataset cache folder {folder}: {error.strerror or error}; "
            f"set {ENV_VAR} to a folder you can write"
        ) from None


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()  # only succeeds when empty


def _copy_verified(source: BinaryIO, file: RemoteFile, target: Path, progress: Progress | None) -> None:
    """Stream `source` into `target` atomically; raise _Failure (and keep nothing) unless it is `file`."""

    def write(out: BinaryIO) -> None:
        digest, done = hashlib.sha256(), 0
        while chunk := source.read(_CHUNK):
            done += len(chunk)
            if done > file.size:
                raise _Failure(f"more than the expected {file.size:,} bytes")
            digest.update(chunk)
            out.write(chunk)
            if progress is not None:
                progress(file.name, done, file.size)
        if done != file.size:
            raise _Failure(f"truncated: {done:,} of {file.size:,} bytes")
        if digest.hexdigest() != file.sha256:
            raise _Failure(f"SHA-256 {digest.hexdigest()[:16]}… is not the published {file.sha256[:16]}…")

    atomic_write(target, write)


def _download_one(
    url: str, file: RemoteFile, target: Path, progress: Progress | None, timeout: float
) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": f"cnntool/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            announced = response.headers.get("Content-Length")
            if announced and announced.isdigit() and int(announced) != file.size:
                raise _Failure(f"the server announces {int(announced):,} bytes, expected {file.size:,}")
            _copy_verified(response, file, target, progress)
    except _Failure:
        raise
    except urllib.error.HTTPError as error:
        raise _Failure(f"HTTP error {error.code} {error.reason}") from None
    except (OSError, http.client.HTTPException, ValueError) as error:  # URLError, timeouts, resets
        reason = getattr(error, "reason", None) or error
        raise _Failure(f"{type(error).__name__}: {reason}") from None


def verified_in_cache(file: RemoteFile, path: Path) -> bool:
    """Whether `path` holds `file`; a damaged copy (right size, wrong bytes) is removed."""
    if _size(path) != file.size:
        return False
    if sha256_of(path) == file.sha256:
        return True
    with contextlib.suppress(OSError):
        path.unlink()
    return False


def fetch(
    remote: Remote,
    *,
    root: Path | None = None,
    source_dir: Path | None = None,
    progress: Progress | None = None,
    timeout: float = DOWNLOAD_TIMEOUT_S,
    verify_cached: bool = True,
    how_to_import: str = "",
) -> FetchResult:
    """Make every file of `remote` present and verified in the cache; return what was done per file.

    Files already cached are kept (their SHA-256 is checked unless verify_cached=False). With
    `source_dir` the missing files are imported from that folder (nothing is downloaded);
    otherwise each is downloaded from the mirrors in turn. Raises ImportFilesError (folder
    lacking a file, or a file that is not the official one) or FetchError (no mirror gave a
    verified file; the message says how to place them by hand).
    """
    folder = dataset_dir(remote, root)
    _make_folder(folder)
    results: dict[str, FileResult] = {}
    for file in remote.files:
        path = folder / file.name
        cached = verified_in_cache(file, path) if verify_cached else _size(path) == file.size
        if cached:
            results[file.name] = FileResult(file.name, file.size, file.sha256, "cached", path)
    missing = [f for f in remote.files if f.name not in results]
    try:
        if missing and source_dir is not None:
            results.update(_import(remote, missing, Path(source_dir), folder))
        elif missing:
            results.update(_download(remote, missing, folder, progress, timeout, how_to_import))
    finally:
        _remove_if_empty(folder)
    return FetchResult(remote.dataset, folder, tuple(results[f.name] for f in remote.files))


def _download(remote: Remote, missing: list[RemoteFile], folder: Path, progress: Progress | None,
              timeout: float, how_to_import: str) -> dict[str, FileResult]:  # fmt: skip
    done: dict[str, FileResult] = {}
    for index, file in enumerate(missing):
        reasons = []
        for url in remote.urls(file):
            try:
                _download_one(url, file, folder / file.name, progress, timeout)
            except _Failure as failure:
                reasons.append(f"{url}: {failure}")
                continue
            done[file.name] = FileResult(
                file.name, file.size, file.sha256, "downloaded", folder / file.name, url
            )
            break
        else:
            raise FetchError(remote, folder, missing[index:], reasons or ["no mirror listed"], how_to_import)
    return done


def _import(remote: Remote, missing: list[RemoteFile], source: Path, folder: Path) -> dict[str, FileResult]:
    """Copy the missing files from `source` after checking that all are there with the right size."""
    if not source.is_dir():
        raise ImportFilesError(f"folder {source} does not exist (it should hold the {remote.dataset} files)")
    for file in missing:
        size = _size(source / file.name)
        if size is None:
            unpacked = source / file.name.removesuffix(".gz")
            note = (
                f" ({unpacked.name} is there: keep the .gz file as downloaded)" if unpacked.exists() else ""
            )
            needed = ", ".join(f.name for f in remote.files)
            raise ImportFilesError(f"{source} has no {file.name}{note}; {remote.dataset} needs {needed}")
        if size != file.size:
            raise ImportFilesError(
                f"{source / file.name} has {size:,} bytes, the official file has {file.size:,}: "
                "it is damaged or not the official download"
            )
    done: dict[str, FileResult] = {}
    for file in missing:
        path = source / file.name
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below; a failure here is a read error
        except OSError as error:
            raise ImportFilesError(f"cannot read {path}: {error.strerror or error}") from None
        try:
            with handle:
                _copy_verified(handle, file, folder / file.name, None)
        except _Failure as failure:
            raise ImportFilesError(
                f"{path}: {failure}; it is damaged or not the official download (it was not copied)"
            ) from None
        except OSError as error:
            raise ImportFilesError(f"cannot copy {path} into {folder}: {error.strerror or error}") from None
        done[file.name] = FileResult(
            file.name, file.size, file.sha256, "imported", folder / file.name, str(path)
        )
    return done
