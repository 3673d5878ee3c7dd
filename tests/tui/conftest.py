"""Helpers for the TUI's Pilot tests: run `async def` tests, read what a screen shows as plain text."""

from __future__ import annotations

import asyncio
import inspect
import io

import pytest
from rich.console import Console
from textual.widgets import DataTable, Static


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run `async def` tests (Pilot's app.run_test() is async) in a fresh event loop each."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    wanted = inspect.signature(pyfuncitem.obj).parameters
    asyncio.run(pyfuncitem.obj(**{k: v for k, v in pyfuncitem.funcargs.items() if k in wanted}))
    return True


def table_cells(table: DataTable) -> list[list[str]]:
    """Every row of a DataTable as the plain text of its cells."""
    return [[getattr(c, "plain", str(c)) for c in table.get_row_at(i)] for i in range(table.row_count)]


def static_text(widget: Static, width: int = 200) -> str:
    """What a Static shows, rendered without colour at `width` columns."""
    console = Console(file=io.StringIO(), width=width, color_system=None, record=True, highlight=False)
    console.print(widget.content)
    return console.export_text()


def record_notifications(app) -> list[tuple[str, str]]:
    """Start recording the app's notifications; returns the list they are appended to (message, severity)."""
    seen: list[tuple[str, str]] = []
    notify = app.notify

    def recording(message, *args, **kwargs):
        seen.append((str(message), kwargs.get("severity", "information")))
        return notify(message, *args, **kwargs)

    app.notify = recording
    return seen
