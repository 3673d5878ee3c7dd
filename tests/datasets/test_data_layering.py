"""cnntool.data stands beside the engine: it imports neither the engine nor the shells (cli, tui)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "cnntool" / "data"


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_data_never_imports_the_engine_or_the_shells() -> None:
    modules = sorted(DATA.glob("*.py"))
    assert len(modules) >= 10
    for path in modules:
        for name in _imported(path):
            assert not name.startswith(("cnntool.engine", "cnntool.cli", "cnntool.tui")), (path.name, name)


def test_loading_a_dataset_imports_no_engine_and_no_numba() -> None:
    code = "import sys; from cnntool.data import load; load('parity'); print(sorted(m for m in sys.modules "
    code += "if m.startswith(('cnntool.engine', 'numba', 'torch'))))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
