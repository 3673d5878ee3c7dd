"""`cnntool tui`'s arguments: every bad one is one `error:` line and exit 2 before the app starts."""

from __future__ import annotations

import subprocess

import pytest

from cnntool.errors import CnnToolError
from cnntool.tui.launch import Launch, prepare
from tests.hardening.sandbox import assert_refused, run


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--screen", "plotter"], ["plotter", "builder", "stepper", "trainer"]),
        (["3x32x32 | convv 3"], ["unknown layer 'convv'", "column 11"]),
        (["3x5x5 | conv 2 k7"], ["cannot take input 3×5×5"]),
        (["lenet7"], ["'lenet7' is not a zoo net", "lenet5"]),
        (["--image", "1 2; 3"], ["--image", "row 2 has 1"]),
        (["--image", "ex"], ["--image", "'ex' is not a number or a known sample"]),
        (["--kernel", "@missing.txt"], ["--kernel", "not found"]),
        (["--image", "1 2; 3 4", "--kernel", "diag"], ["--kernel", "larger than the padded --image"]),
        (["--data", "mnsit"], ["unknown dataset 'mnsit'", "mnist"]),
        (["--data", "text"], ["--data: the trainer does not offer text", "xo, shapes"]),
    ],
)
def test_bad_arguments_are_one_line(args: list[str], fragments: list[str]) -> None:
    assert_refused(run(["tui", *args], stdin=subprocess.DEVNULL), *fragments)


def test_good_arguments_need_a_terminal() -> None:
    outcome = run(["tui", "--screen", "trainer", "--data", "shapes"], stdin=subprocess.DEVNULL)
    assert_refused(outcome, "needs a terminal")


def test_the_other_commands_do_not_import_textual() -> None:
    code = (
        "import sys\nfrom cnntool.cli.app import main\nsys.argv = ['cnntool', 'tui', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\nprint('textual' in sys.modules, file=sys.stderr)"
    )
    outcome = run([], python=code)
    assert "F2 builder" in outcome.stdout and outcome.stderr.strip() == "False"


def test_prepare_resolves_what_the_app_starts_with(tmp_path) -> None:
    spec = tmp_path / "net.txt"
    spec.write_text("1x9x9\nconv 4 k3\n", encoding="utf-8")
    launch = prepare(str(spec), "stepper", "o", "cross", True, "fashion")
    assert launch == Launch("stepper", "1x9x9\nconv 4 k3\n", "net.txt", "o", "cross", True, "fashion-mnist")
    assert prepare().spec.startswith("1x28x28") and prepare().spec_name == "lenet5"
    with pytest.raises(CnnToolError, match="--screen"):
        prepare(screen="plotter")
