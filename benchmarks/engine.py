"""cnntool's engine vs PyTorch CPU on LeNet-5 and on LSTM/GRU, measured in the same run; prints a table of ratios.

    python benchmarks/engine.py            # full run (a few minutes)
    python benchmarks/engine.py --quick    # fewer repetitions
    python benchmarks/engine.py --runs 3   # each throughput pair 3 times, interleaved; medians
    python benchmarks/engine.py --only lstm,gru   # just some rows (lenet, lenet-infer, lstm, gru)

Every measurement runs in its own fresh subprocess so that numba's, OpenBLAS's and
PyTorch's thread pools never share a process (they would fight over the cores and
distort both numbers). Rows:
- training throughput (forward + backward + SGD step, float32, batch 64, 1x28x28),
- inference throughput (batch 256),
- LSTM and GRU training throughput (batch 64, T=50, input 32, hidden 128, last step → dense 10, Adam,
  float32) against torch.nn.LSTM / nn.GRU (batch_first) + nn.Linear on the last step,
  each with default threads and with 1 thread (CNNTOOL_THREADS=1, torch.set_num_threads(1));
- conv forward+backward with im2col+GEMM (the engine's choice) vs a direct numba convolution;
- time to the first training step in a fresh process, numba cache warm and cold.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LENET = (
    "1x28x28 | conv 6 k5 p2 | relu | maxpool 2 | conv 16 k5 | relu | maxpool 2 | flatten"
    " | dense 120 | relu | dense 84 | relu | dense 10"
)
ONE_THREAD = {
    "CNNTOOL_THREADS": "1",
    "CNNTOOL_BLAS_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}


# --- workers (run in a subprocess) ---------------------------------------------------------------


def _best_rate(step, batch: int, reps: int, inner: int) -> float:
    for _ in range(3):
        step()
    best = 0.0
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(inner):
            step()
        best = max(best, inner * batch / (time.perf_counter() - t))
    return best


def _engine_steps(batch: int):
    import numpy as np

    from cnntool.engine import build, losses, optim

    rng = np.random.default_rng(0)
    model = build(LENET)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, batch)

    def train():
        _, d = losses.cross_entropy(model.forward(x, train=True), y)
        model.backward(d)
        opt.step()
        opt.zero_grad()

    return train, lambda: model.forward(x)


def _torch_steps(batch: int, threads: int | None):
    import numpy as np
    import torch
    from torch import nn

    if threads:
        torch.set_num_threads(threads)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32))
    y = torch.tensor(rng.integers(0, 10, batch))

    def train():
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    def infer():
        with torch.no_grad():
            model(x)

    return train, infer


RNN_SHAPE = (64, 50, 32)  # batch, steps, features; hidden 128, last step → dense 10


def _engine_rnn_step(cell: str):
    import numpy as np

    from cnntool.engine import build, losses, optim

    batch, steps, features = RNN_SHAPE
    model = build(f"{steps}x{features} | {cell} 128 return_sequences=false | dense 10", seed=0)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(RNN_SHAPE).astype(np.float32)
    y = rng.integers(0, 10, batch)

    def train():
        _, d = losses.cross_entropy(model.forward(x, train=True), y)
        model.backward(d)
        opt.step()
        opt.zero_grad()

    return train


def _torch_rnn_step(cell: str, threads: int | None):
    import numpy as np
    import torch
    from torch import nn

    if threads:
        torch.set_num_threads(threads)
    batch, steps, features = RNN_SHAPE

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(features, 128, batch_first=True)
            self.fc = nn.Linear(128, 10)

        def forward(self, x):
            return self.fc(self.rnn(x)[0][:, -1])

    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal(RNN_SHAPE).astype(np.float32))
    y = torch.tensor(rng.integers(0, 10, batch))

    def train():
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    return train


def _direct_conv_rates(reps: int) -> dict[str, float]:
    """im2col+GEMM (the engine's Conv) vs a direct numba loop, LeNet's two convs, batch 64, fwd+bwd."""
    import numpy as np
    from numba import njit, prange

    from cnntool.config import NJIT_OPTIONS
    from cnntool.engine.layers.conv import Conv

    @njit(**NJIT_OPTIONS)
    def direct_fwd(x, w, b, pad, out):
        n_, c_, h_, w_ = x.shape
        f_, _, kh, kw = w.shape
        ho, wo = out.shape[2], out.shape[3]
        for nf in prange(n_ * f_):
            n, f = nf // f_, nf % f_
            for oh in range(ho):
                for ow in range(wo):
                    s = b[f]
                    for c in range(c_):
                        for i in range(kh):
                            h = oh - pad + i
                            if 0 <= h < h_:
                                for j in range(kw):
                                    ww = ow - pad + j
                                    if 0 <= ww < w_:
                                        s += x[n, c, h, ww] * w[f, c, i, j]
                    out[n, f, oh, ow] = s

    @njit(**NJIT_OPTIONS)
    def direct_bwd(x, w, dout, pad, dx, dw):
        n_, c_, h_, w_ = x.shape
        f_, _, kh, kw = w.shape
        ho, wo = dout.shape[2], dout.shape[3]
        for n in prange(n_):  # dx per sample (no races)
            for f in range(f_):
                for oh in range(ho):
                    for ow in range(wo):
                        g = dout[n, f, oh, ow]
                        for c in range(c_):
                            for i in range(kh):
                                h = oh - pad + i
                                if 0 <= h < h_:
                                    for j in range(kw):
                                        ww = ow - pad + j
                                        if 0 <= ww < w_:
                                            dx[n, c, h, ww] += g * w[f, c, i, j]
        for fc in prange(f_ * c_):  # dw per (filter, channel)
            f, c = fc // c_, fc % c_
            for n in range(n_):
                for oh in range(ho):
                    for ow in range(wo):
                        g = dout[n, f, oh, ow]
                        for i in range(kh):
                            h = oh - pad + i
                            if 0 <= h < h_:
                                for j in range(kw):
                                    ww = ow - pad + j
                                    if 0 <= ww < w_:
                                        dw[f, c, i, j] += g * x[n, c, h, ww]

    rng = np.random.default_rng(0)
    rates = {}
    for name, (c, f, hw, pad) in {
        "conv1 1→6 k5 p2 28x28": (1, 6, 28, 2),
        "conv2 6→16 k5 14x14": (6, 16, 14, 0),
    }.items():
        layer = Conv(c, f, (5, 5), padding=((pad, pad), (pad, pad)), rng=rng)
        x = rng.standard_normal((64, c, hw, hw)).astype(np.float32)
        out = layer.forward(x, train=True)
        dout = np.ones_like(out)

        def gemm(layer=layer, x=x, dout=dout):
            layer.forward(x, train=True)
            layer.backward(dout)

        w, b = layer.weight.value, layer.bias.value

        def direct(x=x, w=w, b=b, out=out, dout=dout, pad=pad):
            direct_fwd(x, w, b, pad, out)
            direct_bwd(x, w, dout, pad, np.zeros_like(x), np.zeros_like(w))

        rates[name] = (_best_rate(gemm, 64, reps, 10), _best_rate(direct, 64, reps, 10))
    return rates


def worker(args) -> None:
    if args.what == "first-step":
        t0 = float(os.environ["CNNTOOL_BENCH_T0"])
        train, _ = _engine_steps(64)
        train()
        print(json.dumps({"seconds": time.time() - t0}))
        return
    if args.what == "conv":
        print(json.dumps(_direct_conv_rates(args.reps)))
        return
    if args.what in ("lstm", "gru"):
        if args.lib == "cnntool":
            step = _engine_rnn_step(args.what)
        else:
            step = _torch_rnn_step(args.what, args.threads)
        print(json.dumps({"rate": _best_rate(step, RNN_SHAPE[0], args.reps, 3)}))
        return
    batch = 64 if args.what == "train" else 256
    if args.lib == "cnntool":
        train, infer = _engine_steps(batch)
    else:
        train, infer = _torch_steps(batch, args.threads)
    step = train if args.what == "train" else infer
    print(json.dumps({"rate": _best_rate(step, batch, args.reps, 10 if args.what == "train" else 5)}))


# --- driver ----------------------------------------------------------------------------------------


def _run(extra_env: dict[str, str], *argv: str) -> dict:
    env = {**os.environ, **extra_env, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env["CNNTOOL_BENCH_T0"] = repr(time.time())
    done = subprocess.run(
        [sys.executable, __file__, "--worker", *argv], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"worker {argv} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--what", default="train")
    parser.add_argument("--lib", default="cnntool")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument(
        "--only", default="", help="comma-separated rows: lenet, lenet-infer, lstm, gru, extras"
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="fresh-process pairs per row; the table shows medians (noisy machines)",
    )
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    reps = "3" if args.quick else "7"
    only = {w.strip() for w in args.only.split(",") if w.strip()}
    _run({}, "--what", "first-step")  # fills the numba cache
    rows = []
    for what, key, label in (
        ("train", "lenet", "LeNet-5 training, batch 64 (samples/s)"),
        ("infer", "lenet-infer", "LeNet-5 inference, batch 256 (samples/s)"),
        ("lstm", "lstm", "LSTM 32→128, T=50, batch 64, training (samples/s)"),
        ("gru", "gru", "GRU 32→128, T=50, batch 64, training (samples/s)"),
    ):
        if only and key not in only:
            continue
        if what in ("lstm", "gru"):
            _run({}, "--what", what, "--lib", "cnntool", "--reps", "1")  # compile (and cache) its kernels
        for threads in (0, 1):
            env = ONE_THREAD if threads else {}
            pairs = []
            for _ in range(max(1, args.runs)):  # interleaved, so a busy spell hits both sides
                ours = _run(env, "--what", what, "--lib", "cnntool", "--reps", reps)["rate"]
                theirs = _run(
                    env, "--what", what, "--lib", "torch", "--threads", str(threads), "--reps", reps
                )
                pairs.append((ours, theirs["rate"]))
            ours, theirs = (statistics.median(side) for side in zip(*pairs, strict=True))
            ratio = statistics.median(a / b for a, b in pairs)
            rows.append((label, "1" if threads else f"default ({os.cpu_count()} cores)", ours, theirs, ratio))
    extras = not only or "extras" in only
    if extras:
        conv = _run({}, "--what", "conv", "--reps", reps)
        warm = min(_run({}, "--what", "first-step")["seconds"] for _ in range(3))
        with tempfile.TemporaryDirectory() as cache:
            cold = _run({"NUMBA_CACHE_DIR": cache}, "--what", "first-step")["seconds"]

    runs = f"; medians of {args.runs} runs" if args.runs > 1 else ""
    print(f"cnntool engine vs PyTorch CPU (same machine, same run; {os.cpu_count()} cores{runs})\n")
    print(f"| {'benchmark':50} | {'threads':18} | {'cnntool':>9} | {'torch':>9} | {'ratio':>5} |")
    print(f"|{'-' * 52}|{'-' * 20}|{'-' * 11}|{'-' * 11}|{'-' * 7}|")
    for label, threads, ours, theirs, ratio in rows:
        print(f"| {label:50} | {threads:18} | {ours:9.0f} | {theirs:9.0f} | {ratio:5.2f} |")
    if not extras:
        return
    print("\nConvolution forward+backward, batch 64 (samples/s): im2col+GEMM vs direct numba loops")
    for name, (gemm, direct) in conv.items():
        print(f"  {name:24} im2col+GEMM {gemm:8.0f}   direct {direct:8.0f}   ({gemm / direct:.1f}x)")
    print(
        f"\nTime to first training step in a fresh process: warm numba cache {warm:.2f} s, cold cache {cold:.2f} s"
    )


if __name__ == "__main__":
    main()
