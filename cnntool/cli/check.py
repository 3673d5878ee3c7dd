"""`cnntool check` (grade answer files) and `cnntool quiz` (generate exercises with a key).

Thin shell over `cnntool.check`: parse options, call the core, render, choose
the exit code (0 all right, 1 some wrong, 2 bad input). Under
`--format gradescope` every failure still produces a valid results.json,
because an autograder must never show a blank result; a failure of the
autograder's own setup (no key, a broken key) says so to the student without
naming the key, and the whole message goes to stderr for the instructor.
A reader that leaves early (`cnntool check ... | head -1`) is not a wrong answer:
a closed pipe exits 0, whatever the format.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import select
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer

from cnntool.cli._common import (
    EXIT_BAD_INPUT,
    JsonOpt,
    complete_list,
    fail,
    handle_errors,
    print_json,
)
from cnntool.errors import CnnToolError
from cnntool.text import printable

app = typer.Typer()

EXIT_WRONG = 1
F = TypeVar("F", bound=Callable[..., Any])

# Option choices; tests/cli/test_check_cli.py checks that they are the core's (cnntool.check.quiz).
Format = Literal["text", "json", "gradescope"]
Difficulty = Literal["easy", "medium", "hard"]
Render = Literal["toml", "markdown"]
MAX_COUNT = 200
NO_KEY = (
    "--format gradescope needs --key KEY: without a key the student's own file defines its questions "
    "and their points (one question with points = 1000 would score 1000)"
)


def _complete_kinds(incomplete: str) -> list[str]:
    from cnntool.check.quiz import GROUPS, QUIZ_KINDS
    from cnntool.check.schema import ALIASES

    return complete_list((*QUIZ_KINDS, *ALIASES, *GROUPS), incomplete)


def _reader_gone() -> bool:
    """Whether stdout is a pipe whose reader has closed it (POLLERR on the write end).

    Python's buffered writer reports a short write, not an error, when the reader leaves in the
    middle of one large write, so the next write, not this one, would fail; when there is no
    next write, only asking the pipe tells.
    """
    try:
        sys.stdout.flush()
        fd = sys.stdout.fileno()
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return False
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except BrokenPipeError:
        return True
    except (OSError, ValueError, AttributeError):  # no fileno (a test runner's stream), no poll
        return False


def _closed_pipe_exits_0(func: F) -> F:
    """A reader that stopped reading (`| head -1`) is not an error and not a wrong answer: exit 0.

    Rich's console would exit 1 on a closed pipe, Typer turns a BrokenPipeError into 1 too, and a
    large report may be cut short without any error at all, so check asks here, on every output
    path, and sends what is left to /dev/null. A bad-input exit (2) stays 2: it was said on stderr.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:
            pass
        except typer.Exit as done:
            if done.exit_code != EXIT_WRONG or not _reader_gone():
                raise
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0)

    return wrapper  # type: ignore[return-value]


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name the same file (links resolved; a symlink loop compares as written)."""
    return os.path.realpath(a) == os.path.realpath(b)


def _check_target(target: Path, protected: list[Path], force: bool, what: str) -> None:
    """Refuse to overwrite the key or an answer file (ever), or any existing file without --force."""
    for path in protected:
        if _same_file(target, path) or (path.is_dir() and _same_file(target.parent, path)):
            fail(f"{what} {target} would overwrite an answer file or the key; choose another path")
    if target.is_dir():
        fail(f"{what} {target} is a folder; give a file name")
    if os.path.lexists(target) and not force:
        fail(f"{what} {target} exists; pass --force to replace it")


def _write(target: Path, text: str, what: str = "") -> None:
    """Write atomically (files.atomic_write: the user's umask, never half a file); say why not."""
    from cnntool.files import atomic_write

    try:
        atomic_write(target, text)
    except CnnToolError as exc:
        fail(f"{what} {exc}".strip())
    except OSError as exc:
        fail(f"{what} cannot write {target}: {exc.strerror or exc}".strip())


def _emit(data: Any, output: Path | None) -> None:
    if output is None:
        print_json(data)
    else:
        _write(output, json.dumps(data, indent=2, ensure_ascii=False) + "\n", "--output")


def _say(message: str) -> None:
    """One `error:` line on stderr."""
    typer.echo(f"error: {printable(message)}", err=True)


def _gradescope_setup(paths: list[Path], key: Path | None, csv_path: Path | None) -> str:
    """What is wrong with the autograder's command line, or "" (these are the instructor's to fix)."""
    if key is None:
        return NO_KEY
    if csv_path is not None:
        return "--csv goes with a folder of submissions, not with --format gradescope"
    if len(paths) != 1 or paths[0].is_dir():
        return "--format gradescope grades exactly one answer file"
    return ""


def _gradescope(
    paths: list[Path], key: Path | None, output: Path | None, csv_path: Path | None, hide: bool,
    protected: list[Path],
) -> None:  # fmt: skip
    """Grade one submission for Gradescope; any failure still writes a results.json (score 0)."""
    from cnntool.check import KeyFileError, grade, load_key
    from cnntool.check.report import gradescope, gradescope_failure, gradescope_setup_failure

    problem, code = _gradescope_setup(paths, key, csv_path), 0
    if problem:
        data, code = gradescope_setup_failure("the grading command is incomplete"), EXIT_BAD_INPUT
    else:
        assert key is not None
        try:
            loaded = load_key(key)
        except KeyFileError as exc:  # the instructor's: never shown to the student, nor the key's path
            problem = str(exc)
            data, code = gradescope_setup_failure("the assignment's key could not be used"), EXIT_BAD_INPUT
    if not problem:
        try:
            report = grade(paths[0], loaded)
            data, code = gradescope(report, hide_answers=hide), 0 if report.all_correct else EXIT_WRONG
        except CnnToolError as exc:
            problem = str(exc)
            data, code = gradescope_failure(problem), EXIT_BAD_INPUT
        except Exception as exc:  # noqa: BLE001 - an autograder must get a results.json whatever happened
            problem = f"internal error ({type(exc).__name__}: {exc}); please report it"
            data, code = gradescope_setup_failure("an internal error in cnntool"), EXIT_BAD_INPUT
    if output is not None:
        for path in protected:
            if _same_file(output, path):
                fail(f"--output {output} would overwrite an answer file or the key")
    _emit(data, output)
    if problem:
        _say(problem)
    raise typer.Exit(code)


def _text_to_file(renderable: Any, output: Path) -> None:
    """The text report as plain text (no colour codes, 100 columns) into `output`."""
    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, width=100, color_system=None, force_terminal=False, soft_wrap=False,
            emoji=False, highlight=False).print(renderable)  # fmt: skip
    _write(output, buffer.getvalue(), "--output")


