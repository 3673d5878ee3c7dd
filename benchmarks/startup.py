"""Start-up cost of `cnntool summary lenet5` against `import torch` and an empty Python, as ratios.

    python benchmarks/startup.py [--runs 15]

Also times summarizing a generated 10,000-layer spec (the arithmetic must be linear).
Not a test: numbers depend on the machine, so only ratios from the same run are compared.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def median_seconds(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    py = sys.executable
    commands = {
        "python -c pass": [py, "-c", "pass"],
        "cnntool summary lenet5": [py, "-m", "cnntool", "summary", "lenet5"],
        "cnntool summary lenet5 --json": [py, "-m", "cnntool", "summary", "lenet5", "--json"],
        "python -c 'import torch'": [py, "-c", "import torch"],
    }
    results = {}
    for name, cmd in commands.items():
        try:
            results[name] = median_seconds(cmd, args.runs)
        except subprocess.CalledProcessError:
            results[name] = float("nan")
    torch_time = results["python -c 'import torch'"]
    print(f"{'command':34} {'median ms':>10} {'÷ import torch':>15}")
    for name, seconds in results.items():
        print(f"{name:34} {seconds * 1000:10.1f} {seconds / torch_time:15.3f}")

    from cnntool.arith import summarize

    spec = "3x64x64 | " + " | ".join(["conv 8 k3 p1", "relu"] * 5000)
    start = time.perf_counter()
    s = summarize(spec)
    elapsed = time.perf_counter() - start
    print(f"\nsummarize a {len(s.layers):,}-layer spec: {elapsed * 1000:.0f} ms")


if __name__ == "__main__":
    main()
