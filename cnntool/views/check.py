"""Graded reports as rich renderables: one file's ✓/✗ table with the feedback, a class's table.

Everything a student wrote (a file name, a name, an answer, a prompt) reaches a teacher's
terminal through `visible()`: rich escapes its markup but passes an ESC byte through, and a
crafted name could clear the screen or rewrite what is shown. Numbers never split: the score
and count columns do not wrap; names and ids wrap, or fold when one word is too long.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from cnntool.check.grade import FolderReport, Report
from cnntool.check.report import given_text
from cnntool.text import printable

_MARKS = {"correct": "[green]✓[/]", "partial": "[yellow]½[/]", "wrong": "[red]✗[/]",
          "unanswered": "[red]–[/]", "error": "[red]![/]"}  # fmt: skip


def visible(text: Any) -> str:
    """`text` on one line, control characters shown as escapes (text.printable), rich markup escaped."""
    return escape(printable(text))


def _score(value: float) -> str:
    return f"{value:g}"


def report_view(report: Report) -> Group:
    """One file: a row per question, then the feedback of each one not right, then the score."""
    title = visible(report.title or report.source)
    if report.student:
        title += f" — {visible(report.student)}"
    table = Table(title=title, title_justify="left")
    for name, justify in (("", "left"), ("question", "left"), ("kind", "left"), ("score", "right")):
        table.add_column(name, justify=justify, no_wrap=name == "score", overflow="fold")  # type: ignore[arg-type]
    for r in report.results:
        table.add_row(_MARKS[r.status], visible(r.id), r.kind, f"{_score(r.score)} / {_score(r.max_score)}")
    parts: list[RenderableType] = [table]
    parts += [f"[yellow]warning:[/] {visible(w)}" for w in report.warnings]
    for r in report.results:
        if r.correct:
            continue
        lines = [f"\n[bold]{visible(r.id)}[/] ({r.kind}): {r.status}"]
        if r.given is not None:
            lines.append(f"  your answer: {visible(given_text(r.given))}")
        if r.expected:
            lines.append(f"  expected:    {visible(r.expected)}")
        lines += [f"    {visible(line)}" for line in (*r.notes, *r.derivation)]
        if r.hint:
            lines.append(f"  [yellow]hint:[/] {visible(r.hint)}")
        parts += lines
    if report.answers_hidden:
        parts.append("\nexpected values and worked solutions are hidden")
    parts.append(f"\nscore: {_score(report.score)} / {_score(report.max_score)}")
    return Group(*parts)


def folder_view(folder: FolderReport) -> Table:
    """A class: a row per file (score, questions right), and for a broken file the reason."""
    table = Table(
        title=f"graded against {visible(folder.key)}" if folder.key else "graded", title_justify="left"
    )
    for name in ("file", "student", "score", "right", "status"):
        numeric = name in ("score", "right")
        table.add_column(name, justify="right" if numeric else "left", no_wrap=numeric, overflow="fold")
    for r in folder.reports:
        status = "all correct" if r.all_correct else "some wrong"
        if r.warnings:
            status += f" ({len(r.warnings)} warning{'s' if len(r.warnings) > 1 else ''})"
        table.add_row(visible(r.source), visible(r.student), f"{_score(r.score)} / {_score(r.max_score)}",
                      f"{r.count('correct')}/{len(r.results)}", status)  # fmt: skip
    for name, message in folder.broken:
        reason = message[len(name) + 2 :] if message.startswith(f"{name}: ") else message
        table.add_row(
            visible(name), "", "–", "–", Text.from_markup(f"[red]cannot grade:[/] {visible(reason)}")
        )
    return table
