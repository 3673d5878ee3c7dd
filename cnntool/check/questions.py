"""The answer-file schema: question kinds, their fields, and validation into `Question`s.

Validation happens entirely before grading, so a malformed file fails as a
whole with one message (exit 2) instead of half a report; each message names
the question id and the field. Unknown fields are errors too: `strid = 2`
silently ignored would grade the wrong question.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from cnntool.arith import CONVENTIONS
from cnntool.check import values as v
from cnntool.check.toml_io import AnswerFileError

SPEC_KINDS = (
    "shape",
    "params",
    "params_unshared",
    "params_dense",
    "macs",
    "receptive_field",
    "total_params",
    "total_macs",
)
KINDS = (*SPEC_KINDS, "conv", "pool", "feasible")
ALIASES = {"infeasible": "feasible", "output_shape": "shape", "rf": "receptive_field"}
LAYOUTS = ("chw", "hwc")
MAX_QUESTIONS = 500

_COMMON = ("id", "kind", "points", "partial", "prompt", "answer")
_GRADING = ("tolerance", "truncate", "decimals", "at")
FIELDS: dict[str, tuple[str, ...]] = {
    **{kind: ("spec", "layer", "convention", "layout") for kind in SPEC_KINDS},
    "conv": ("image", "kernel", "stride", "padding", "dilation", "bias", "flip", "normalize", *_GRADING),
    "pool": ("image", "size", "stride", "padding", "mode", "ceil", "count_include_pad", *_GRADING),
    "feasible": ("input", "kernel", "stride", "padding", "dilation", "fix"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    **{kind: ("spec",) for kind in SPEC_KINDS},
    "conv": ("image", "kernel"),
    "pool": ("image",),
    "feasible": ("input", "kernel", "stride"),
}


@dataclass(frozen=True)
class Question:
    """One validated question: `inputs` are parsed values keyed by field name, `answer` is parsed too.

    `raw_answer` keeps what the student wrote, to show it back; `answer` is None when unanswered.
    """

    id: str
    kind: str
    inputs: dict[str, Any] = field(hash=False)
    points: float = 1.0
    partial: float = 0.0
    prompt: str = ""
    answer: Any = None
    raw_answer: Any = None


def kind_of(raw: Any, qid: str) -> str:
    kind = v.as_str(raw, qid, "kind")
    kind = ALIASES.get(kind.strip().lower(), kind.strip().lower())
    if kind not in KINDS:
        close = difflib.get_close_matches(kind, KINDS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise v.bad(qid, "kind", f"unknown kind {kind!r}{hint}; known kinds: {', '.join(KINDS)}")
    return kind


def _inputs(kind: str, table: dict[str, Any], qid: str, defaults: dict[str, Any]) -> dict[str, Any]:
    get = table.get
    if kind in SPEC_KINDS:
        layer = get("layer", "last")
        if not (isinstance(layer, str) and layer.strip().lower() == "last"):
            layer = v.as_int(layer, qid, "layer", 1, 10_000)
        return {
            "spec": v.as_str(get("spec"), qid, "spec", max_len=20_000),
            "layer": "last" if isinstance(layer, str) else layer,
            "convention": v.as_str(get("convention", defaults["convention"]), qid, "convention", CONVENTIONS),
            "layout": v.as_str(get("layout", defaults["layout"]), qid, "layout", LAYOUTS),
        }
    if kind == "feasible":
        fix = get("fix")
        if fix is not None:
            if not isinstance(fix, dict) or not fix or set(fix) - {"padding", "stride"}:
                raise v.bad(qid, "fix", "expected a table like { padding = 1 } or { stride = 1 }")
            fix = {name: v.as_int(val, qid, f"fix.{name}", 0 if name == "padding" else 1, 10_000)
                   for name, val in sorted(fix.items())}  # fmt: skip
        return {
            "input": v.as_int(get("input"), qid, "input", 1, 100_000),
            "kernel": v.as_int(get("kernel"), qid, "kernel", 1, 100_000),
            "stride": v.as_int(get("stride"), qid, "stride", 1, 100_000),
            "padding": v.as_int(get("padding", 0), qid, "padding", 0, 100_000),
            "dilation": v.as_int(get("dilation", 1), qid, "dilation", 1, 100_000),
            "fix": fix,
        }
    inputs: dict[str, Any] = {"image": v.as_tensor(get("image"), qid, "image")}
    if kind == "conv":
        padding = get("padding", 0)
        if isinstance(padding, str) and padding.strip().lower() in ("same", "valid"):
            padding = padding.strip().lower()
        else:
            padding = v.as_pair(padding, qid, "padding", 0)
        inputs.update(
            kernel=v.as_tensor(get("kernel"), qid, "kernel"),
            stride=v.as_pair(get("stride", 1), qid, "stride"),
            padding=padding,
            dilation=v.as_pair(get("dilation", 1), qid, "dilation"),
            bias=v.as_number(get("bias", 0), qid, "bias"),
            flip=v.as_bool(get("flip", False), qid, "flip"),
            normalize=v.as_bool(get("normalize", False), qid, "normalize"),
        )
    else:
        size = v.as_pair(get("size", 2), qid, "size")
        inputs.update(
            size=size,
            stride=v.as_pair(get("stride"), qid, "stride") if "stride" in table else None,
            padding=v.as_pair(get("padding", 0), qid, "padding", 0),
            mode=v.as_str(get("mode", "max"), qid, "mode", ("max", "avg")),
            ceil=v.as_bool(get("ceil", False), qid, "ceil"),
            count_include_pad=v.as_bool(get("count_include_pad", True), qid, "count_include_pad"),
        )
    _check_work(kind, inputs, qid)
    inputs["at"] = v.as_pair(get("at"), qid, "at", 0) if "at" in table else None
    inputs["tolerance"] = v.as_number(get("tolerance"), qid, "tolerance") if "tolerance" in table else None
    if inputs["tolerance"] is not None and inputs["tolerance"] < 0:
        raise v.bad(qid, "tolerance", "must be ≥ 0")
    for name in ("truncate", "decimals"):
        inputs[name] = v.as_int(get(name), qid, name, 0, 12) if name in table else None
    return inputs


MAX_WORK = 400_000


def _check_work(kind: str, inputs: dict[str, Any], qid: str) -> None:
    """Bound the exact arithmetic a question can ask for (padded cells × window cells), so a
    hostile or careless file cannot stall an autograder."""
    image = inputs["image"]
    c, h, w = len(image), len(image[0]), len(image[0][0])
    if kind == "conv":
        kh, kw = len(inputs["kernel"][0]), len(inputs["kernel"][0][0])
        pad = inputs["padding"] if isinstance(inputs["padding"], tuple) else (kh, kw)
    else:
        (kh, kw), pad = inputs["size"], inputs["padding"]
    if max(pad) > v.MAX_SIDE:
        raise v.bad(qid, "padding", f"must be at most {v.MAX_SIDE}")
    work = c * (h + 2 * pad[0]) * (w + 2 * pad[1]) * kh * kw
    if work > MAX_WORK:
        raise v.bad(
            qid,
            "image",
            f"this question needs about {work:,} multiplications; the limit is {MAX_WORK:,} "
            "(use a smaller image, kernel or padding)",
        )


def parse_answer(kind: str, raw: Any, qid: str, inputs: dict[str, Any]) -> Any:
    """The student's answer, parsed for its kind (None when the field is absent)."""
    if raw is None:
        return None
    if kind == "shape":
        return v.as_shape(raw, qid, "answer")
    if kind == "receptive_field":
        return v.as_receptive_field(raw, qid, "answer")
    if kind == "feasible":
        return v.as_bool(raw, qid, "answer")
    if kind in ("conv", "pool"):
        if inputs.get("at") is not None:
            if isinstance(raw, list):  # [[0.77]] for one cell is fine
                flat = raw
                while isinstance(flat, list) and len(flat) == 1:
                    flat = flat[0]
                raw = flat
            return v.as_number(raw, qid, "answer")
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            raw = [[raw]]  # a 1x1 output written as a plain number
        return v.as_tensor(raw, qid, "answer")
    return v.as_int(raw, qid, "answer")


