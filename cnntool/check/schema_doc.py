"""docs/answer-files.md, written from the schema table so that the page and the checker cannot drift.

    python -m cnntool.check.schema_doc > docs/answer-files.md

tests/check/test_answer_schema.py fails when the committed page differs from `markdown()`.
Pure text; nothing here is read by the grader.
"""

from __future__ import annotations

import json
from typing import Any

from cnntool.check.schema import (
    ALIASES,
    COMMON_FIELDS,
    FILE_FIELDS,
    FILE_TABLES,
    MAX_QUESTIONS,
    MAX_WORK,
    QUESTION_KINDS,
    Field,
    QuestionKind,
)
from cnntool.check.toml_io import MAX_FILE_BYTES, MAX_NESTING
from cnntool.check.values import MAX_CHANNELS, MAX_SIDE
from cnntool.numbers import MAX_NUMBER_TEXT

EXAMPLE = """\
title = "Lecture 4"
layout = "hwc"          # shapes written the lecture's way: 32x32x10 is height x width x channels

[[question]]
id = "cifar"
kind = "shape"
prompt = "32x32x3 input, ten 5x5 filters, stride 1, pad 2: output volume?"
spec = "32x32x3 | conv 10 k5 s1 p2"
answer = "32x32x10"
points = 2

[[question]]
id = "cifar-params"
kind = "params"
spec = "32x32x3 | conv 10 k5 s1 p2"
answer = 760
partial = 0.5           # half the points when a common mistake (here: forgot the bias) is recognised

[[question]]
id = "xo-corner"
kind = "conv"
image = "x"
kernel = "diag"
normalize = true
at = [0, 0]
truncate = 2            # the slides' style: 7/9 is written 0.77
answer = 0.77

[[question]]
id = "stride-2"
kind = "feasible"
input = 10
kernel = 3
stride = 2
answer = false
fix = { stride = 1 }    # (10 − 3)/1 + 1 = 8: fits
"""

SUBMISSION = """\
student = "Ada"

[answers]
cifar = "32x32x10"
cifar-params = 760
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _toml(value: Any) -> str:
    """A default as written in a file (strings, booleans and numbers are written alike in JSON)."""
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def _default(field: Field, file_level: bool = False) -> str:
    if field.required:
        return "required"
    if field.inherit:
        return f"the file's `{field.name}`"
    if field.default is None:
        return field.default_doc or "none"
    return _toml(field.default)


def _rows(fields: tuple[Field, ...], answer_doc: str | None = None) -> list[str]:
    lines = ["| field | type | default | meaning |", "| --- | --- | --- | --- |"]
    for field in fields:
        kind = answer_doc if field.type is None else field.type.doc
        lines.append(
            f"| `{field.name}` | {_cell(kind or '')} | {_cell(_default(field))} | {_cell(field.help)} |"
        )
    return lines


def _groups() -> list[list[QuestionKind]]:
    """Kinds that share their fields are documented together (the eight spec questions)."""
    groups: list[list[QuestionKind]] = []
    for kind in QUESTION_KINDS.values():
        if groups and groups[-1][0].fields == kind.fields:
            groups[-1].append(kind)
        else:
            groups.append([kind])
    return groups


def _name(kind: QuestionKind) -> str:
    aliases = ", ".join(f"`{a}`" for a in kind.aliases)
    return f"`{kind.name}`" + (f" (alias {aliases})" if aliases else "")


def _answer(kind: QuestionKind) -> str:
    text = kind.answer.doc
    if kind.cell_answer is not None:
        text += f"; with `at`: {kind.cell_answer.doc}"
    return text


def _kind_section(group: list[QuestionKind]) -> list[str]:
    out: list[str] = []
    if len(group) == 1:
        kind = group[0]
        out += [f"### {_name(kind)}", "", f"**Asks:** {kind.help}. **Answer:** {_answer(kind)}.", ""]
    else:
        out += ["### " + ", ".join(f"`{k.name}`" for k in group), ""]
        out += ["| kind | asks for | answer |", "| --- | --- | --- |"]
        out += [f"| {_name(k)} | {_cell(k.help)} | {_cell(_answer(k))} |" for k in group]
        out += ["", "Their fields:", ""]
    out += _rows(group[0].fields)
    return [*out, ""]


def markdown() -> str:
    """The whole page."""
    out = [
        "# Answer files",
        "",
        "<!-- Written by `python -m cnntool.check.schema_doc > docs/answer-files.md` from the schema table in",
        "     cnntool/check/schema.py; tests/check/test_answer_schema.py fails when the two differ. -->",
        "",
        "`cnntool check` grades answer files and `cnntool quiz` writes them. An answer file is TOML: a few",
        "top-level fields, then one `[[question]]` table per question. The checker computes every expected",
        "value itself; the file only says what is asked and what the student answered.",
        "",
        "A file's questions are checked completely before anything is graded: an unknown or misspelled",
        "field, a missing one, or a question field of the wrong form stops the run (exit code 2) with one",
        "message naming the file, the question and the field, for example",
        "`answers.toml: question 'q3', field 'strid': unknown field for kind 'feasible' (did you mean 'stride'?)`.",
        "An `answer` that cannot be read (`nan`, a malformed shape, a number of thousands of digits) is",
        "different: that question is graded wrong with the same kind of message, and the rest is graded.",
        "[grading.md](grading.md) says which problems fail a file and which fail one question.",
        "",
        "```toml",
        EXAMPLE.rstrip("\n"),
        "```",
        "",
        "## Top-level fields",
        "",
        *_rows(FILE_FIELDS),
        *(f"| `{name}` | {what} | | {_cell(text)} |" for name, (what, text) in FILE_TABLES.items()),
        "",
        "## Fields of every question",
        "",
        *_rows(COMMON_FIELDS, answer_doc="as its kind says (below)"),
        "",
        "## Question kinds",
        "",
        "Kind names are not case-sensitive. Aliases: "
        + ", ".join(f"`{alias}` for `{kind}`" for alias, kind in ALIASES.items())
        + ".",
        "",
    ]
    for group in _groups():
        out += _kind_section(group)
    out += [
        "## Grading with a key",
        "",
        "With `cnntool check --key key.toml`, the key's questions are graded and a submission only gives",
        "answers by id: in an `[answers]` table, or in `[[question]]` tables that have `id` and `answer`.",
        "Anything else in a submission is never graded: its questions' fields, points and kinds are the",
        "key's. Answers to ids the key does not have, fields that are not read and unknown top-level",
        'fields are reported as warnings (with "did you mean"), and the rest of the file is graded.',
        "",
        "```toml",
        SUBMISSION.rstrip("\n"),
        "```",
        "",
        "## Limits",
        "",
        f"- A file is at most {MAX_FILE_BYTES // 1024} KiB and holds at most {MAX_QUESTIONS} questions.",
        f"- A matrix has at most {MAX_CHANNELS} channels of {MAX_SIDE}x{MAX_SIDE}.",
        f"- A conv or pool question needs at most {MAX_WORK:,} multiplications "
        "(padded input cells × window cells).",
        "- A spec is spec text or a zoo name: answer files never make the checker read another file, and",
        "  matrices are written inline (no `@file`).",
        f"- A number is at most {MAX_NUMBER_TEXT} characters; tables and arrays nest at most {MAX_NESTING} levels.",
        "- A file must be a regular file: a pipe, a device or a symlink loop is refused without being opened.",
        "",
    ]
    return "\n".join(out)


if __name__ == "__main__":
    import sys

    sys.stdout.write(markdown())
