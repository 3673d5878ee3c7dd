"""Views return rich renderables and never print; rendered, they show what the reports hold.

Rendered to a string with a recording Console: without colour the window is bracketed ([x]),
with colour it is styled instead (no brackets), exactly as `cnntool conv` in a pipe or a terminal.
"""

from __future__ import annotations

import ast
import io
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from rich.console import Console, Group

from cnntool.explain import (
    ConvRequest,
    ConvSettings,
    ConvTRequest,
    ConvTSettings,
    PoolRequest,
    PoolSettings,
    parse_filters,
    parse_tensor,
    run_conv,
    run_conv_transpose,
    run_pool,
)
from cnntool.views.conv import conv_step_view, conv_view
from cnntool.views.convt import convt_view
from cnntool.views.grid import Fmt
from cnntool.views.pool import pool_view
from cnntool.views.samples import samples_view

ROOT = Path(__file__).resolve().parents[2]


def render(renderable, colour: bool = False, width: int = 120) -> str:
    console = Console(
        file=io.StringIO(), width=width, record=True, color_system="truecolor" if colour else None,
        force_terminal=colour, highlight=False, emoji=False,
    )  # fmt: skip
    console.print(renderable)
    return console.export_text(styles=colour)


def x_diag_report(**kw):
    return run_conv(
        ConvRequest(parse_tensor("x"), (parse_tensor("diag"),), ConvSettings(normalize=True), **kw)
    )


def test_conv_view_returns_a_renderable_and_prints_nothing(capsys) -> None:
    view = conv_view(x_diag_report(at=(0, 0)), Fmt(), steps=False)
    assert isinstance(view, Group)
    assert capsys.readouterr() == ("", "")
    text = render(view)
    assert "÷ 9 (window size) = 7/9" in text and "output[0,0] = 7/9" in text
    assert "[7/9]" in text  # the chosen cell, bracketed without colour
    assert "[-1] [-1] [-1]" in text  # the window on the image


def test_colour_marks_the_window_without_brackets() -> None:
    text = render(conv_view(x_diag_report(at=(0, 0)), Fmt(), steps=False), colour=True)
    assert "[7/9]" not in text and "[-1]" not in text
    assert "\x1b[" in text and "7/9" in text  # styled instead


def test_multichannel_step_view_shows_every_channel_then_the_total() -> None:
    report = run_conv(
        ConvRequest(
            parse_tensor("1 2; 3 4;; 5 6; 7 8;; 1 1; 1 1"),
            (parse_tensor("1 0; 0 0;; 0 0; 0 1;; 1 1; 1 1"),),
            ConvSettings(bias=Fraction(1)),
        )
    )
    text = render(conv_step_view(report, report.steps[0], Fmt()))
    for ch, partial in ((1, "= 1"), (2, "= 8"), (3, "= 4")):
        assert f"channel {ch} partial sum:" in text and partial in text
    assert "sum over channels = 1 + 8 + 4 = 13" in text and "+ bias 1 = 14" in text


def test_several_filters_view() -> None:
    report = run_conv(
        ConvRequest(
            parse_tensor("x"), parse_filters("diag,cross,antidiag"), ConvSettings(normalize=True), at=(0, 6)
        )
    )
    text = render(conv_view(report, Fmt(truncate=2), steps=False), width=200)
    assert "filter 3, output (0,6)" in text and "map 3 output[0,6] = 0.77" in text
    assert "map 2 output[0,6] = 0.33" in text
    assert "3 filters of 1x3x3" in text and "3x7x7 output: 3 maps of 7x7" in text


def test_steps_view_fills_the_map_cell_by_cell() -> None:
    report = run_conv(ConvRequest(parse_tensor("exercise"), (parse_tensor("halves"),)))
    text = render(conv_view(report, Fmt(), steps=True))
    assert text.count("output (") == 4
    # the map after the first and the second step: the new cell bracketed, the rest still dots
    assert "\n [2]  · \n  ·   · \n" in text
    assert "\n   2  [-2]\n   ·    · \n" in text


def test_pool_and_convt_views() -> None:
    pool = run_pool(PoolRequest(parse_tensor("1 2; 3 4"), PoolSettings(mode="avg"), backward=True))
    text = render(pool_view(pool, Fmt(), steps=True))
    assert "(1 + 2 + 3 + 4) / 4 = 5/2" in text and "x(0,0) += 1/4" in text
    convt = run_conv_transpose(
        ConvTRequest(
            parse_tensor("1 2; 3 4"), parse_tensor("1 1; 1 1"), ConvTSettings(stride=(2, 2)), backward=True
        )
    )
    text = render(convt_view(convt, Fmt(), steps=True))
    assert "input (1,1) = 4 stamps 4 × kernel" in text
    assert "dL/dW[0,0]" in text and "dL/dx[1,1]" in text and "dL/db = 16" in text
    assert "<1>" in text  # dout cells a weight was added to, marked without colour


def test_samples_view() -> None:
    text = render(samples_view())
    assert "antidiag" in text and "sobel-x" in text and "the 9x9 X" in text


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "cnntool" / "views").glob("*.py")), ids=lambda p: p.name)
def test_views_never_import_the_shells(path: Path) -> None:
    assert not {m for m in _imports(path) if m.startswith(("cnntool.cli", "cnntool.tui"))}


def test_core_never_imports_the_views() -> None:
    for package in ("explain", "arith", "check", "spec"):
        for path in (ROOT / "cnntool" / package).rglob("*.py"):
            assert not {m for m in _imports(path) if m.startswith("cnntool.views")}, path


def test_importing_the_explain_api_pulls_no_numpy_or_rich() -> None:
    code = (
        "import sys, cnntool.explain; "
        "from cnntool.explain import run_conv, ConvRequest, parse_tensor; "
        "run_conv(ConvRequest(parse_tensor('x'), (parse_tensor('diag'),), backward=True, as_matrix=True)); "
        "print(sorted(m for m in ('numpy', 'rich', 'typer', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
