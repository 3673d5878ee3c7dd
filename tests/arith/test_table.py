"""The summary's column model (cnntool.arith.table), its memory line, and the rich view built on it.

Values are the CS231n example's, by hand: conv 10 k5 s1 p2 on 3x32x32 has 10·(3·5·5 + 1) = 760
parameters, 10·32·32 = 10,240 outputs and 10,240·76 = 778,240 MACs.
"""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from cnntool.arith import summarize
from cnntool.arith import table as t
from cnntool.errors import CnnToolError

CS231N = "3x32x32 | conv 10 k5 s1 p2"


def test_rows_and_totals_of_the_default_columns() -> None:
    headers, rows, totals = t.table_rows(summarize(CS231N), t.DEFAULT_COLUMNS, hwc=False)
    assert headers == ["#", "layer", "output", "params", "unshared", "dense-equiv", "MACs", "RF"]
    assert rows[0][:4] == [1, "conv 10 k5 s1 p2", "10×32×32", 760]
    assert rows[0][6] == 778_240 and rows[0][7] == "5x5"
    assert totals[0] == "total" and totals[1:3] == ["", ""] and totals[3] == 760 and totals[6] == 778_240


@pytest.mark.parametrize(
    ("columns", "totals"),
    [
        ("layer,params,macs", ["total", 760, 778_240]),
        ("params,layer", [760, "total"]),  # the label goes where no total is, never over one
        ("params,macs", [760, 778_240]),
        ("index,output,params", ["total", "", 760]),
    ],
)
def test_totals_row_keeps_every_total(columns: str, totals: list) -> None:
    keys = t.parse_columns(columns)
    assert t.table_rows(summarize(CS231N), keys, hwc=False)[2] == totals


def test_channels_last_shapes() -> None:
    rows = t.table_rows(
        summarize("32x32x3 | conv 10 k5 p2 | flatten", hwc=True), ("input", "output"), hwc=True
    )[1]
    assert rows == [["32×32×3", "32×32×10"], ["32×32×10", "10240"]]


def test_unknown_column_suggests_the_closest() -> None:
    with pytest.raises(CnnToolError, match="unknown column 'parms'. did you mean 'params'?"):
        t.parse_columns("layer,parms")
    assert t.parse_columns("") == t.DEFAULT_COLUMNS


def test_memory_bytes_one_function_with_the_element_size() -> None:
    summary = summarize(CS231N)
    assert summary.memory_bytes() == {"params": 760 * 4, "activations": 10_240 * 4}
    assert summary.memory_bytes(element_bytes=8) == {"params": 760 * 8, "activations": 10_240 * 8}
    assert summary.to_dict()["memory_bytes"] == summary.memory_bytes()
    footer = t.footer_text(summary, hwc=False)
    # 3,040 bytes = 2.97 KiB; 40,960 bytes = 40 KiB
    assert footer.endswith("memory: params 3.0 KiB, activations 40.0 KiB per sample (float32)")
    assert footer.startswith("input 3×32×32 → output 10×32×32 · params 760 (trainable 760, non-trainable 0)")
    assert t.byte_text(3 * 1024 * 1024) == "3.0 MiB"


def test_markdown_and_csv_are_text() -> None:
    summary = summarize(CS231N)
    md = t.markdown_table(summary, ("layer", "params"), hwc=False).splitlines()
    assert md == [
        "| layer | params |",
        "| :--- | ---: |",
        "| conv 10 k5 s1 p2 | 760 |",
        "| **total** | **760** |",
    ]
    assert (
        t.csv_table(summary, ("layer", "macs"), hwc=False)
        == "layer,MACs\nconv 10 k5 s1 p2,778240\ntotal,778240"
    )


def test_json_shape_order() -> None:
    data = t.summary_json(summarize("32x32x3 | conv 10 k5 p2", hwc=True), hwc=True)
    assert data["shape_order"] == "channels_last" and data["output_shape"] == [32, 32, 10]
    assert t.summary_json(summarize(CS231N), hwc=False)["shape_order"] == "channels_first"


def test_view_renders_rows_footer_and_warnings_verbatim() -> None:
    from rich.console import Console

    from cnntool.views.summary import summary_view

    summary = summarize("1x10x10 | conv 1 k3 s2")  # (10 − 3)/2 + 1 = 4.5: a warning
    out = io.StringIO()
    Console(file=out, width=250, color_system=None).print(
        summary_view(summary, t.DEFAULT_COLUMNS, False, "net")
    )
    text = out.getvalue()
    assert "conv 1 k3 s2" in text and "1×4×4" in text and "total" in text
    assert t.footer_text(summary, False) in text
    assert "warning: layer 1 (conv 1 k3 s2)" in text and "4.5 is not an integer" in text


def test_column_model_imports_no_renderer() -> None:
    code = (
        "import sys\n"
        "from cnntool.arith import summarize, table\n"
        "s = summarize('lenet5'); table.summary_json(s, False); table.csv_table(s, table.DEFAULT_COLUMNS, False)\n"
        "table.markdown_table(s, table.DEFAULT_COLUMNS, False); table.footer_text(s, True)\n"
        "bad = [m for m in ('rich', 'typer') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
