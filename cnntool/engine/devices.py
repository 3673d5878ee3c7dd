"""Device names → backends: "cpu", "cpu-numpy", "gpu" and "auto", and the default (CNNTOOL_DEVICE).

The one place a device name is resolved, for `build`, `load`, `Model.to` and the command line:
an unknown name or a GPU that cannot run is a `DeviceError` that says what is missing and how
to install it (the CLI prints it and exits 2). A backend registered by other code (a test's
device) is accepted by its name too.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnntool import config
from cnntool.engine.backend import Backend, DeviceError, get_backend, registered
from cnntool.engine.backend_gpu import gpu_backend, probe, unavailable_message
from cnntool.text import did_you_mean

#: The device names a user may give.
DEVICES = ("auto", "cpu", "cpu-numpy", "gpu")


def _check_name(name: str, what: str) -> str:
    key = name.strip().lower()
    if key in DEVICES or key in registered():
        return key
    hint = did_you_mean(key, DEVICES)
    raise DeviceError(
        f"{what} {name!r} is not a device; choose one of: {', '.join(DEVICES)}"
        + (f" ({hint})" if hint else "")
    )


def resolve_device(name: str | None = None, what: str = "device") -> str:
    """The device `name` means: None → CNNTOOL_DEVICE, else "cpu"; "auto" → "gpu" when one can run,
    else "cpu". A "gpu" that cannot run raises DeviceError with the install hint. `what` is what
    the caller calls the name in messages (an option, a field)."""
    if name is None:
        if config.DEVICE is None:
            return "cpu"
        name, what = config.DEVICE, "CNNTOOL_DEVICE"
    key = _check_name(name, what)
    if key == "auto":
        return "gpu" if probe().available else "cpu"
    if key == "gpu":
        gpu_backend()
    return key


def backend_for(name: str | None = None, what: str = "device") -> Backend:
    """The backend of `resolve_device(name)` (the GPU's is built and registered on first use)."""
    device = resolve_device(name, what)
    return gpu_backend() if device == "gpu" else get_backend(device)


@dataclass(frozen=True)
class DeviceStatus:
    """One device name, its backend, whether it can run here, and what it runs on or why not."""

    device: str
    backend: str
    available: bool
    detail: str


def statuses() -> list[DeviceStatus]:
    """Each device of DEVICES but "auto": can it run here, and on what (imports numba to find out,
    and CuPy when it is installed)."""
    try:
        import numba

        numba_ok, numba_detail = True, f"numba {numba.__version__} kernels"
    except ImportError as error:
        numba_ok, numba_detail = False, f"numba cannot be imported ({error})"
    if config.BACKEND == "numpy":
        cpu = DeviceStatus("cpu", "numpy", True, "NumPy array-module kernels (CNNTOOL_BACKEND=numpy)")
    else:
        cpu = DeviceStatus("cpu", "numba", numba_ok, numba_detail)
    found = probe()
    gpus = ", ".join(f"{d.name} ({d.total_memory / 2**30:.1f} GiB)" for d in found.devices)
    return [
        cpu,
        DeviceStatus("cpu-numpy", "numpy", True, "NumPy array-module kernels"),
        DeviceStatus("gpu", "cupy", found.available, gpus if found.available else unavailable_message(found)),
    ]
