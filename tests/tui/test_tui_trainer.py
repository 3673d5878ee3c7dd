"""The trainer: engine.fit in a thread worker, driven by Pilot; and its run loop on its own."""

from __future__ import annotations

import re
import sys
import threading
import time

import numpy as np
import pytest

from cnntool.errors import CnnToolError
from cnntool.tui.app import CnnToolApp
from cnntool.tui.launch import prepare
from cnntool.tui.training import DEFAULT_SPECS, Settings, TrainingRun, settings
from tests.tui.conftest import record_notifications, static_text

SIZE = (120, 40)
WAIT = 180.0  # numba compiles the kernels on first use: a cold CI machine needs a while


def training_frames() -> list[str]:
    """Threads whose stack is inside the training loop (fit, or the trainer's run)."""
    busy = []
    for thread_id, top in sys._current_frames().items():
        frame = top
        while frame is not None:
            name = frame.f_code.co_filename.replace("\\", "/")
            if name.endswith(("cnntool/tui/training.py", "cnntool/engine/train.py")):
                busy.append(f"thread {thread_id}: {name}:{frame.f_lineno}")
                break
            frame = frame.f_back
    return busy


async def wait_until(pilot, condition, seconds: float = WAIT) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


async def test_training_on_xo_updates_the_plot_and_stops_without_a_leftover_thread(tmp_path) -> None:
    checkpoint = tmp_path / "xo.npz"
    app = CnnToolApp(prepare(screen="trainer", data="xo"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.query_one("#epochs").value = "1000"  # far more than the test waits for
        screen.query_one("#batch").value = "16"
        screen.query_one("#checkpoint").value = str(checkpoint)
        loss = screen.query_one("#loss-plot")
        await pilot.press("f5")
        await wait_until(pilot, lambda: loss.points >= 3)
        assert screen.state == "running"
        status = static_text(screen.query_one("#train-status"))
        assert re.search(
            r"running · epoch \d+ · step \d+/50 · [\d,]+ samples/s · loss [\d.]+ · acc [\d.]+", status
        )
        assert np.isfinite(loss.values).all() and 0 < loss.values[0] < 10
        screen.query_one("#trainer-tabs").active = "tab-filters"  # pictures are drawn when shown
        await wait_until(pilot, lambda: "4 filters" in static_text(screen.query_one("#filters")))
        assert "layer 1 (conv 4 k3): 4 filters" in static_text(screen.query_one("#filters"))
        screen.query_one("#trainer-tabs").active = "tab-maps"
        await wait_until(pilot, lambda: "map 4" in static_text(screen.query_one("#maps")))
        assert "after layer 2 (relu), for validation input 1" in static_text(screen.query_one("#maps"))
        screen.query_one("#trainer-tabs").active = "tab-curves"

        await pilot.press("f6")
        assert screen.state == "paused"
        await pilot.pause(0.3)  # a message already on its way may still land
        held = loss.points
        await pilot.pause(0.4)
        assert loss.points == held  # paused: no step was taken
        await pilot.press("f6")
        assert screen.state == "running"

        await pilot.press("f7")
        await wait_until(pilot, lambda: screen.state in ("stopped", "finished", "failed"))
        assert screen.state == "stopped"
        await wait_until(pilot, lambda: not training_frames(), seconds=10)
        assert not any(w.is_running for w in app.workers if w.group == "training")
    from cnntool.engine import load

    model = load(checkpoint)  # the checkpoint written on stop
    assert model.spec == DEFAULT_SPECS["xo"] and model.input_shape == (1, 9, 9)


async def test_bad_settings_and_a_spec_that_does_not_fit_are_told() -> None:
    app = CnnToolApp(prepare(screen="trainer", data="xo"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        seen = record_notifications(app)
        screen = app.screen
        screen.query_one("#lr").value = "fast"
        await pilot.press("f5")
        await pilot.pause()
        assert screen.state == "idle" and ("learning rate: 'fast' is not a number", "error") in seen
        screen.query_one("#lr").value = "0.01"
        screen.query_one("#train-spec").value = "1x28x28 | flatten | dense 2"
        await pilot.pause()
        assert "1,570 params" in static_text(screen.query_one("#spec-info"))
        await pilot.press("f5")
        await wait_until(pilot, lambda: screen.state == "failed", seconds=60)
        assert any("start the spec with 1x9x9" in m for m, _ in seen)
        screen.query_one("#train-spec").value = "1x9x9 | flatten | dense 3"
        await pilot.press("f5")
        await wait_until(pilot, lambda: screen.state == "failed" and len(seen) > 2, seconds=60)
        assert any("end it with dense 2" in m for m, _ in seen)
        screen.query_one("#train-spec").value = "1x9x9 | convv 2"
        await pilot.pause()
        assert "unknown layer 'convv'" in static_text(screen.query_one("#spec-info"))


async def test_choosing_a_dataset_follows_with_its_spec() -> None:
    app = CnnToolApp(prepare(screen="trainer", data="xo"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.query_one("#data").value = "shapes"
        await pilot.pause()
        assert screen.query_one("#train-spec").value == DEFAULT_SPECS["shapes"]
        assert screen.query_one("#checkpoint").value == "shapes-model.npz"
        assert "shapes:" in static_text(screen.query_one("#train-status"))


def test_settings_are_checked_field_by_field() -> None:
    good = settings("xo", DEFAULT_SPECS["xo"], "2", "8", "0.1", "sgd", "3", "")
    assert good == Settings("xo", DEFAULT_SPECS["xo"], 2, 8, 0.1, "sgd", 3, "")
    for fields, message in (
        (("xo", "s", "0", "8", "0.1", "adam", "0", ""), "epochs: 0 is outside 1..1000"),
        (("xo", "s", "2", "1.5", "0.1", "adam", "0", ""), "batch size: '1.5' is not a whole number"),
        (("xo", "s", "2", "8", "0.1", "lbfgs", "0", ""), "optimizer: 'lbfgs' is not one of adam, sgd"),
        (("xox", "s", "2", "8", "0.1", "adam", "0", ""), "unknown dataset 'xox'"),
    ):
        with pytest.raises(CnnToolError, match=message):
            settings(*fields)


def test_the_run_loop_learns_pauses_and_cancels() -> None:
    run = TrainingRun(Settings(epochs=2, batch_size=32, lr=0.01))
    updates = []
    resume = threading.Event()
    resume.set()
    assert run.train(lambda: False, resume, updates.append, interval=0.0) is True
    points = [p for u in updates for p in u.points]
    assert [p[0] for p in points] == list(range(1, 2 * 25 + 1))  # 800 samples / 32 = 25 steps an epoch
    val = [v for u in updates for v in u.val_points]
    assert [v[0] for v in val] == [25, 50] and val[-1][2] > 0.9  # X and O told apart on validation
    assert updates[-1].filters[1].shape == (4, 1, 3, 3) and updates[-1].maps[1].shape == (4, 7, 7)

    again = TrainingRun(Settings(epochs=50))
    resume.clear()  # paused from the start: no step is taken until cancelled
    cancel = threading.Event()
    seen, later = [], []
    worker = threading.Thread(
        target=lambda: seen.append(again.train(cancel.is_set, resume, later.append, 0.0))
    )
    worker.start()
    time.sleep(0.3)
    cancel.set()
    worker.join(5)
    assert not worker.is_alive() and seen == [False] and later == []


def test_every_listed_dataset_has_a_default_that_fits_and_copy_is_scored_per_step() -> None:
    """The trainer's default specs are recurrent for sequences; `copy` labels every time step."""
    from cnntool.arith import summarize
    from cnntool.data import load
    from cnntool.data.catalog import resolve
    from cnntool.training.data import check_fit

    for name, spec in DEFAULT_SPECS.items():
        if not resolve(name).needs_download:
            check_fit(summarize(spec), load(name, seed=0))
    assert "lstm" in DEFAULT_SPECS["adding"] and "gru" in DEFAULT_SPECS["parity"]
    run = TrainingRun(Settings("copy", DEFAULT_SPECS["copy"], epochs=1, batch_size=64, lr=0.01))
    updates = []
    resume = threading.Event()
    resume.set()
    assert run.train(lambda: False, resume, updates.append, interval=0.0) is True
    val = [v for u in updates for v in u.val_points]
    # 2,000 samples / 64 = 32 steps; per-step accuracy over 9 symbols: about 1/9 at chance, never 0
    assert [v[0] for v in val] == [32] and 0.0 < val[-1][2] <= 1.0
    assert updates[-1].filters is None and updates[-1].maps is None  # no conv: no pictures
