"""The dataset names and what each one is, without building anything (no numpy imported).

`cnntool data list` shows this table, and the loaders take their default sizes from it, so the
sizes a student reads in the list are the sizes a default `load(name)` returns (a test checks
every generated dataset against its entry).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cnntool.data.remote import REMOTES
from cnntool.errors import CnnToolError
from cnntool.text import closest, excerpt


class UnknownDatasetError(CnnToolError, KeyError):
    """A dataset name that is not in the catalogue; the message suggests the closest one."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class DatasetInfo:
    """One catalogue entry.

    origin: "generated" (from a seed, no download), "file" (built from a file the user gives),
    "download" (verified files in the cache) or "extra" (shipped by an optional package,
    `pip install 'cnntool[<extra>]'`).
    input_shape / num_classes / sizes: with the default options; None where they depend on the
    user's input (the text task's vocabulary and length).
    defaults: the generator's default options (sizes included), passed by `load`.
    """

    name: str
    task: str
    input_shape: tuple[int, ...]
    num_classes: int | None
    sizes: dict[str, int] | None
    description: str
    origin: str
    extra: str | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    @property
    def needs_download(self) -> bool:
        return self.origin == "download"

    @property
    def download_bytes(self) -> int | None:
        return REMOTES[self.name].total_bytes if self.needs_download else None


def _gen(name, task, shape, classes, n_train, n_val, description, **defaults) -> DatasetInfo:
    sizes = {"train": n_train, "val": n_val}
    return DatasetInfo(
        name, task, shape, classes, sizes, description, "generated",
        defaults={"n_train": n_train, "n_val": n_val, **defaults},
    )  # fmt: skip


def _download(name, classes, shape, train, val, test, description, aliases=()) -> DatasetInfo:
    return DatasetInfo(
        name, "classification", shape, classes, {"train": train, "val": val, "test": test}, description,
        "download", defaults={"val_fraction": val / (train + val)}, aliases=aliases,
    )  # fmt: skip


ENTRIES: tuple[DatasetInfo, ...] = (
    _gen("xo", "classification", (1, 9, 9), 2, 800, 200,
         "the lecture's 9x9 X and O (+1 stroke on -1 background), shifted, thickened, noisy",
         max_shift=1, thickness=(1, 2), noise=0.2),
    _gen("shapes", "classification", (1, 16, 16), 6, 2400, 600,
         "lines at 0/45/90/135 degrees, crosses and squares (+1 on -1), placed at random, noisy",
         size=16, noise=0.2),
    _gen("sine", "regression", (20, 1), None, 2000, 500,
         "predict the next value of a noisy sine wave (random amplitude, frequency, phase)",
         seq_len=20, noise=0.05),
    _gen("adding", "regression", (50, 2), None, 4000, 1000,
         "the adding problem: sum the two values whose marker is 1 (long memory); T x (value, marker)",
         seq_len=50),
    _gen("copy", "sequence-labelling", (20, 10), 9, 2000, 500,
         "repeat 5 symbols after a delay of 10 blanks; one-hot input, a class per time step",
         length=5, delay=10, symbols=8),
    _gen("parity", "sequence-classification", (10, 1), 2, 2000, 500,
         "is the number of 1 bits in the sequence odd?", seq_len=10),
    DatasetInfo(
        "text", "sequence-classification", (64,), None, None,
        "next-character prediction on a UTF-8 text file you give (token ids for an embedding)",
        "file", defaults={"seq_len": 64, "val_fraction": 0.1},
    ),
    DatasetInfo(
        "digits", "classification", (1, 8, 8), 10, {"train": 1438, "val": 359},
        "scikit-learn's 8x8 handwritten digits (1,797 images, values 0..16 scaled to 0..1)",
        "extra", extra="digits", defaults={"n_val": 359},
    ),
    _download("mnist", 10, (1, 28, 28), 54_000, 6_000, 10_000,
              "handwritten digits 0-9, 28x28 grey (LeCun, Cortes, Burges)"),
    _download("fashion-mnist", 10, (1, 28, 28), 54_000, 6_000, 10_000,
              "Zalando's clothing images, 28x28 grey, 10 classes", aliases=("fashion", "fmnist")),
    _download("cifar10", 10, (3, 32, 32), 45_000, 5_000, 10_000,
              "32x32 colour photos, 10 classes (Krizhevsky 2009)", aliases=("cifar-10", "cifar")),
)  # fmt: skip

CATALOG: dict[str, DatasetInfo] = {e.name: e for e in ENTRIES}


def _key(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def resolve(name: str) -> DatasetInfo:
    """The entry called `name` (case-insensitive, `_` same as `-`, aliases allowed).

    Raises UnknownDatasetError naming the closest name.
    """
    key = _key(name)
    for entry in ENTRIES:
        if key == entry.name or key in entry.aliases or key == entry.name.replace("-", ""):
            return entry
    best = closest(key, [*CATALOG, *(a for e in ENTRIES for a in e.aliases)])
    if best is not None and best not in CATALOG:
        best = next(e.name for e in ENTRIES if best in e.aliases)
    hint = f"; did you mean '{best}'?" if best else ""
    raise UnknownDatasetError(f"unknown dataset {excerpt(name)}{hint} (datasets: {', '.join(CATALOG)})")
