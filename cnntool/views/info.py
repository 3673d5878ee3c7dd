"""`cnntool info` as a rich renderable: versions, threads, BLAS, devices (the report is engine/environment.py)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.table import Table


def _gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB"


def info_view(report: Any) -> Group:
    """Two tables: the software and its settings, then every device and whether it can run here."""
    about = Table.grid(padding=(0, 2))
    about.add_column(style="bold")
    about.add_column(overflow="fold")
    numba = report.numba
    rows = [
        ("cnntool", report.cnntool),
        ("Python", f"{report.python} ({report.settings['executable']})"),
        ("platform", f"{report.platform}, {report.cpu_count} CPU cores"),
        ("NumPy", report.numpy),
        (
            "numba",
            f"{numba.version}, {numba.threads} threads, threading layer {numba.threading_layer}"
            if numba.version
            else f"not importable: {numba.error}",
        ),  # fmt: skip
        ("numba cache", numba.cache_dir or "off (kernels compile in every process)"),
    ]
    rows += [
        ("BLAS", f"{b.library} {b.version or ''}, {b.threads} threads ({b.threading_layer})")
        for b in report.blas
    ]
    rows += [
        ("BLAS in engine calls", f"{report.settings['blas_threads'] or 'unlimited'} thread(s)"),
        ("PyTorch", report.torch or "not installed"),
        (
            "CuPy",
            f"{report.gpu.cupy_version} (CUDA {report.gpu.cuda_runtime})"
            if report.gpu.cupy_version
            else "not installed",
        ),  # fmt: skip
    ]
    rows += [(f"GPU {d.index}", f"{d.name}, compute {d.compute_capability}, {_gib(d.total_memory)} "
              f"({_gib(d.free_memory)} free)") for d in report.gpu.devices]  # fmt: skip
    rows += [
        ("dtype", report.settings["dtype"]),
        (
            "default device",
            f"{report.settings['device']} (from CNNTOOL_DEVICE)"
            if report.settings["device"]
            else "cpu (CNNTOOL_DEVICE is not set)",
        ),  # fmt: skip
    ]
    for key, value in rows:
        about.add_row(key, escape(str(value)))
    devices = Table(header_style="bold", title="devices", title_justify="left")
    for header in ("device", "kernels", "usable", "runs on / what is missing"):
        devices.add_column(header, overflow="fold")
    for d in report.devices:
        chosen = " ◀" if d.device == report.selected_device else ""
        devices.add_row(d.device + chosen, d.backend, "yes" if d.available else "no", escape(d.detail))
    return Group(about, "", devices)
