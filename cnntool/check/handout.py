"""A printable Markdown handout of a quiz: numbered prompts, images and kernels as tables.

Text only (no printing here); `cnntool quiz --render markdown` writes it. Matrices
are shown as Markdown tables because that is how the slides present them and
how they survive conversion to PDF or an LMS page. The handout never tells students to run
`cnntool check` on their own file: graded that way (without the key), a file of questions is
answered in full, expected values included, so a handout for graded homework must not suggest it.
"""

from __future__ import annotations

from typing import Any

from cnntool.check.quiz import Quiz

_SETTINGS = ("input", "stride", "padding", "size", "mode", "ceil", "bias", "normalize", "at", "truncate")


def _rows(text: str) -> list[list[str]]:
    return [row.split() for row in text.split(";") if row.strip()]


def matrix_table(text: str) -> str:
    """'1 2; 3 4' → a Markdown table (column headers are the column indices)."""
    rows = _rows(text)
    width = len(rows[0])
    lines = ["| " + " | ".join(str(j) for j in range(width)) + " |", "|" + "---:|" * width]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def render_markdown(quiz: Quiz, with_answers: bool = False) -> str:
    """The handout; `with_answers` appends the key's answers after each question (a teacher's copy)."""
    out = [f"# {quiz.title}", ""]
    out.append(
        "Answer in a TOML file: copy each question's `[[question]]` table from the quiz file and add "
        '`answer = ...` (shapes as "10x32x32", counts as 760, matrices as [[1, 2], [3, 4]], fractions as "7/9"). '
        "Hand the file in as it is: it is graded against your instructor's key."
    )
    for n, (table, answer) in enumerate(zip(quiz.questions, quiz.answers), start=1):
        out += ["", f"## {n}. {table['id']} ({table['kind']})", "", table.get("prompt", "")]
        if "spec" in table:
            out += ["", f"Network: `{table['spec']}`"]
        for name in ("image", "kernel"):
            if isinstance(table.get(name), str):
                out += ["", f"**{name}**", "", matrix_table(table[name])]
        settings = [f"{name} = {_value(table[name])}" for name in _SETTINGS if name in table]
        if isinstance(table.get("kernel"), int):
            settings.insert(1, f"kernel = {table['kernel']}")
        if settings:
            out += ["", "Settings: " + "; ".join(settings)]
        if with_answers:
            out += ["", f"**Answer:** `{answer}`"]
        out += ["", "Answer: ____________________"] if not with_answers else []
    return "\n".join(out) + "\n"
