"""Ctrl-C (SIGINT to a real process) stops between two steps, saves a loadable checkpoint, exits 130,
and `--resume` continues to the same weights an uninterrupted run reaches."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from cnntool.engine.builder import load

ROOT = Path(__file__).resolve().parents[2]
SPEC = "1x16x16 | conv 8 k3 p1 | relu | maxpool 2 | flatten | dropout 0.2 | dense 6"
ARGS = [
    "train",
    SPEC,
    "--data",
    "shapes",
    "--limit",
    "800",
    "--optim",
    "sgd",
    "--lr",
    "0.05",
    "--momentum",
    "0.9",
    "--batch",
    "16",
]


def _cnntool(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    return subprocess.Popen([sys.executable, "-m", "cnntool", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)  # fmt: skip


def test_sigint_saves_a_checkpoint_exits_130_and_resumes_exactly(tmp_path) -> None:
    run = tmp_path / "run"
    child = _cnntool(*ARGS, "--epochs", "200", "--out", str(run), "--json")
    deadline = time.monotonic() + 120
    while not (run / "last.npz").exists():  # the first epoch is done and saved
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "no epoch finished in 2 minutes"
        time.sleep(0.05)
    time.sleep(0.3)  # somewhere inside a later epoch
    child.send_signal(signal.SIGINT)
    stdout, stderr = child.communicate(timeout=60)
    assert child.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted at epoch" in stderr and "--resume" in stderr
    end = json.loads(stdout.splitlines()[-1])
    assert end["event"] == "end" and end["status"] == "interrupted"
    done = end["epochs_completed"]
    assert 1 <= done < 200
    load(run / "last.npz")  # a loadable model file
    load(run / "model.npz")

    # Continue to done + 1 epochs; an uninterrupted run of done + 1 epochs must give the same weights.
    total = str(done + 1)
    resumed = _cnntool("train", "--resume", str(run), "--epochs", total, "--quiet")
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    whole = _cnntool(*ARGS, "--epochs", total, "--out", str(tmp_path / "whole"), "--quiet")
    _, err = whole.communicate(timeout=300)
    assert whole.returncode == 0, err
    a, b = load(run / "model.npz").state_dict(), load(tmp_path / "whole" / "model.npz").state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)
