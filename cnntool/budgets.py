"""Work budgets: every input is checked against these limits before any work starts.

A few characters must never cost more than about a second or a few hundred MB: a spec that
repeats a block a billion times, a 5000×5000 image stepped through in exact fractions, an
endless stdin, a model file that announces a 40 GB array. Each limit lives here, once; the
module that reads an input calls `check(...)` with what it is about to do, and the error
says which budget was hit, by how much, and what to do instead. docs/budgets.md lists them.

Pure Python and tiny: the shape commands import it.
"""

from __future__ import annotations

from typing import NamedTuple

from cnntool.errors import CnnToolError


class BudgetError(CnnToolError):
    """An input asks for more work or memory than cnntool's documented budget allows."""


class Budget(NamedTuple):
    """One limit: `name` as the docs and messages call it, the maximum, its unit, and the usual fix."""

    name: str
    limit: int
    unit: str
    fix: str


#: Layers of a spec after `N*[...]` repeats are expanded (10,000 summarise in ~0.7 s).
LAYERS = Budget("layers after expanding repeats", 10_000, "layers", "repeat fewer times or split the network")
#: Nesting depth of `[...]` blocks.
NESTING = Budget("block nesting", 50, "levels", "nest fewer res[...] / N*[...] blocks")
#: Stacked layers of one rnn/gru/lstm (`layers=`).
RECURRENT_LAYERS = Budget("stacked recurrent layers", 1_000, "layers", "use fewer layers=")
#: Any whole number written in a spec or an option (sizes, counts, strides).
NUMBER = Budget("size of a number", 1_000_000_000, "", "use a realistic size")
#: Bytes read from one text input: a spec file, stdin, a matrix file.
TEXT_BYTES = Budget("bytes read from one input file or stdin", 1_000_000, "bytes", "use a smaller file")
#: Bytes of one answer or key file of `cnntool check` (a class's 500 questions fit in a tenth of it).
ANSWER_BYTES = Budget(
    "bytes of one answer or key file", 262_144, "bytes", "remove long comments or split the questions"
)
#: Steps to grade one answer or key file: a multiply-add of a conv/pool question is one, a layer of a
#: spec question's network 20, and each common mistake a hint tries repeats its question's steps
#: (measured ~1.7 µs a step, so about a second). cnntool/check/work.py counts them.
GRADE_WORK = Budget(
    "work to grade one answer file", 600_000, "steps",
    "split the questions over several files, or use smaller images and networks",
)  # fmt: skip
#: Multiply-adds of one cell-by-cell explanation, backward pass included (exact fractions with the
#: steps kept: measured ~7 µs each, so the budget is about a second).
EXPLAIN_WORK = Budget(
    "multiply-adds of one explanation", 200_000, "multiply-adds", "use a smaller image or kernel"
)
#: Cells of one explained output (all channels/filters), e.g. a transposed conv with a huge stride.
EXPLAIN_CELLS = Budget("cells of one explained output", 100_000, "cells", "use a smaller stride or image")
#: Entries of the conv-as-matrix view (output cells × input cells).
MATRIX_ENTRIES = Budget(
    "entries of the conv-as-matrix view", 250_000, "entries", "use a smaller image (e.g. 8x8)"
)
#: Bytes of the arrays in one model file (AlexNet in float32 is 244 MB).
MODEL_BYTES = Budget("bytes of arrays in one model file", 300_000_000, "bytes", "use a smaller model")
#: Bytes the engine allocates to build a model: parameters plus one sample's activations and buffers.
BUILD_BYTES = Budget(
    "bytes to build a model (parameters + one sample's activations)", 400_000_000, "bytes",
    "use fewer or smaller layers, or a smaller input",
)  # fmt: skip
#: Bytes one training or inference batch may take (activations and buffers × batch size).
BATCH_BYTES = Budget("bytes of one batch's activations", 2_000_000_000, "bytes", "use a smaller --batch")
#: Numbers (array elements) of one generated dataset: 200 M float32 values are 800 MB.
DATASET_NUMBERS = Budget(
    "numbers in one generated dataset", 200_000_000, "numbers", "generate fewer or shorter samples"
)
#: Bytes of the text file the character-level dataset learns from.
DATASET_TEXT_BYTES = Budget(
    "bytes of a text file to learn from", 10_485_760, "bytes", "use a smaller text file"
)
#: Bytes of one decompressed dataset file (an IDX payload, a CIFAR-10 batch); MNIST's largest is 47 MB.
DATASET_FILE_BYTES = Budget(
    "bytes of one decompressed dataset file", 268_435_456, "bytes", "use the official dataset files"
)
#: Pixels (width × height) of one image to predict on, read from its header before anything is decoded.
IMAGE_PIXELS = Budget("pixels of one input image", 1_048_576, "pixels", "use a smaller image (e.g. 256x256)")
#: Bytes of one image file (a PNG is decompressed only up to what its header announces).
IMAGE_BYTES = Budget("bytes of one image file", 20_000_000, "bytes", "use a smaller image file")

ALL: tuple[Budget, ...] = (
    LAYERS,
    NESTING,
    RECURRENT_LAYERS,
    NUMBER,
    TEXT_BYTES,
    ANSWER_BYTES,
    GRADE_WORK,
    EXPLAIN_WORK,
    EXPLAIN_CELLS,
    MATRIX_ENTRIES,
    MODEL_BYTES,
    BUILD_BYTES,
    BATCH_BYTES,
    DATASET_NUMBERS,
    DATASET_TEXT_BYTES,
    DATASET_FILE_BYTES,
    IMAGE_PIXELS,
    IMAGE_BYTES,
)


def _amount(value: int, unit: str) -> str:
    return f"{value:,} {unit}".rstrip()


def message(budget: Budget, value: int, what: str) -> str:
    """The one wording of a budget error: what was asked, the limit, by how much, and the fix."""
    return (
        f"{what} needs {_amount(value, budget.unit)}, over cnntool's budget of "
        f"{_amount(budget.limit, budget.unit)} ({budget.name}) by {_amount(value - budget.limit, budget.unit)}; "
        f"{budget.fix}"
    )


def check(budget: Budget, value: int, what: str) -> None:
    """Raise BudgetError if `value` exceeds the budget; `what` says what was asked ("the spec")."""
    if value > budget.limit:
        raise BudgetError(message(budget, value, what))