def _show(renderable: Any, output: Path | None) -> None:
    if output is not None:
        _text_to_file(renderable, output)
    else:
        from cnntool.cli._common import console

        console().print(renderable)


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
            help="A key file: its questions are graded with the submissions' answers "
            "(required with --format gradescope).",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOpt = False,
    output_format: Annotated[
        Format,
        typer.Option(
            "--format",
            "-f",
            case_sensitive=False,
            help="gradescope: results.json for one submission, graded against --key.",
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
            help="Write the report (text, json or gradescope) to this file instead of stdout.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --csv/--output file.")] = False,
    hide_answers: Annotated[
        bool,
        typer.Option(
            "--hide-answers",
            help="Show verdicts, scores and the student's own answers only: no expected values, "
            "derivations or hints (graded homework). Gradescope: worked solutions become 0-point "
            "tests shown once grades are published.",
        ),
    ] = False,
) -> None:
    """Grade answer files: ✓/✗ per question, the expected value with its derivation, and a hint.

    Exit code 0 when everything is right, 1 when something is wrong, 2 when a file is malformed.

    Examples:

      cnntool check examples/lecture_answers.toml

      cnntool check --key key.toml answers.toml --format gradescope --hide-answers -o results.json

      cnntool check --key key.toml submissions/ --csv grades.csv
    """
    fmt = "json" if json_out else output_format
    protected = [*paths, *([key] if key else [])]
    if fmt == "gradescope":
        _closed_pipe_exits_0(_gradescope)(paths, key, output, csv_path, hide_answers, protected)
    _check(paths, key, fmt, csv_path, output, force, hide_answers, protected)


@_closed_pipe_exits_0
@handle_errors
def _check(
    paths: list[Path], key: Path | None, fmt: str, csv_path: Path | None, output: Path | None, force: bool,
    hide: bool, protected: list[Path],
) -> None:  # fmt: skip
    from cnntool.check import grade, grade_paths, load_key
    from cnntool.check.grade import FolderReport
    from cnntool.check.report import csv_text, folder_json, report_json

    for target, what in ((csv_path, "--csv"), (output, "--output")):
        if target is not None:
            _check_target(target, protected, force, what)
    loaded = load_key(key) if key is not None else None  # a broken key stops here: the instructor's
    single = len(paths) == 1 and not paths[0].is_dir()
    if single:
        report = grade(paths[0], loaded)
        report = report.hidden() if hide else report
        folder = FolderReport(str(key or ""), (report,), ())
        code = 0 if report.all_correct else EXIT_WRONG
    else:
        folder = grade_paths(loaded, paths, exclude=tuple(p for p in (csv_path, output) if p))
        if hide:
            folder = FolderReport(folder.key, tuple(r.hidden() for r in folder.reports), folder.broken)
        code = (
            EXIT_BAD_INPUT
            if folder.broken
            else 0
            if all(r.all_correct for r in folder.reports)
            else EXIT_WRONG
        )
    if csv_path is not None:  # before the report: a reader that stops early must not cost the CSV
        _write(csv_path, csv_text(folder), "--csv")
    if fmt == "json":
        _emit(report_json(report) if single else folder_json(folder), output)
    else:
        from cnntool.views.check import folder_view, report_view

        _show(report_view(report) if single else folder_view(folder), output)
    if not single:  # one file shows its warnings in its report; a class's go to the instructor's stderr
        for r in folder.reports:
            for warning in r.warnings:
                typer.echo(f"warning: {printable(r.source)}: {printable(warning)}", err=True)
    for _name, message in folder.broken:
        _say(message)
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
            "receptive_field, total_params, total_macs, conv, pool, feasible (alias infeasible); "
            "recurrent topics rnn_params, rnn_keras, rnn_unshared, rnn_total (recurrent: all four).",
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

      cnntool quiz --seed 3 --kinds recurrent --difficulty hard --out rnn.toml --key rnn-key.toml
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
