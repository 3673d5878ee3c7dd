"""`cnntool info`: versions, numba threads and cache, the BLAS, and the devices this machine can train on."""

from __future__ import annotations

import typer

from cnntool.cli._common import JsonOpt, console, handle_errors, print_json
from cnntool.cli._device import DeviceOpt, resolve_device_option

app = typer.Typer()


@app.command("info")
@handle_errors
def info_command(json_out: JsonOpt = False, device: DeviceOpt = None) -> None:
    """Show cnntool's, Python's, NumPy's and numba's versions, numba's threads and kernel cache, the BLAS,
    PyTorch, CuPy and the GPUs, and which devices can run here (paste it into a bug report).

    With --device, first check that this device can run: when it cannot (no CuPy, no GPU), say what
    to install and exit 2.

    Examples:
      cnntool info
      cnntool info --json
      cnntool info --device gpu
    """
    from cnntool.engine.environment import report

    selected = resolve_device_option(device) if device is not None else None
    data = report(selected)
    if json_out:
        print_json(data.to_json())
        return
    from cnntool.views.info import info_view

    console().print(info_view(data))