def _check_fields(kind: str, table: dict[str, Any], qid: str) -> None:
    allowed = _COMMON + FIELDS[kind]
    for name in table:
        if name not in allowed:
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise v.bad(qid, name, f"unknown field for kind {kind!r}{hint}; allowed: {', '.join(allowed)}")
    for name in REQUIRED[kind]:
        if name not in table:
            raise v.bad(qid, name, f"missing; a {kind!r} question needs {', '.join(REQUIRED[kind])}")


def question_id(table: Any, position: int) -> str:
    """The question's id, checked: a short string (used in every message about the question)."""
    if not isinstance(table, dict):
        raise AnswerFileError(f"question #{position}: expected a [[question]] table, got {table!r}")
    if "id" not in table:
        raise AnswerFileError(f"question #{position}, field 'id': missing; every question needs an id")
    qid = table["id"]
    if isinstance(qid, int) and not isinstance(qid, bool):
        qid = str(qid)
    if not isinstance(qid, str) or not qid.strip() or len(qid) > 64:
        raise AnswerFileError(f"question #{position}, field 'id': expected a short string, got {qid!r}")
    return qid.strip()


def parse_question(table: dict[str, Any], position: int, defaults: dict[str, Any]) -> Question:
    """Validate one `[[question]]` table (position is 1-based, for messages before the id is known)."""
    qid = question_id(table, position)
    if "kind" not in table:
        raise v.bad(qid, "kind", f"missing; one of {', '.join(KINDS)}")
    kind = kind_of(table["kind"], qid)
    _check_fields(kind, table, qid)
    inputs = _inputs(kind, table, qid, defaults)
    points = float(v.as_number(table.get("points", 1), qid, "points"))
    partial = float(v.as_number(table.get("partial", 0), qid, "partial"))
    if not 0 <= points <= 1000:
        raise v.bad(qid, "points", f"must be between 0 and 1000, got {points:g}")
    if not 0 <= partial <= 1:
        raise v.bad(
            qid, "partial", f"is the share of points for a recognised mistake, 0 to 1; got {partial:g}"
        )
    prompt = v.as_str(table.get("prompt", ""), qid, "prompt")
    raw = table.get("answer")
    return Question(qid, kind, inputs, points, partial, prompt, parse_answer(kind, raw, qid, inputs), raw)


