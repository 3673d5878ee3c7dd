"""How responsive `cnntool tui` is: first paint, the builder's update on a 200-layer spec, input during
autoplay and training.

    python benchmarks/tui.py [--runs 5]

1. `cnntool tui` to the first painted screen, in a real terminal (tmux): from starting the process
   to the builder's table appearing in the pane (needs tmux; skipped without it).
2. The builder's update for a 200-layer spec: the arithmetic alone (summarize + the table's rows, the
   pure part), and the whole update the screen does (analysis, layer table, totals, chart, formulas).
3. While typing into that spec (25 keys a second), while the stepper autoplays at 32 steps/s and
   while the trainer trains, how late the event loop runs a 10 ms timer (the worst delay is what a
   key press would wait).
Not a test: the numbers depend on the machine. Targets: first paint < 1 s; arithmetic well under a
16 ms frame; keystrokes never wait for a big spec's update (it is debounced).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC_200 = "\n".join(["3x64x64"] + ["conv 16 k3 p1", "relu"] * 100)  # 200 layers


def first_paint(runs: int) -> list[float]:
    """Seconds from starting `python -m cnntool tui` in an 80x24 tmux pane to the table being shown."""
    tmux = shutil.which("tmux")
    if tmux is None:
        return []
    times = []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for n in range(runs):
        socket = f"cnntool-bench-{os.getpid()}-{n}"
        command = f"{sys.executable} -m cnntool tui; sleep 5"
        start = time.perf_counter()
        subprocess.run([tmux, "-L", socket, "-f", os.devnull, "new-session", "-d", "-s", "b", "-x", "80",
                        "-y", "24", "-e", f"PYTHONPATH={ROOT}", command], check=True, env=env)  # fmt: skip
        try:
            while True:
                shown = subprocess.run([tmux, "-L", socket, "capture-pane", "-p", "-t", "b"],
                                       capture_output=True, text=True).stdout  # fmt: skip
                if "conv 6 k5 p2" in shown and "156" in shown:
                    times.append(time.perf_counter() - start)
                    break
                if time.perf_counter() - start > 30:
                    raise RuntimeError(f"the builder did not appear:\n{shown}")
                time.sleep(0.005)
        finally:
            subprocess.run([tmux, "-L", socket, "kill-server"], capture_output=True)
    return times


def arithmetic(runs: int) -> list[float]:
    from cnntool.arith import summarize
    from cnntool.arith.table import DEFAULT_COLUMNS, footer_text, table_rows
    from cnntool.spec.source import load_spec

    times = []
    for _ in range(runs * 4):
        start = time.perf_counter()
        summary = summarize(load_spec(SPEC_200, files=False))
        table_rows(summary, DEFAULT_COLUMNS, False)
        footer_text(summary, False)
        times.append(time.perf_counter() - start)
    assert len(summary.layers) == 200
    return times


async def in_the_app(runs: int) -> dict[str, list[float]]:
    from cnntool.tui.app import CnnToolApp
    from cnntool.tui.launch import prepare

    out: dict[str, list[float]] = {"update": [], "keystroke": [], "autoplay lag": [], "training lag": []}
    app = CnnToolApp(prepare(SPEC_200))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        builder = app.screen
        for _ in range(runs * 2):
            builder.analyse()
            out["update"].append(builder.cost)
        editor = builder.query_one("#spec")
        editor.focus()
        editor.move_cursor(editor.document.end)

        async def type_fast() -> None:  # 25 keys a second, as a quick typist, then a pause
            for key in "\nrelu" * runs:
                if key == "\n":
                    await pilot.press("enter")
                else:
                    editor.insert(key)
                await asyncio.sleep(0.04)

        typing = asyncio.create_task(type_fast())
        out["keystroke"] = await loop_lag(0.04 * 5 * runs)
        await typing
        while builder.pending is not None:
            await pilot.pause(0.05)
        assert builder.summary is not None and len(builder.summary.layers) == 200 + runs

        await pilot.press("f3")
        await pilot.pause()
        stepper = app.screen
        stepper.speed = 32.0
        await pilot.press("a")
        out["autoplay lag"] = await loop_lag(1.0)
        await pilot.press("a")

        await pilot.press("f4")
        await pilot.pause()
        trainer = app.screen
        trainer.query_one("#epochs").value = "1000"
        trainer.query_one("#checkpoint").value = ""
        await pilot.press("f5")
        plot = trainer.query_one("#loss-plot")
        while plot.points < 3:  # past numba's first compilation: the steady state
            await pilot.pause(0.05)
        out["training lag"] = await loop_lag(2.0)
        await pilot.press("f7")
        while trainer.state == "stopping":
            await pilot.pause(0.05)
    return out


async def loop_lag(seconds: float, tick: float = 0.01) -> list[float]:
    """How much later than asked a `tick` sleep returns, for `seconds`: the event loop's latency."""
    lags = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        await asyncio.sleep(tick)
        lags.append(time.perf_counter() - start - tick)
    return lags


def show(name: str, times: list[float]) -> None:
    if not times:
        print(f"{name:44} (skipped)")
        return
    ms = sorted(t * 1000 for t in times)
    print(f"{name:44} median {statistics.median(ms):7.1f} ms   worst {ms[-1]:7.1f} ms   ({len(ms)} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    show("cnntool tui → first painted screen (tmux)", first_paint(args.runs))
    show("200-layer spec: summarize + table rows", arithmetic(args.runs))
    results = asyncio.run(in_the_app(args.runs))
    show("200-layer spec: the builder's whole update", results["update"])
    show("event-loop lag, typing in a 200-layer spec", results["keystroke"])
    show("event-loop lag, stepper autoplay 32/s", results["autoplay lag"])
    show("event-loop lag, training xo in the worker", results["training lag"])


if __name__ == "__main__":
    main()
