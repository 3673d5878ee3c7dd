"""Shared fixtures of the engine tests.

`slow` tests are deselected by pyproject's `addopts = -m "not slow"` (the one mechanism) and run
with `pytest -m slow`.
"""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def twin(torch):
    """tests/engine/torch_twin.py (PyTorch modules built from a spec), imported once torch is known
    to be installed; without torch, the test is skipped with the `torch` fixture's reason."""
    from tests.engine import torch_twin

    return torch_twin
