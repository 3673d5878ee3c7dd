"""Snapshot tests (pytest-textual-snapshot): every screen at 80x24 and 120x40, compared with the SVGs
committed in tests/tui/__snapshots__/. After a deliberate change of the layout, look at the new
pictures (pytest writes snapshot_report.html on a mismatch) and accept them with
`pytest tests/tui/test_tui_snapshots.py --snapshot-update`.

The pictures are drawn by the Textual version pinned in the test extra (pyproject.toml).
"""

from __future__ import annotations

import pytest

from cnntool.tui.app import CnnToolApp
from cnntool.tui.launch import prepare


@pytest.fixture(autouse=True)
def colour(monkeypatch) -> None:
    """The snapshots are in colour: a NO_COLOR in the environment must not change them."""
    monkeypatch.delenv("NO_COLOR", raising=False)


SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.mark.parametrize("size", SIZES)
def test_builder(snap_compare, size) -> None:
    assert snap_compare(CnnToolApp(prepare()), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_builder_with_an_error(snap_compare, size) -> None:
    async def type_a_bad_layer(pilot) -> None:
        editor = pilot.app.screen.query_one("#spec")
        editor.insert("\ndense 10 k3", editor.document.end)  # one edit: the table kept is the one before it
        await pilot.pause()
        while pilot.app.screen.pending is not None:  # a slow machine debounces the analysis
            await pilot.pause(0.05)

    app = CnnToolApp(prepare("3x32x32 | conv 10 k5 p2 | relu | maxpool 2 | flatten"))
    assert snap_compare(app, terminal_size=size, run_before=type_a_bad_layer)


@pytest.mark.parametrize("size", SIZES)
def test_stepper(snap_compare, size) -> None:
    app = CnnToolApp(prepare(screen="stepper", image="x", kernel="diag", normalize=True))
    assert snap_compare(app, press=["right"] * 9, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_trainer(snap_compare, size) -> None:
    assert snap_compare(CnnToolApp(prepare(screen="trainer", data="xo")), terminal_size=size)


def test_help(snap_compare) -> None:
    assert snap_compare(CnnToolApp(prepare(screen="stepper")), press=["f1"], terminal_size=(80, 24))
