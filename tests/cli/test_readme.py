"""The README is the front door: every command and every option has an example there."""

from __future__ import annotations

from pathlib import Path

import typer

from cnntool.cli.app import app

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8").replace("\\\n", " ")


def _commands(group, prefix="cnntool"):
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if hasattr(command, "commands"):
            yield from _commands(command, path)
        else:
            yield path, command


def test_every_command_and_option_has_an_example_in_the_readme() -> None:
    missing = []
    for path, command in _commands(typer.main.get_command(app)):
        lines = [line for line in README.splitlines() if f"{path} " in line or line.rstrip().endswith(path)]
        if not lines:
            missing.append(path)
            continue
        text = "\n".join(lines)
        for param in command.params:
            longs = [
                o
                for o in getattr(param, "opts", []) + getattr(param, "secondary_opts", [])
                if o.startswith("--")
            ]
            wanted = param.param_type_name == "option" and longs and "--help" not in longs
            if wanted and not any(o in text for o in longs):
                missing.append(f"{path} {longs[0]}")
    assert missing == []


def test_the_quick_start_has_the_two_commands() -> None:
    assert "pip install . && cnntool demo" in README
    assert 'pip install ".[test]" && pytest' in README
