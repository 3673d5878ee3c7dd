"""`cnntool explain` as a renderable: every formula of every layer, in symbols, then with the numbers."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Group
from rich.text import Text

from cnntool.arith.results import LayerResult
from cnntool.spec.source import to_channels_last
from cnntool.text import shape_text


def _shape(shape: tuple[int, ...], layout: str, hwc: bool) -> str:
    return shape_text(to_channels_last(shape, layout) if hwc else shape)


def layer_formulas_view(row: LayerResult, hwc: bool = False) -> Group:
    """One layer: its heading with the shapes, each formula on two lines, and its warnings."""
    parts: list[Text] = [
        Text.assemble(
            (f"layer {row.index}: {row.text}", "bold"),
            f"   {_shape(row.input_shape, row.input_layout, hwc)} → {_shape(row.output_shape, row.layout, hwc)}",
        )
    ]
    if not row.formulas:
        parts.append(
            Text("  (no parameters; the shape passes through)" if row.input_shape == row.output_shape else "")
        )
    for formula in row.formulas:
        value = f"{formula.value:,}" if isinstance(formula.value, int) else str(formula.value)
        parts.append(Text(f"  {formula.quantity} = {formula.symbolic}", style="dim"))
        parts.append(
            Text.assemble(f"  {' ' * len(formula.quantity)} = {formula.substituted} = ", (value, "bold"))
        )
    for cause in row.causes:
        parts.append(Text.assemble("  ", ("warning:", "yellow"), f" {cause}"))
    return Group(*parts)


def formulas_view(rows: Iterable[LayerResult], hwc: bool = False) -> Group:
    """Every given layer's formulas, a blank line between layers."""
    return Group(*(item for row in rows for item in (layer_formulas_view(row, hwc), Text(""))))