def file_defaults(data: dict[str, Any], name: str) -> dict[str, Any]:
    """File-level settings every question inherits: layout (chw | hwc) and convention."""
    allowed = ("title", "student", "layout", "convention", "question", "answers")
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise AnswerFileError(
                f"{name}: unknown top-level field {key!r}{hint}; allowed: {', '.join(allowed)}"
            )
    return {
        "layout": v.as_str(data.get("layout", "chw"), "(file)", "layout", LAYOUTS),
        "convention": v.as_str(data.get("convention", "pytorch"), "(file)", "convention", CONVENTIONS),
        "title": v.as_str(data.get("title", ""), "(file)", "title", max_len=200),
        "student": v.as_str(data.get("student", ""), "(file)", "student", max_len=200),
    }


def question_tables(data: dict[str, Any], name: str) -> list[Any]:
    tables = data.get("question", [])
    if not isinstance(tables, list):
        raise AnswerFileError(f"{name}: 'question' must be an array of tables, written [[question]]")
    if len(tables) > MAX_QUESTIONS:
        raise AnswerFileError(f"{name}: {len(tables)} questions is beyond the limit of {MAX_QUESTIONS}")
    return tables


def parse_questions(data: dict[str, Any], name: str) -> tuple[dict[str, Any], tuple[Question, ...]]:
    """All questions of a file, ids unique; the file-level defaults come back too."""
    defaults = file_defaults(data, name)
    tables = question_tables(data, name)
    if not tables:
        raise AnswerFileError(
            f"{name}: no questions; add [[question]] tables (see examples/lecture_answers.toml)"
        )
    questions: list[Question] = []
    seen: set[str] = set()
    for position, table in enumerate(tables, start=1):
        question = parse_question(table, position, defaults)
        if question.id in seen:
            raise v.bad(question.id, "id", "is used by two questions; ids must be unique")
        seen.add(question.id)
        questions.append(question)
    return defaults, tuple(questions)
