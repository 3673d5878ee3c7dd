"""Training runs from the shell, as data: configuration, run folders, resume, experiments, predict.

The use-case layer above `cnntool.engine` and `cnntool.data` (docs/architecture.md): it prints
nothing; `cnntool train`, `cnntool experiment`, `cnntool predict`, the demo and the TUI render the
events and results it returns.

    from cnntool.training import RunConfig, Session
    session = Session.start(RunConfig(spec="1x9x9 | conv 4 k3 | relu | flatten | dense 2", data="xo"))
    for event in session.train():          # Progress events of cnntool.engine.train
        ...

Modules: config.py (RunConfig), data.py (the dataset a config names, checked against the spec),
session.py (one run: build, optimizer, schedule, resume state), rundir.py (the run folder),
experiments.py (the lecture's comparisons), inspect.py (predict, filters, feature maps),
images.py (PNG, .npy and matrix inputs), metrics.py (confusion matrix, histories).
Importing this package is light: modules load when first used.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "RunConfig": "cnntool.training.config",
    "Session": "cnntool.training.session",
    "EpochRecord": "cnntool.training.session",
    "RunDir": "cnntool.training.rundir",
    "EXPERIMENTS": "cnntool.training.experiments",
    "run_experiment": "cnntool.training.experiments",
    "predict": "cnntool.training.inspect",
    "read_image": "cnntool.training.images",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'cnntool.training' has no attribute {name!r}")
