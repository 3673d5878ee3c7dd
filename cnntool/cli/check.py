"""`cnntool check` (grade answer files) and `cnntool quiz` (generate exercises with a key).

Thin shell over `cnntool.check`: parse options, call the core, render, choose
the exit code (0 all right, 1 some wrong, 2 bad input). Under
`--format gradescope` every failure still produces a valid results.json,
because an autograder must never show a blank result.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from cnntool.cli._common import (
    EXIT_BAD_INPUT,
    JsonOpt,
    complete_list,
    console,
    fail,
    handle_errors,
    print_json,
)
from cnntool.errors import CnnToolError

app = typer.Typer()

EXIT_WRONG = 1

# Option choices; tests/cli/test_check_cli.py checks that they are the core's (cnntool.check.quiz).
Format = Literal["text", "json", "gradescope"]
Difficulty = Literal["easy", "medium", "hard"]
Render = Literal["toml", "markdown"]
MAX_COUNT = 200


def _complete_kinds(incomplete: str) -> list[str]:
    from cnntool.check.schema import ALIASES, KINDS

    return complete_list((*KINDS, *ALIASES), incomplete)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _check_target(target: Path, protected: list[Path], force: bool, what: str) -> None:
    """Refuse to overwrite the key or an answer file (ever), or any existing file without --force."""
    for path in protected:
        if _same_file(target, path) or (path.is_dir() and _same_file(target.parent, path)):
            fail(f"{what} {target} would overwrite an answer file or the key; choose another path")
    if target.exists() and not force:
        fail(f"{what} {target} exists; pass --force to replace it")
    if target.is_dir():
        fail(f"{what} {target} is a folder")


def _write(target: Path, text: str) -> None:
    from cnntool.check.toml_io import write_atomic

    try:
        write_atomic(target, text)
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror}")


def _emit(data: Any, output: Path | None) -> None:
    if output is None:
        print_json(data)
    else:
        _write(output, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _gradescope(paths: list[Path], key: Path | None, output: Path | None, protected: list[Path]) -> None:
    """Grade one submission for Gradescope; any failure still writes a results.json (score 0)."""
    from cnntool.check import grade
    from cnntool.check.report import gradescope, gradescope_failure

    code = 0
    try:
        if len(paths) != 1 or paths[0].is_dir():
            raise CnnToolError("--format gradescope grades exactly one answer file")
        report = grade(paths[0], key)
        data = gradescope(report)
        code = 0 if report.all_correct else EXIT_WRONG
    except CnnToolError as exc:
        data, code = gradescope_failure(str(exc)), EXIT_BAD_INPUT
    except Exception as exc:  # noqa: BLE001 - an autograder must get a results.json whatever happened
        data, code = gradescope_failure(f"internal error ({type(exc).__name__}: {exc})"), EXIT_BAD_INPUT
    if output is not None:
        for path in protected:
            if _same_file(output, path):
                typer.echo(f"error: --output {output} would overwrite an answer file or the key", err=True)
                raise typer.Exit(EXIT_BAD_INPUT)
    _emit(data, output)
    if code == EXIT_BAD_INPUT:
        typer.echo(f"error: {data['output']}", err=True)
    raise typer.Exit(code)


def _render_report(report: Any) -> None:
    from rich.table import Table

    from cnntool.check.report import given_text

    con = console()
    title = report.title or report.source
    if report.student:
        title += f" — {report.student}"
    table = Table(title=title, title_justify="left")
    for name, justify in (("", "left"), ("question", "left"), ("kind", "left"), ("score", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    marks = {"correct": "[green]✓[/]", "partial": "[yellow]½[/]", "wrong": "[red]✗[/]",
             "unanswered": "[red]–[/]", "error": "[red]![/]"}  # fmt: skip
    for r in report.results:
        table.add_row(marks[r.status], r.id, r.kind, f"{r.score:g} / {r.max_score:g}")
    con.print(table)
    from rich.markup import escape

    for r in report.results:
        if r.correct:
            continue
        con.print(f"\n[bold]{escape(r.id)}[/] ({r.kind}): {r.status}")
        if r.given is not None:
            con.print(f"  your answer: {escape(given_text(r.given))}")
        if r.expected:
            con.print(f"  expected:    {escape(r.expected)}")
        for line in (*r.notes, *r.derivation):
            con.print(f"    {escape(line)}")
        if r.hint:
            con.print(f"  [yellow]hint:[/] {escape(r.hint)}")
    con.print(f"\nscore: {report.score:g} / {report.max_score:g}")


def _render_folder(folder: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    con = console()
    table = Table(title=f"graded against {folder.key}" if folder.key else "graded", title_justify="left")
    for name in ("file", "student", "score", "right", "status"):
        table.add_column(name, justify="right" if name in ("score", "right") else "left")
    for r in folder.reports:
        status = "all correct" if r.all_correct else "some wrong"
        table.add_row(escape(r.source), escape(r.student), f"{r.score:g} / {r.max_score:g}",
                      f"{r.count('correct')}/{len(r.results)}", status)  # fmt: skip
    for name, _message in folder.broken:
        table.add_row(escape(name), "", "–", "–", "[red]cannot grade[/]")
    con.print(table)
    for _name, message in folder.broken:
        typer.echo(f"error: {message}", err=True)


@app.command()
def check(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Answer files (TOML) or folders of them.", show_default=False),
    ],
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            "-k",
            help="A key file: its questions are graded with the submissions' answers.",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOpt = False,
    output_format: Annotated[
        Format,
        typer.Option(
            "--format", "-f", case_sensitive=False, help="gradescope: results.json for one submission."
        ),
    ] = "text",
    csv_path: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Also write one row per file (scores per question) to this CSV file.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the json/gradescope report to this file instead of stdout.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --csv/--output file.")] = False,
) -> None:
    """Grade answer files: ✓/✗ per question, the expected value with its derivation, and a hint.

    Exit code 0 when everything is right, 1 when something is wrong, 2 when a file is malformed.

    Examples:

      cnntool check examples/lecture_answers.toml

      cnntool check answers.toml --format gradescope > /autograder/results/results.json

      cnntool check --key key.toml submissions/ --csv grades.csv
    """
    fmt = "json" if json_out else output_format
    protected = [*paths, *([key] if key else [])]
    if fmt == "gradescope":
        _gradescope(paths, key, output, protected)
    _check(paths, key, fmt, csv_path, output, force, protected)


@handle_errors
def _check(
    paths: list[Path], key: Path | None, fmt: str, csv_path: Path | None, output: Path | None, force: bool,
    protected: list[Path],
) -> None:  # fmt: skip
    from cnntool.check import grade, grade_paths
    from cnntool.check.report import csv_text, folder_json, report_json

    for target, what in ((csv_path, "--csv"), (output, "--output")):
        if target is not None:
            _check_target(target, protected, force, what)
    single = len(paths) == 1 and not paths[0].is_dir()
    if single:
        report = grade(paths[0], key)
        from cnntool.check.grade import FolderReport

        folder = FolderReport(str(key or ""), (report,), ())
        if fmt == "json":
            _emit(report_json(report), output)
        else:
            _render_report(report)
        code = 0 if report.all_correct else EXIT_WRONG
    else:
        folder = grade_paths(key, paths, exclude=tuple(p for p in (csv_path, output) if p))
        if fmt == "json":
            _emit(folder_json(folder), output)
        else:
            _render_folder(folder)
        code = (
            EXIT_BAD_INPUT
            if folder.broken
            else 0
            if all(r.all_correct for r in folder.reports)
            else EXIT_WRONG
        )
    if csv_path is not None:
        _write(csv_path, csv_text(folder))
    raise typer.Exit(code)


@app.command()
@handle_errors
def quiz(
    seed: Annotated[int, typer.Option("--seed", "-s", help="Same seed and options → the same files.")] = 0,
    count: Annotated[
        int, typer.Option("--count", "-n", min=1, max=MAX_COUNT, help="Number of questions.")
    ] = 10,
    kinds: Annotated[
        str,
        typer.Option(
            "--kinds",
            autocompletion=_complete_kinds,
            help="Comma-separated kinds: shape, params, params_unshared, params_dense, macs, "
            "receptive_field, total_params, total_macs, conv, pool, feasible (alias infeasible).",
        ),
    ] = "shape,params,conv,pool,feasible",
    difficulty: Annotated[
        Difficulty, typer.Option("--difficulty", "-d", case_sensitive=False, help="How deep and irregular.")
    ] = "medium",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the quiz (no answers) here.", show_default=False)
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option("--key", "-k", help="Write the key (with answers) here.", show_default=False),
    ] = None,
    render: Annotated[
        Render,
        typer.Option(
            "--render",
            "-r",
            case_sensitive=False,
            help="toml: an answer-file skeleton; markdown: a printable handout.",
        ),
    ] = "toml",
    force: Annotated[bool, typer.Option("--force", help="Replace existing --out/--key files.")] = False,
    json_out: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the questions with their key answers as JSON (nothing is written)."
        ),
    ] = False,
) -> None:
    """Generate exercises like the lecture's, with a key; seeded and reproducible.

    Examples:

      cnntool quiz --seed 7 --count 10 --kinds shape,params,conv,pool,infeasible --out quiz.toml --key key.toml

      cnntool quiz --seed 7 --render markdown > handout.md
    """
    from cnntool.check.handout import render_markdown
    from cnntool.check.quiz import make_quiz, parse_kinds

    chosen = parse_kinds(kinds, "--kinds")
    if out is not None and key is not None and _same_file(out, key):
        fail("--out and --key must be different files")
    for target, what in ((out, "--out"), (key, "--key")):
        if target is not None:
            _check_target(target, [], force, what)
    made = make_quiz(seed, count, chosen, difficulty)
    if json_out:
        print_json(made.to_dict())
        return
    text = render_markdown(made) if render == "markdown" else made.quiz_toml()
    if key is not None:
        _write(key, made.key_toml())
    if out is not None:
        _write(out, text)
    else:
        typer.echo(text, nl=False)
