"""cnntool's engine on each device vs PyTorch, measured in the same run on the same machine.

    python benchmarks/gpu.py            # the GPU section (where CuPy and a GPU are usable) and the CPU section
    python benchmarks/gpu.py --quick    # shorter timing windows
    python benchmarks/gpu.py --gpu-only / --cpu-only
    python benchmarks/gpu.py --runs 3   # each row's measurements 3 times, interleaved; medians (busy machines)

Networks (training throughput: forward + backward + SGD step, float32, samples/s):
- LeNet-5, batch 256 (1x28x28);
- a VGG-style CIFAR-10 net, batch 128 (3x32x32: conv-batchnorm-relu blocks of 32, 64, 128 channels);
- an LSTM, T = 100, H = 512, batch 128 (needs the engine's recurrent layers).

GPU section: the engine on the GPU vs PyTorch CUDA on the same GPU (target ≥ 0.5×), and vs the
engine on the CPU (numba). Without a usable GPU it prints one "no GPU" line saying why.
CPU section: the cpu-numpy backend (array-module kernels on NumPy) vs the numba backend, with
PyTorch CPU for scale. Every measurement runs in a fresh subprocess, so thread pools never share
a process; the PyTorch twin is the engine's own model exported with `to_torch` (same weights).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NETS = {
    "lenet5": (
        "LeNet-5, batch 256",
        "1x28x28 | conv 6 k5 p2 | relu | maxpool 2 | conv 16 k5 | relu | maxpool 2 | flatten"
        " | dense 120 | relu | dense 84 | relu | dense 10",
        256,
        10,
    ),
    "vgg": (
        "VGG-style CIFAR-10, batch 128",
        "3x32x32 | conv 32 k3 p1 | batchnorm | relu | conv 32 k3 p1 | batchnorm | relu | maxpool 2"
        " | conv 64 k3 p1 | batchnorm | relu | conv 64 k3 p1 | batchnorm | relu | maxpool 2"
        " | conv 128 k3 p1 | batchnorm | relu | conv 128 k3 p1 | batchnorm | relu | maxpool 2"
        " | flatten | dense 256 | relu | dense 10",
        128,
        10,
    ),
    "lstm": (
        "LSTM T=100 H=512, batch 128",
        "100x32 | lstm 512 return_sequences=false | dense 10",
        128,
        10,
    ),
}


# --- workers (run in a subprocess) ---------------------------------------------------------------


def _timed_rate(step, sync, batch: int, seconds: float) -> float:
    """Best samples/s over timing windows of at least `seconds / 3` each, after two warm-up steps."""
    for _ in range(2):
        step()
    sync()
    best, deadline = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < deadline or best == 0.0:
        t, steps = time.perf_counter(), 0
        while steps == 0 or time.perf_counter() - t < seconds / 3:
            step()
            steps += 1
            sync() if steps % 5 == 0 else None
        sync()
        best = max(best, steps * batch / (time.perf_counter() - t))
    return best


def _engine(net: str, device: str, seconds: float) -> float:
    import numpy as np

    from cnntool.engine import build, losses, optim

    _, spec, batch, classes = NETS[net]
    model = build(spec, seed=0, device=device)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    backend = model.backend
    x = backend.asarray(rng.standard_normal((batch, *model.input_shape)).astype(np.float32))
    y = rng.integers(0, classes, batch)

    def step():
        _, d = losses.cross_entropy(model.forward(x, train=True), y)
        model.backward(d)
        opt.step()
        opt.zero_grad()

    return _timed_rate(step, backend.synchronize, batch, seconds)


def _torch(net: str, device: str, seconds: float) -> float:
    import numpy as np
    import torch

    from cnntool.engine import build
    from cnntool.engine.export import to_torch

    _, spec, batch, classes = NETS[net]
    model = build(spec, seed=0)
    module = to_torch(model).to(device).train()
    opt = torch.optim.SGD(module.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((batch, *model.input_shape)).astype(np.float32), device=device)
    y = torch.tensor(rng.integers(0, classes, batch), device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(module(x), y)
        loss.backward()
        opt.step()
        loss.item()  # the engine returns its loss as a float every step: the same sync

    return _timed_rate(step, sync, batch, seconds)


def worker(args) -> None:
    try:
        rate = (_engine if args.lib == "cnntool" else _torch)(args.net, args.device, args.seconds)
        print(json.dumps({"rate": rate}))
    except Exception as error:  # noqa: BLE001 - reported as a row, not a crash of the whole table
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}))


# --- driver ----------------------------------------------------------------------------------------


def _median_row(runs: int, *measurements: tuple[str, ...]) -> list[dict]:
    """Each measurement `runs` times, interleaved (a busy spell hits every column); the median rate."""
    results: list[list[dict]] = [[] for _ in measurements]
    for _ in range(max(1, runs)):
        for found, argv in zip(results, measurements, strict=True):
            found.append(_run(*argv))
    row = []
    for found in results:
        rates = sorted(r["rate"] for r in found if "rate" in r)
        row.append({"rate": rates[len(rates) // 2]} if rates else found[-1])
    return row


def _run(*argv: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(
        [sys.executable, __file__, "--worker", *argv], env=env, capture_output=True, text=True
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(lines[-1])


def _cell(result: dict) -> str:
    return f"{result['rate']:10.0f}" if "rate" in result else f"{'—':>10}"


def _ratio(a: dict, b: dict) -> str:
    return f"{a['rate'] / b['rate']:6.2f}" if "rate" in a and "rate" in b else f"{'—':>6}"


def _table(title: str, columns: tuple[str, str, str], rows: list[tuple[str, dict, dict, dict]]) -> None:
    print(title)
    print(
        f"| {'network':32} | {columns[0]:>10} | {columns[1]:>10} | {'ratio':>6} | {columns[2]:>10} | {'ratio':>6} |"
    )
    print(f"|{'-' * 34}|{'-' * 12}|{'-' * 12}|{'-' * 8}|{'-' * 12}|{'-' * 8}|")
    notes = []
    for label, ours, theirs, other in rows:
        print(f"| {label:32} | {_cell(ours)} | {_cell(theirs)} | {_ratio(ours, theirs)} | {_cell(other)} | "
              f"{_ratio(ours, other)} |")  # fmt: skip
        notes += [f"  {label}: {r['error']}" for r in (ours, theirs, other) if "error" in r]
    print("\n".join(notes) + "\n" if notes else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--gpu-only", action="store_true")
    parser.add_argument("--cpu-only", action="store_true")
    parser.add_argument("--nets", default=",".join(NETS), help="comma-separated: " + ", ".join(NETS))
    parser.add_argument("--runs", type=int, default=1, help="fresh processes per measurement; medians")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--net", default="lenet5")
    parser.add_argument("--lib", default="cnntool")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    seconds = "2" if args.quick else "6"
    nets = [n for n in args.nets.split(",") if n]
    for net in nets:  # fill numba's cache first, so no row pays for compiling
        _run("--net", net, "--device", "cpu", "--seconds", "0.1")

    from cnntool.engine.backend_gpu import probe

    found = probe()
    print(f"cnntool engine, training throughput (samples/s, float32); {os.cpu_count()} CPU cores\n")
    if not args.cpu_only:
        if not found.available:
            print(f"no GPU: {found.reason} (the GPU section needs CuPy and an NVIDIA GPU)\n")
        else:
            gpu = ", ".join(d.name for d in found.devices)
            rows = []
            for net in nets:
                ours, torch_cuda, cpu = _median_row(
                    args.runs,
                    ("--net", net, "--device", "gpu", "--seconds", seconds),
                    ("--net", net, "--lib", "torch", "--device", "cuda", "--seconds", seconds),
                    ("--net", net, "--device", "cpu", "--seconds", seconds),
                )
                rows.append((NETS[net][0], ours, torch_cuda, cpu))
            _table(f"GPU: {gpu} (CuPy {found.cupy_version}, CUDA {found.cuda_runtime}); "
                   "ratio = engine GPU / PyTorch CUDA, then engine GPU / engine CPU (numba)",
                   ("engine GPU", "torch CUDA", "engine CPU"), rows)  # fmt: skip
    if not args.gpu_only:
        rows = []
        for net in nets:
            numpy_rate, numba_rate, torch_cpu = _median_row(
                args.runs,
                ("--net", net, "--device", "cpu-numpy", "--seconds", seconds),
                ("--net", net, "--device", "cpu", "--seconds", seconds),
                ("--net", net, "--lib", "torch", "--device", "cpu", "--seconds", seconds),
            )
            rows.append((NETS[net][0], numpy_rate, numba_rate, torch_cpu))
        _table("CPU: ratio = cpu-numpy / numba (cpu), then cpu-numpy / PyTorch CPU",
               ("cpu-numpy", "numba", "torch CPU"), rows)  # fmt: skip


if __name__ == "__main__":
    main()
