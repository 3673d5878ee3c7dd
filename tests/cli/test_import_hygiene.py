"""The shape commands must start fast: they never import numpy, numba or textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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


NO_RICH = """
import contextlib, io, sys
from cnntool.cli.app import main
sys.argv = ["cnntool", *sys.argv[1:]]
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main()
    except SystemExit:
        pass
print(",".join(m for m in ("rich", "numpy") if m in sys.modules))
"""


@pytest.mark.parametrize(
    "args",
    [
        ["summary", "lenet5", "--json"],
        ["summary", "lenet5", "--format", "csv"],
        ["summary", "lenet5", "--format", "markdown"],
        ["explain", "alexnet", "--json"],
        ["zoo", "--json"],
        ["check", "examples/lecture_answers.toml", "--json"],
        ["quiz", "--seed", "1", "--count", "3", "--json"],
    ],
)
def test_machine_readable_output_imports_no_rich(args: list[str]) -> None:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", NO_RICH, *args], capture_output=True, text=True, check=True, cwd=root
    )
    assert result.stdout.strip() == "", result.stdout


LIGHT = """
import sys
import cnntool.cli.app, cnntool.cli.train, cnntool.cli.experiment, cnntool.cli.predict, cnntool.cli.demo
print(",".join(m for m in ("numpy", "numba", "textual", "torch", "plotext") if m in sys.modules))
"""


def test_training_commands_import_nothing_heavy_at_module_level() -> None:
    result = subprocess.run([sys.executable, "-c", LIGHT], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_train_help_imports_nothing_heavy() -> None:
    code = CHECK.replace('"summary", "lenet5", "--json"', '"train", "--help"')
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "--resume" in result.stdout and result.stderr.strip().endswith("HEAVY:")


def test_the_command_table_is_what_the_modules_register() -> None:
    """`main` imports only the module of the command it runs; COMMANDS must name every command's
    module, or a command would vanish from the fast path (or be run from the wrong module)."""
    import typer

    from cnntool.cli.app import COMMANDS, build_app

    whole = typer.main.get_command(build_app())
    assert list(whole.commands) == list(COMMANDS)  # type: ignore[attr-defined]
    for name in COMMANDS:
        alone = typer.main.get_command(build_app(name))
        assert name in alone.commands  # type: ignore[attr-defined]


def test_a_command_imports_only_its_own_cli_module() -> None:
    code = CHECK.replace(
        "heavy = [",
        "print('CLI:' + ','.join(sorted(m for m in sys.modules if m.startswith('cnntool.cli.'))), file=sys.stderr)\nheavy = [",
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    line = next(x for x in result.stderr.splitlines() if x.startswith("CLI:"))
    assert set(line[4:].split(",")) == {"cnntool.cli._common", "cnntool.cli.app", "cnntool.cli.summary"}
