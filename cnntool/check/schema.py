"""The answer-file schema as one table: per question kind, its fields, their types, defaults and help.

Validation (`cnntool.check.questions`), the "unknown field, did you mean" errors and
the documentation of the format (docs/answer-files.md, written by
`cnntool.check.schema_doc`) are all derived from these tables, so the three cannot
disagree. The messages stay hand-written (in `values`), because they are better than
a validation library's: each names the file, the question id and the field, and says
what a right value looks like.

A field's type (`cnntool.check.field_types`) parses its TOML value and says how the
documentation describes it. A kind may add a `check` across its parsed fields (the
bound on the work a conv or pool question may ask for).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cnntool.arith import CONVENTIONS
from cnntool.check import values as v
from cnntool.check.field_types import (
    Boolean,
    Cell,
    Choice,
    FieldType,
    Fix,
    Ident,
    Integer,
    Layer,
    Matrix,
    Number,
    OutputMatrix,
    Padding,
    Pair,
    ReceptiveField,
    Shape,
    Text,
)
from cnntool.check.values import Where
from cnntool.check.work import window_work
from cnntool.text import closest, excerpt

LAYOUTS = ("chw", "hwc")
MAX_QUESTIONS = 500
MAX_WORK = 400_000  # padded cells × window cells of one conv/pool question


class KindName:
    """A question kind's name or alias, case-insensitive (the table below lists them)."""

    doc = "one of the kinds below (or an alias)"

    def parse(self, raw: Any, at: Where) -> str:
        name = v.as_str(raw, at).strip().lower()
        name = ALIASES.get(name, name)
        if name not in KINDS:
            close = closest(name, KINDS)
            hint = f" (did you mean {close!r}?)" if close else ""
            raise at.error(f"unknown kind {excerpt(name)}{hint}; known kinds: {', '.join(KINDS)}")
        return name


# --- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One field: when absent, a `required` one is an error, an `inherit` one takes the file's
    setting of the same name, and otherwise `default` (a TOML value, parsed like a written one)
    applies; a None default leaves the field unset (`default_doc` says what that means)."""

    name: str
    type: FieldType | None  # None only for `answer`: its kind says how to read it
    help: str
    required: bool = False
    default: Any = None
    inherit: bool = False
    default_doc: str = ""


@dataclass(frozen=True)
class QuestionKind:
    """A question kind: its own fields, the answer's type, aliases, and a check across fields."""

    name: str
    help: str
    fields: tuple[Field, ...]
    answer: FieldType
    aliases: tuple[str, ...] = ()
    cell_answer: FieldType | None = None  # the answer's type when `at` picks one cell
    check: Callable[[dict[str, Any], Where], None] | None = None

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)


def check_work(inputs: dict[str, Any], at: Where) -> None:
    """Bound the exact arithmetic a question can ask for (padded cells × window cells), so a
    hostile or careless file cannot stall an autograder."""
    pad = inputs["padding"]
    if isinstance(pad, tuple) and max(pad) > v.MAX_SIDE:
        raise at.at("padding").error(f"must be at most {v.MAX_SIDE}")
    work = window_work(inputs)
    if work > MAX_WORK:
        raise at.at("image").error(
            f"this question needs about {work:,} multiplications; the limit is {MAX_WORK:,} "
            "(use a smaller image, kernel or padding)"
        )


SPEC_FIELDS = (
    Field(
        "spec",
        Text(20_000),
        'the network: spec text (`"3x32x32 | conv 10 k5 p2"`) or a zoo name; never a file path',
        required=True,
    ),
    Field("layer", Layer(), "the layer the question is about", default="last"),
    Field("convention", Choice(CONVENTIONS), "how parameters are counted (the file's setting)", inherit=True),
    Field(
        "layout",
        Choice(LAYOUTS),
        "the order of the spec's input shape and of shape answers (the file's setting)",
        inherit=True,
    ),
)

GRADING_FIELDS = (
    Field(
        "at", Pair(0), "grade one cell `[row, column]` (0-based) of the first channel, not the whole output"
    ),
    Field("tolerance", Number(minimum=0), "also accept answers this close to the exact value"),
    Field("truncate", Integer(0, 12), "also accept the value truncated to this many decimals (7/9 → 0.77)"),
    Field("decimals", Integer(0, 12), "also accept the value rounded to this many decimals (7/9 → 0.78)"),
)

_SPEC_HELP = {
    "shape": 'the output shape of the layer (C×H×W, or H×W×C with `layout = "hwc"`)',
    "params": "the parameters of the layer, biases included (PyTorch's count)",
    "params_unshared": "the parameters of the layer without weight sharing (a filter per output position)",
    "params_dense": "the parameters of a dense layer between the same inputs and outputs",
    "macs": "the multiply-accumulates of the layer per sample, bias additions included",
    "receptive_field": "the receptive field of one output cell of the layer, in input pixels",
    "total_params": "the parameters of the whole network",
    "total_macs": "the multiply-accumulates of the whole network per sample",
}
_SPEC_ANSWERS: dict[str, FieldType] = {"shape": Shape(), "receptive_field": ReceptiveField()}
_SPEC_ALIASES = {"shape": ("output_shape",), "receptive_field": ("rf",)}

