"""What the engine runs on here: versions, numba's threads and cache, the BLAS, and the devices.

`report()` gathers it as data for `cnntool info` (and bug reports): nothing is printed, nothing
is compiled, torch is looked up by its installed metadata without being imported, and CuPy is
imported only when it is installed (to ask CUDA for the GPUs).
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cnntool import __version__, config
from cnntool.engine.backend_gpu import GpuProbe, probe
from cnntool.engine.devices import DeviceStatus, statuses


@dataclass(frozen=True)
class NumbaInfo:
    """numba's version (None: not importable, `error` says why), threads and kernel cache."""

    version: str | None
    threads: int | None
    threading_layer: str | None
    cache_dir: str | None
    error: str | None = None


@dataclass(frozen=True)
class BlasInfo:
    """One BLAS library threadpoolctl found loaded in this process."""

    library: str
    version: str | None
    threads: int
    threading_layer: str | None
    path: str


@dataclass(frozen=True)
class EnvironmentReport:
    """Everything `cnntool info` shows; `to_json()` is the --json output (docs/schemas/info.schema.json)."""

    cnntool: str
    python: str
    platform: str
    cpu_count: int | None
    numpy: str
    numba: NumbaInfo
    blas: list[BlasInfo]
    torch: str | None
    gpu: GpuProbe
    devices: list[DeviceStatus]
    settings: dict[str, Any] = field(default_factory=dict)
    selected_device: str | None = None

    def to_json(self) -> dict[str, Any]:
        gpu = asdict(self.gpu)
        gpu["devices"] = [asdict(d) for d in self.gpu.devices]
        return {
            "cnntool": self.cnntool,
            "python": self.python,
            "platform": self.platform,
            "cpu_count": self.cpu_count,
            "numpy": self.numpy,
            "numba": asdict(self.numba),
            "blas": [asdict(b) for b in self.blas],
            "torch": self.torch,
            "gpu": gpu,
            "devices": [asdict(d) for d in self.devices],
            "settings": dict(self.settings),
            "selected_device": self.selected_device,
        }


def _numba() -> NumbaInfo:
    try:
        import numba
    except ImportError as error:
        return NumbaInfo(None, None, None, None, str(error))
    most = int(numba.config.NUMBA_NUM_THREADS)
    threads = min(config.THREADS, most) if config.THREADS is not None else most
    kernels = Path(__file__).resolve().parent / "kernels" / "conv.py"
    cache = config.numba_cache_dir(str(kernels)) if config.NJIT_OPTIONS["cache"] else None
    return NumbaInfo(str(numba.__version__), threads, str(numba.config.THREADING_LAYER), cache)


def _blas() -> list[BlasInfo]:
    import numpy  # noqa: F401 - loads NumPy's BLAS, so threadpoolctl sees it
    from threadpoolctl import threadpool_info

    return [
        BlasInfo(str(lib.get("internal_api")), lib.get("version"), int(lib.get("num_threads", 0)),
                 lib.get("threading_layer"), str(lib.get("filepath")))
        for lib in threadpool_info()
        if lib.get("user_api") == "blas"
    ]  # fmt: skip


def _installed(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def report(selected_device: str | None = None) -> EnvironmentReport:
    """The report; `selected_device` is the device the caller resolved (shown as chosen)."""
    import numpy

    return EnvironmentReport(
        cnntool=__version__,
        python=platform.python_version(),
        platform=platform.platform(),
        cpu_count=os.cpu_count(),
        numpy=str(numpy.__version__),
        numba=_numba(),
        blas=_blas(),
        torch=_installed("torch"),
        gpu=probe(),
        devices=statuses(),
        settings={
            "dtype": config.DTYPE,
            "backend": config.BACKEND,
            "device": config.DEVICE,
            "threads": config.THREADS,
            "blas_threads": config.BLAS_THREADS,
            "fastmath": sorted(config.FASTMATH)
            if isinstance(config.FASTMATH, set)
            else bool(config.FASTMATH),
            "parallel": config.PARALLEL,
            "cache": bool(config.NJIT_OPTIONS["cache"]),
            "executable": sys.executable,
        },
        selected_device=selected_device,
    )
