"""`cnntool info`: the versions it reports are the ones imported here, --json validates against
docs/schemas/info.schema.json, and --device gpu without CuPy is one error line with the install hint."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from cnntool import __version__
from cnntool.cli.app import app
from cnntool.engine import backend as backend_module

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "schemas" / "info.schema.json").read_text(encoding="utf-8"))
runner = CliRunner()
HINT = 'pip install "cnntool[gpu]" (CuPy for CUDA 12; with CUDA 13 use: pip install cupy-cuda13x)'


@pytest.fixture
def no_cupy(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # as if CuPy were not installed, on any machine
    backend_module.unregister("gpu")


def _json(*args: str) -> dict:
    result = runner.invoke(app, ["info", "--json", *args])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    Draft202012Validator.check_schema(SCHEMA)
    errors = sorted(Draft202012Validator(SCHEMA).iter_errors(data), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    return data


def test_info_json_reports_what_this_process_runs(no_cupy):
    import numba
    import threadpoolctl

    data = _json()
    assert data["cnntool"] == __version__
    assert data["python"] == platform.python_version()
    assert data["numpy"] == np.__version__
    assert data["numba"]["version"] == numba.__version__ and data["numba"]["error"] is None
    assert data["numba"]["threads"] == numba.config.NUMBA_NUM_THREADS
    blas = [lib for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]
    assert [b["library"] for b in data["blas"]] == [lib["internal_api"] for lib in blas]
    assert data["gpu"] == {
        "available": False, "reason": "CuPy is not installed", "cupy_version": None, "cuda_runtime": None, "devices": [],
    }  # fmt: skip
    assert [(d["device"], d["backend"], d["available"]) for d in data["devices"]] == [
        ("cpu", "numba", True), ("cpu-numpy", "numpy", True), ("gpu", "cupy", False),
    ]  # fmt: skip
    assert HINT in data["devices"][2]["detail"]
    assert data["selected_device"] is None and data["settings"]["device"] is None


def test_info_json_with_a_device_that_runs(no_cupy):
    assert _json("--device", "cpu-numpy")["selected_device"] == "cpu-numpy"
    assert _json("--device", "auto")["selected_device"] == "cpu"


def test_info_text_names_versions_and_devices(no_cupy):
    import numba

    result = runner.invoke(app, ["info"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = result.stdout
    for fragment in (f"cnntool               {__version__}", f"NumPy                 {np.__version__}",
                     f"numba                 {numba.__version__}", "CuPy                  not installed",
                     "default device        cpu (CNNTOOL_DEVICE is not set)"):  # fmt: skip
        assert fragment in text, fragment
    rows = {line.split("│")[1].strip(): line for line in text.splitlines() if line.startswith("│")}
    assert "│ yes " in rows["cpu"] and "│ yes " in rows["cpu-numpy"] and "│ no " in rows["gpu"]


def test_info_device_gpu_without_cupy_exits_2_with_the_install_hint(no_cupy):
    result = runner.invoke(app, ["info", "--device", "gpu"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert (
        result.stderr
        == f"error: the gpu device needs CuPy, which is not installed; install it with: {HINT}\n"
    )


def test_a_bad_device_name_is_a_usage_error():
    result = runner.invoke(app, ["info", "--device", "tpu"], env={"COLUMNS": "200"})
    assert result.exit_code == 2 and "'tpu' is not one of 'auto', 'cpu', 'cpu-numpy', 'gpu'" in result.output


WITHOUT_CUPY = """
import sys
sys.modules["cupy"] = None  # CuPy not installed, whatever this machine has
{body}
"""


def _python(body: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = WITHOUT_CUPY.format(body=body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)


def test_the_console_command_exits_2_in_one_line():
    result = _python(
        "from cnntool.cli.app import main\nsys.argv = ['cnntool', 'info', '--device', 'gpu']\nmain()"
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: the gpu device needs CuPy, which is not installed; install it with: {HINT}"
    ]
    assert "Traceback" not in result.stderr


def test_build_on_the_gpu_without_cupy_raises_the_hint():
    body = """
from cnntool.engine import build
from cnntool.engine.backend import DeviceError
try:
    build("4 | dense 2", device="gpu")
except DeviceError as error:
    print(error)
    sys.exit(2)
"""
    result = _python(body)
    assert result.returncode == 2, result.stderr
    assert (
        result.stdout.strip() == f"the gpu device needs CuPy, which is not installed; install it with: {HINT}"
    )