QUESTION_KINDS: dict[str, QuestionKind] = {
    kind.name: kind
    for kind in (
        *(
            QuestionKind(
                name,
                help,
                SPEC_FIELDS,
                _SPEC_ANSWERS.get(name, Integer()),
                _SPEC_ALIASES.get(name, ()),
            )
            for name, help in _SPEC_HELP.items()
        ),
        QuestionKind(
            "conv",
            "the output of a 2-d convolution worked by hand (the lecture's X and O exercises)",
            (
                Field("image", Matrix(), "the input", required=True),
                Field("kernel", Matrix(), "the filter", required=True),
                Field("stride", Pair(), "the step between windows", default=1),
                Field("padding", Padding(), "zeros added on each side", default=0),
                Field("dilation", Pair(), "the spacing of the filter taps", default=1),
                Field("bias", Number(), "added to every output cell", default=0),
                Field(
                    "flip",
                    Boolean(),
                    "flip the filter (true convolution); false is cross-correlation, as PyTorch's conv2d",
                    default=False,
                ),
                Field("normalize", Boolean(), "divide each sum by the number of window cells", default=False),
                *GRADING_FIELDS,
            ),
            OutputMatrix(),
            cell_answer=Cell(),
            check=check_work,
        ),
        QuestionKind(
            "pool",
            "the output of max or average pooling worked by hand",
            (
                Field("image", Matrix(), "the input", required=True),
                Field("size", Pair(), "the window size", default=2),
                Field("stride", Pair(), "the step between windows", default_doc="the window size"),
                Field("padding", Pair(0), "padding on each side (−∞ for max, 0 for avg)", default=0),
                Field("mode", Choice(("max", "avg")), "the pooling", default="max"),
                Field("ceil", Boolean(), "round the output size up (PyTorch's ceil_mode)", default=False),
                Field(
                    "count_include_pad",
                    Boolean(),
                    "avg: divide by the window including its padding cells (PyTorch's default)",
                    default=True,
                ),
                *GRADING_FIELDS,
            ),
            OutputMatrix(),
            cell_answer=Cell(),
            check=check_work,
        ),
        QuestionKind(
            "feasible",
            "whether a convolution tiles its input: (I − F + 2P)/S + 1 is a whole number ≥ 1",
            (
                Field("input", Integer(1, 100_000), "the input size I (one side)", required=True),
                Field("kernel", Integer(1, 100_000), "the filter size F", required=True),
                Field("stride", Integer(1, 100_000), "the stride S", required=True),
                Field("padding", Integer(0, 100_000), "the padding P", default=0),
                Field("dilation", Integer(1, 100_000), "the dilation", default=1),
                Field(
                    "fix",
                    Fix(),
                    "for an infeasible one: a change that makes it fit (graded too)",
                    default_doc="none",
                ),
            ),
            Boolean(),
            aliases=("infeasible",),
        ),
    )
}

KINDS = tuple(QUESTION_KINDS)
SPEC_KINDS = tuple(_SPEC_HELP)
ALIASES = {alias: kind.name for kind in QUESTION_KINDS.values() for alias in kind.aliases}

COMMON_FIELDS = (
    Field(
        "id",
        Ident(),
        "names the question in reports; a submission graded with a key answers by id",
        required=True,
    ),
    Field("kind", KindName(), "what is asked", required=True),
    Field("points", Number(0, 1000), "points for a right answer", default=1),
    Field(
        "partial",
        Number(0, 1, meaning="the share of points for a recognised mistake"),
        "the share of the points given when a common mistake is recognised",
        default=0,
    ),
    Field("prompt", Text(), "the question as students read it", default=""),
    Field("answer", None, "the answer, in the form its kind says; absent: unanswered", default_doc="none"),
)

FILE_FIELDS = (
    Field("title", Text(200), "shown above the report", default=""),
    Field("student", Text(200), "shown with the score", default=""),
    Field(
        "layout",
        Choice(LAYOUTS),
        '`"hwc"` reads each spec\'s input shape and the shape answers channels-last (32x32x3)',
        default="chw",
    ),
    Field(
        "convention",
        Choice(CONVENTIONS),
        "how parameters are counted (`keras`: one RNN bias)",
        default="pytorch",
    ),
)
FILE_TABLES = {  # name: (what it is, help)
    "question": ("array of tables", "the questions: one `[[question]]` table each"),
    "answers": ("table", "a submission graded with a key: an `[answers]` table of `id = answer` lines"),
}
TOP_LEVEL = (*(f.name for f in FILE_FIELDS), *FILE_TABLES)


def allowed_fields(kind: str) -> tuple[str, ...]:
    """Every field a question of `kind` may have, common ones first."""
    return (*(f.name for f in COMMON_FIELDS), *(f.name for f in QUESTION_KINDS[kind].fields))
