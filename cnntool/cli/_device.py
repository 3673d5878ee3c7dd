"""The `--device` option every engine command shares, and its one resolution (exit 2 when it cannot run).

    from cnntool.cli._device import DeviceOpt, resolve_device_option

    def train(..., device: DeviceOpt = None):
        device = resolve_device_option(device)   # "cpu", "cpu-numpy" or "gpu"
        model = build(spec, seed=seed, device=device)

Nothing heavy is imported until a value is resolved (the GPU backend imports CuPy then).
"""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from cnntool.cli._common import fail

Device = Literal["auto", "cpu", "cpu-numpy", "gpu"]

DeviceOpt = Annotated[
    Device | None,
    typer.Option(
        "--device",
        case_sensitive=False,
        show_default=False,
        help="Where the engine runs: cpu (numba kernels), cpu-numpy (NumPy kernels, no numba needed), "
        'gpu (CuPy: pip install "cnntool[gpu]"), auto (the GPU when one is usable, else cpu). '
        "Default: the CNNTOOL_DEVICE variable, else cpu.",
    ),
]


def resolve_device_option(device: str | None, option: str = "--device") -> str:
    """The device a `--device` value means ("auto" and None resolved); when it cannot run (no CuPy,
    no GPU, a bad CNNTOOL_DEVICE) one `error:` line with what to install, and exit 2."""
    from cnntool.engine.backend import DeviceError
    from cnntool.engine.devices import resolve_device

    try:
        return resolve_device(device, what=option)
    except DeviceError as error:
        fail(str(error))
        raise  # unreachable: fail() exits
