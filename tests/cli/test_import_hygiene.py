"""The shape commands must start fast: they never import numpy, numba or textual."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
from cnntool.cli.app import main
sys.argv = ["cnntool", "summary", "lenet5", "--json"]
try:
    main()
except SystemExit:
    pass
heavy = [m for m in ("numpy", "numba", "textual", "torch", "cupy") if m in sys.modules]
print("HEAVY:" + ",".join(heavy), file=sys.stderr)
"""


def test_summary_imports_nothing_heavy() -> None:
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert '"total_params": 61706' in result.stdout
    assert "HEAVY:\n" in result.stderr + "\n" and "HEAVY:" + "\n" in result.stderr


def test_explain_imports_nothing_heavy() -> None:
    code = CHECK.replace('"summary", "lenet5", "--json"', '"explain", "alexnet", "--layer", "1"')
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stderr.strip().endswith("HEAVY:")
