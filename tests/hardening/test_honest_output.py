"""Honest output (hardening issue): a table never splits a number, warnings reach the user in every
format, and the example files the README uses work from any folder of an installed copy.

The table rule is views/summary.py's: columns are left out whole (DROP_ORDER), never digits, and a
line under the table says which. The checks below read the rendered text back and compare every
cell with the value the arithmetic gave, at 60, 80, 100 and 120 columns, for every zoo net.
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from cnntool.arith import summarize
from cnntool.arith.table import COLUMNS, DEFAULT_COLUMNS, cell_text, footer_text, table_rows
from cnntool.spec.zoo import ZOO
from cnntool.views.summary import DROP_ORDER, WRAPPING, fit_columns, summary_view
from tests.hardening.sandbox import ROOT, run

EXAMPLES = ROOT / "examples"
WIDTHS = (60, 80, 100, 120)
EVERY_COLUMN = tuple(COLUMNS)


def _render(renderable, width: int) -> list[str]:
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, soft_wrap=False, emoji=False, highlight=False).print(
        renderable
    )
    return buffer.getvalue().splitlines()


def _assert_no_number_split(summary, keys: tuple[str, ...], hwc: bool, width: int) -> None:
    shown, hidden = fit_columns(summary, keys, hwc, width)
    lines = _render(summary_view(summary, keys, hwc, title=summary.name, width=width), width)
    assert all(len(line) <= width for line in lines), width
    headers, rows, totals = table_rows(summary, shown, hwc)
    body = [line for line in lines if line.startswith(("│", "┃"))]
    cells = [[c.strip() for c in re.split("[│┃]", line)[1:-1]] for line in body]
    assert all(len(row) == len(shown) for row in cells)
    for j, key in enumerate(shown):
        if key == WRAPPING:
            continue
        column = [c[j] for c in cells if c[j]]  # every non-blank cell of the column, in order
        expected = [headers[j], *(cell_text(r[j]) for r in rows), cell_text(totals[j])]
        assert column == [e for e in expected if e], (key, width, column[:5], expected[:5])
    words = {w for c in cells for w in c[shown.index(WRAPPING)].split()} if WRAPPING in shown else set()
    for layer in summary.layers if WRAPPING in shown else ():
        assert set(layer.text.split()) <= words, layer.text  # the layer's text wraps at spaces only
    joined = " ".join(" ".join(lines).split())
    note = f"not shown at {width} columns: {', '.join(COLUMNS[k].header for k in hidden)} (a wider terminal shows them)"
    assert (note in joined) is bool(hidden) and joined.count("not shown at") == bool(hidden)
    if hidden:  # the columns left out are the first ones of the drop order
        assert all(DROP_ORDER.index(k) <= max(DROP_ORDER.index(h) for h in hidden) for k in hidden)
    for word in footer_text(summary, hwc).split():  # the footer wraps at spaces: every number whole
        assert word in joined, word


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(ZOO))
def test_no_zoo_table_splits_a_number(name: str, width: int) -> None:
    summary = summarize(name)
    _assert_no_number_split(summary, DEFAULT_COLUMNS, False, width)
    _assert_no_number_split(summary, EVERY_COLUMN, False, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_channels_last_and_warnings_split_no_number(width: int) -> None:
    _assert_no_number_split(summarize("alexnet", input_shape="3x224x224"), EVERY_COLUMN, True, width)
    _assert_no_number_split(
        summarize("1x10x10 | conv 1 k3 s2 | flatten | dense 100000"), DEFAULT_COLUMNS, False, width
    )


def test_the_columns_left_out_at_80_are_the_lecture_s_extras_first() -> None:
    shown, hidden = fit_columns(summarize("alexnet"), DEFAULT_COLUMNS, False, 80)
    assert hidden == ("unshared", "dense") and "params" in shown and "layer" in shown
    assert fit_columns(summarize("lenet5"), DEFAULT_COLUMNS, False, 120) == (DEFAULT_COLUMNS, ())


def test_the_cli_table_at_80_columns(tmp_path: Path) -> None:
    outcome = run(["summary", "alexnet"])  # sandbox: COLUMNS=100
    assert outcome.code == 0 and "70,470,400" in outcome.stdout
    env_80 = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    result = subprocess.run([sys.executable, "-m", "cnntool", "summary", "alexnet"], env=env_80, capture_output=True,
                            text=True, check=True)  # fmt: skip
    assert "70,470,400" in result.stdout and "not shown at 80 columns: unshared, dense-equiv" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_zoo_and_check_tables_keep_numbers_whole_at_60_columns() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "60"}

    def cnntool(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", "cnntool", *args], env=env, capture_output=True,
                              text=True).stdout  # fmt: skip

    zoo = cnntool("zoo")
    for net in ZOO:
        summary = summarize(net)
        assert f"{summary.total_params:,}" in zoo and f"{summary.total_macs:,}" in zoo, net
    graded = cnntool("check", "--key", str(EXAMPLES / "lecture_key.toml"), str(EXAMPLES / "submissions"))
    assert "0.5 / 5" in graded and "5 / 5" in graded and "0/5" in graded


# --- warnings reach the user in every format ---------------------------------------------------------

STRIDE = "1x10x10 | conv 1 k3 s2"
WARNING = "stride 2 does not fit"


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "json"])
def test_a_summary_warning_reaches_the_user_in_every_format(fmt: str) -> None:
    outcome = run(["summary", STRIDE, "--format", fmt])
    assert outcome.code == 0, outcome.stderr
    said = " ".join((outcome.stdout + outcome.stderr).split())
    assert WARNING in said
    if fmt in ("markdown", "csv"):  # the table file stays a table; the warning goes to stderr
        assert WARNING not in outcome.stdout and outcome.stderr.startswith("warning: layer 1 (conv 1 k3 s2)")
    if fmt == "json":
        assert any(WARNING in w for w in json.loads(outcome.stdout)["warnings"]) and outcome.stderr == ""


def test_a_check_warning_reaches_the_user_in_every_format(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("[answers]\nQ2 = 760\n")
    key = str(EXAMPLES / "lecture_key.toml")
    fragment = "not in the key are not graded: 'Q2'"
    text = run(["check", str(path), "--key", key])
    assert fragment in " ".join(text.stdout.split()) and "did you mean 'q2'?" in text.stdout
    assert fragment in json.loads(run(["check", str(path), "--key", key, "--json"]).stdout)["warnings"][0]
    assert (
        fragment in json.loads(run(["check", str(path), "--key", key, "-f", "gradescope"]).stdout)["output"]
    )
    folder = run(["check", str(path), str(EXAMPLES / "submissions" / "ada.toml"), "--key", key])
    assert f"warning: {path}: answers to questions that are {fragment[:10]}" in folder.stderr


# --- the example files the README uses, from any folder of an installed copy ------------------------


def _readme_example_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```(?:bash|console)\n(.*?)```", text, re.S):
        for line in block.splitlines():
            if line.startswith("cnntool ") and "examples" in line:
                commands.append(shlex.split(line, comments=True)[1:])
    return commands


def test_the_readme_s_example_commands_work_from_any_folder_of_an_installed_copy(tmp_path: Path) -> None:
    """The wheel's layout, built from pyproject's force-include table (cnntool/ with its _examples/,
    no source checkout beside it); from an unrelated folder, every README command naming examples/."""
    import tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    mapping = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert mapping == {"examples": "cnntool/_examples"}
    site = tmp_path / "site"
    shutil.copytree(ROOT / "cnntool", site / "cnntool", ignore=shutil.ignore_patterns("__pycache__"))
    for source, destination in mapping.items():
        shutil.copytree(ROOT / source, site / destination, ignore=shutil.ignore_patterns("__pycache__"))
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "COLUMNS": "120"}

    def cnntool(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "cnntool", *args], cwd=work, env=env, capture_output=True,
                              text=True, timeout=120)  # fmt: skip

    listing = cnntool("examples")
    assert listing.returncode == 0 and str(site / "cnntool" / "_examples") in listing.stdout
    assert "alexnet.net" in listing.stdout and "submissions/ada.toml" in listing.stdout
    commands = _readme_example_commands()
    assert commands[0] == ["examples", "examples"] and len(commands) >= 5
    for args in commands:
        result = cnntool(*args)
        wrong = "--csv" in args or any("wrong" in a or "bob.toml" in a for a in args)  # bob is wrong
        assert result.returncode == (1 if wrong else 0), (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert (work / "grades.csv").read_text().startswith("file,student,score")
