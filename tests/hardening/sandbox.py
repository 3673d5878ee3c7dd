"""Run a hostile input in a child process with a memory and time limit.

A regression must fail its test, not take the machine down: the child gets an address-space
limit (RLIMIT_AS) and a wall-clock timeout, and the test asserts the exit code, that stderr is
one readable `error:` line without a traceback, and the time it took.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def message(self) -> str:
        return self.stderr.strip()


def _limit(memory_mb: int):
    def apply() -> None:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def run(
    args: list[str],
    *,
    stdin: str | bytes | int | None = None,
    memory_mb: int = 1024,
    timeout: float = 30,
    cwd: Path | None = None,
    python: str | None = None,
) -> Outcome:
    """`python -m cnntool ARGS` (or `python -c CODE` with `python=CODE`) under the limits."""
    command = (
        [sys.executable, "-c", python] if python is not None else [sys.executable, "-m", "cnntool", *args]
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100", "NO_COLOR": "1"}
    kwargs: dict = {"stdin": stdin} if isinstance(stdin, int) else {"input": stdin}
    if isinstance(kwargs.get("input"), str):
        kwargs["input"] = kwargs["input"].encode()
    start = time.perf_counter()
    result = subprocess.run(
        command, capture_output=True, timeout=timeout, cwd=cwd or ROOT, env=env,
        preexec_fn=_limit(memory_mb), **kwargs,
    )  # fmt: skip
    return Outcome(
        result.returncode,
        result.stdout.decode("utf-8", "replace"),
        result.stderr.decode("utf-8", "replace"),
        time.perf_counter() - start,
    )


def assert_refused(outcome: Outcome, *fragments: str, seconds: float = 5.0) -> None:
    """Exit 2, one `error:` line naming `fragments`, no traceback, within `seconds`."""
    assert "Traceback" not in outcome.stderr, outcome.stderr
    assert outcome.code == 2, (outcome.code, outcome.stderr[-2000:])
    lines = outcome.message.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), outcome.message[:2000]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert outcome.seconds < seconds, outcome.seconds
