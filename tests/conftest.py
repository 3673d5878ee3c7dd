"""Shared test setup: the torch oracle must run in CI, and skips with a reason elsewhere."""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CNNTOOL_REQUIRE_TORCH"):
        try:
            import torch  # noqa: F401
        except ImportError as exc:  # pragma: no cover - only in a broken CI environment
            raise pytest.UsageError(
                "CNNTOOL_REQUIRE_TORCH is set but torch cannot be imported: CI must run the torch tests"
            ) from exc


@pytest.fixture
def torch():
    """PyTorch, the reference oracle; tests using it are skipped with a reason where it is missing."""
    return pytest.importorskip(
        "torch", reason="PyTorch (the reference oracle) is not installed: pip install '.[test]'"
    )
