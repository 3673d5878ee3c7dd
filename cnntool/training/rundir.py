"""The run folder: what `cnntool train --out DIR` writes, and what `--resume DIR` reads.

    DIR/spec.txt      the network, as text (the zoo name or file resolved)
    DIR/config.json   the RunConfig (every setting, the seed included) and the dataset's facts
    DIR/metrics.csv   one row per finished epoch
    DIR/model.npz     the newest weights with the dataset's facts: `cnntool predict`, `filters`, `export`
    DIR/last.npz      the same plus the optimizer, the generators and the position: `--resume`

Every file is written atomically (a temporary file renamed into place), after every epoch and
when a run is interrupted, so a crash or Ctrl-C leaves the last good files. last.npz holds
the history too, so it alone decides where a resumed run continues.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cnntool import budgets
from cnntool.errors import CnnToolError, OutputExistsError
from cnntool.files import atomic_write, read_text
from cnntool.spreadsheet import csv_text
from cnntool.training.config import RunConfig

FILES = ("spec.txt", "config.json", "metrics.csv", "model.npz", "last.npz")
COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds", "samples_per_second")


def next_free(root: Path, stem: str) -> Path:
    """root/stem-1, root/stem-2, ...: the first that does not exist."""
    k = 1
    while (root / f"{stem}-{k}").exists():
        k += 1
    return root / f"{stem}-{k}"


class RunDir:
    """A run folder at `path` (see the module docstring for its files)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def file(self, name: str) -> Path:
        return self.path / name

    @property
    def model(self) -> Path:
        return self.file("model.npz")

    @property
    def last(self) -> Path:
        return self.file("last.npz")

    def is_run(self) -> bool:
        return self.file("config.json").is_file()

    @classmethod
    def create(cls, path: str | Path, force: bool = False) -> RunDir:
        """A new run folder. An existing one is refused unless `force` (then its run files are replaced);
        a folder that holds anything else is never taken over."""
        run = cls(path)
        p = run.path
        if p.exists() and not p.is_dir():
            raise CnnToolError(f"{p} is a file, not a folder for a run (nothing was written)")
        if p.is_dir() and any(p.iterdir()):
            if not run.is_run():
                raise OutputExistsError(p, "run folder", "exists and is not a cnntool run folder")
            if not force:
                raise OutputExistsError(p, "run folder", "holds an earlier run")
        for parent in p.parents:  # folders to be made must not be files
            if parent.exists():
                if not parent.is_dir():
                    raise CnnToolError(f"cannot create {p}: {parent} is a file")
                break
        return run

    def open_existing(self) -> RunDir:
        """This folder as a run to continue; CnnToolError naming what is missing."""
        if not self.path.is_dir():
            raise CnnToolError(f"{self.path}: no such run folder")
        for name in ("config.json", "last.npz"):
            if not self.file(name).is_file():
                raise CnnToolError(f"{self.path}: not a run folder to continue ({name} is missing)")
        return self

    # -- writing --------------------------------------------------------------------------------
    def write_start(self, config: RunConfig, spec_text: str, dataset: dict[str, Any]) -> None:
        """spec.txt and config.json (the folder is made here; earlier run files go when `force`d)."""
        self.path.mkdir(parents=True, exist_ok=True)
        for name in ("metrics.csv", "model.npz", "last.npz"):  # an earlier run's, replaced by this one
            self.file(name).unlink(missing_ok=True)
        atomic_write(self.file("spec.txt"), spec_text.rstrip("\n") + "\n")
        self.write_config(config, dataset)

    def write_config(self, config: RunConfig, dataset: dict[str, Any]) -> None:
        from cnntool import __version__

        body = {"cnntool": __version__, "config": config.to_json(), "dataset": dataset}
        atomic_write(self.file("config.json"), json.dumps(body, indent=2, ensure_ascii=False) + "\n")

    def write_epoch(self, session: Any) -> None:
        """model.npz, then last.npz, then metrics.csv: each replaced atomically."""
        session.save(self.model, resumable=False)
        session.save(self.last, resumable=True)
        self.write_metrics(session.history)

    def write_metrics(self, history: list[Any]) -> None:
        rows = [COLUMNS] + [[r.to_json()[c] for c in COLUMNS] for r in history]
        atomic_write(self.file("metrics.csv"), csv_text(rows))

    # -- reading --------------------------------------------------------------------------------
    def read_config(self) -> RunConfig:
        """The run's RunConfig from config.json (checked as data)."""
        path = self.file("config.json")
        text = read_text(path, budgets.TEXT_BYTES, what="run configuration")
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CnnToolError(f"{path}: not valid JSON ({exc.msg} at character {exc.pos})") from None
        if not isinstance(body, dict) or "config" not in body:
            raise CnnToolError(f'{path}: not a cnntool run configuration (no "config" object)')
        return RunConfig.from_json(body["config"], source=str(path))
