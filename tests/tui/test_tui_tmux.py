"""`cnntool tui` in a real terminal: tmux runs it, sends keys and reads the screen back.

Skipped (with the reason) where tmux is not installed; CI machines have it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    TMUX is None, reason="tmux is not installed (apt-get install tmux): the real-terminal check needs it"
)


class Terminal:
    """One detached 80x24 tmux session on a private server running `command`."""

    def __init__(self, command: list[str]) -> None:
        self.socket = f"cnntool-test-{os.getpid()}-{time.monotonic_ns()}"
        shell = f"{shlex.join(command)}; echo EXIT=$?; sleep 60"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
        env.pop("NO_COLOR", None)
        subprocess.run(
            [TMUX, "-L", self.socket, "-f", os.devnull, "new-session", "-d", "-s", "tui", "-x", "80", "-y", "24",
             "-e", f"PYTHONPATH={ROOT}", "sh", "-c", shell],
            check=True, env=env, cwd=ROOT,
        )  # fmt: skip

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            [TMUX, "-L", self.socket, *args], capture_output=True, text=True, check=True
        ).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "tui")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "tui", *keys)

    def wait_for(self, text: str, seconds: float = 60.0) -> str:
        deadline = time.monotonic() + seconds
        while True:
            shown = self.screen()
            if text in shown:
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} did not appear; the screen shows:\n{shown}")
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run([TMUX, "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def terminal():
    made: list[Terminal] = []

    def start(*args: str) -> Terminal:
        made.append(Terminal([sys.executable, "-m", "cnntool", "tui", *args]))
        return made[-1]

    yield start
    for t in made:
        t.close()


def test_stepper_and_builder_in_a_real_terminal(terminal) -> None:
    tui = terminal("--screen", "stepper", "--image", "x", "--kernel", "diag", "--normalize")
    shown = tui.wait_for("step 0/49")
    assert "ready" in shown and "normalise" in shown
    tui.keys("Space", "Space", "Right")
    shown = tui.wait_for("step 3/49")
    assert "output (0,2) = 1/9" in shown  # the X ⋆ diag map's third cell, (1 ... ) ÷ 9
    tui.keys("End")
    tui.wait_for("step 49/49 · output (6,6) = 7/9")
    tui.keys("F2")
    shown = tui.wait_for("conv 6 k5 p2")
    assert "6×28×28" in shown and "122,304" in shown  # LeNet-5's first layer, shared and unshared
    tui.keys("C-q")
    assert "EXIT=0" in tui.wait_for("EXIT=", seconds=20)


def test_bad_arguments_end_before_the_app_starts(terminal) -> None:
    tui = terminal("3x32x32 | convv 3")
    shown = tui.wait_for("EXIT=", seconds=30)
    assert "EXIT=2" in shown and "error: unknown layer 'convv'" in shown
