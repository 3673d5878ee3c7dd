"""Training from the shell, measured: what `cnntool train`, `cnntool experiment` and `cnntool demo` reach
and how long they take. The numbers in docs/training.md come from this script.

    python benchmarks/training.py                 # every row (a few minutes on 2 cores)
    python benchmarks/training.py xo digits       # some rows
    python benchmarks/training.py --json          # the results as JSON

Rows:
- xo: the demo's X/O CNN, seconds (warm compile cache) until validation accuracy ≥ 98 %.
- digits: a small CNN on scikit-learn's 8×8 digits, validation accuracy after 15 epochs and the time.
- fashion-mnist: LeNet-5, 5 epochs, SGD 0.05 momentum 0.9, batch 64, with cnntool's engine and with
  PyTorch CPU from the same initial weights in the same run. Needs the dataset in the cache (cnntool data
  fetch fashion-mnist); where it is not (a machine without network) the row says so and is skipped.
- adding: the rnn-vs-lstm experiment at T = 50 (needs the engine's recurrent layers, else skipped).
- demo: `cnntool demo` in a fresh process, cold (an empty numba cache: NUMBA_CACHE_DIR set to an empty
  folder and the kernels' __pycache__ removed, in a copy of the package) and warm (the second run).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

XO = "1x9x9 | conv 4 k3 | relu | maxpool 2 ceil=true | flatten | dense 2"
DIGITS = "1x8x8 | conv 32 k3 p1 | relu | maxpool 2 | conv 64 k3 p1 | relu | maxpool 2 | flatten | dense 10"


def _train(config, until=None):
    """(session, seconds to the end or to the first epoch reaching `until` val accuracy, epochs used)."""
    from cnntool.training.engine_setup import warm_up
    from cnntool.training.session import Session

    session = Session.start(config)
    warm_up(session)
    began = time.perf_counter()
    for event in session.train():
        if event.kind == "epoch" and until is not None and event.val_accuracy >= until:
            break
    return session, time.perf_counter() - began, session.epochs_done


def row_xo() -> dict:
    from cnntool.training.config import RunConfig

    config = RunConfig(spec=XO, data="xo", optim="sgd", lr=0.05, momentum=0.9, epochs=20)
    session, seconds, epochs = _train(config, until=0.98)
    return {"row": "xo", "val_accuracy": session.history[-1].val_accuracy, "epochs": epochs,
            "seconds": round(seconds, 2), "goal": "≥ 98 % in < 10 s"}  # fmt: skip


def row_digits() -> dict:
    from cnntool.training.config import RunConfig

    config = RunConfig(spec=DIGITS, data="digits", optim="adam", lr=0.003, epochs=15, schedule="cosine")
    session, seconds, epochs = _train(config)
    return {"row": "digits", "val_accuracy": session.history[-1].val_accuracy, "epochs": epochs,
            "seconds": round(seconds, 2), "goal": "≥ 97 % in < 60 s"}  # fmt: skip


def _torch_lenet(model, ds, epochs: int) -> tuple[float, float]:
    import numpy as np
    import torch

    from cnntool.engine.export import to_torch

    torch.manual_seed(0)
    net = to_torch(model)  # the same initial weights
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    x, y = torch.from_numpy(ds.x_train), torch.from_numpy(ds.y_train)
    rng = np.random.default_rng(0)
    began = time.perf_counter()
    for _ in range(epochs):
        net.train()
        for idx in np.array_split(rng.permutation(len(x)), -(-len(x) // 64)):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
    seconds = time.perf_counter() - began
    net.eval()
    with torch.no_grad():
        pred = torch.cat(
            [net(torch.from_numpy(ds.x_test[i : i + 1000])).argmax(1) for i in range(0, len(ds.x_test), 1000)]
        )
    return float((pred.numpy() == ds.y_test).mean()), seconds


def row_fashion() -> dict:
    from cnntool.data import load
    from cnntool.data.public import NotCachedError
    from cnntool.engine.builder import build
    from cnntool.training.config import RunConfig
    from cnntool.training.metrics import predict_batches

    try:
        ds = load("fashion-mnist", download_missing=False)
    except NotCachedError as error:
        return {
            "row": "fashion-mnist",
            "skipped": f"not in the cache ({error}); run: cnntool data fetch fashion-mnist",
        }
    config = RunConfig(
        spec="lenet5", data="fashion-mnist", optim="sgd", lr=0.05, momentum=0.9, batch=64, epochs=5
    )
    session, seconds, _ = _train(config)
    test_acc = float((predict_batches(session.model, ds.x_test).argmax(1) == ds.y_test).mean())
    row = {"row": "fashion-mnist", "engine_test_accuracy": test_acc, "engine_seconds": round(seconds, 1),
           "goal": "≥ 89 % after 5 epochs"}  # fmt: skip
    try:
        torch_acc, torch_seconds = _torch_lenet(build("lenet5", seed=0), ds, 5)
        row |= {"torch_test_accuracy": torch_acc, "torch_seconds": round(torch_seconds, 1)}
    except ImportError:
        row["torch"] = "PyTorch is not installed"
    return row


def row_adding() -> dict:
    from cnntool.engine import registry
    from cnntool.training.experiments import run_experiment

    if registry.layer_class("lstm") is None:
        return {"row": "adding", "skipped": "the engine does not train recurrent layers yet"}
    began = time.perf_counter()
    *_, done = run_experiment("rnn-vs-lstm")
    rnn, lstm = done.result.variants
    return {"row": "adding", "rnn_val_mse": rnn.final.val_loss, "lstm_val_mse": lstm.final.val_loss,
            "epochs": lstm.final.epoch, "seconds": round(time.perf_counter() - began, 1),
            "goal": "LSTM MSE < 0.01, RNN not"}  # fmt: skip


def _demo_seconds(pythonpath: Path, env: dict) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cnntool", "demo"], cwd=tempfile.gettempdir(), check=True,
                   env={**env, "PYTHONPATH": str(pythonpath)}, stdout=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - began


def row_demo() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "src"
        shutil.copytree(ROOT / "cnntool", copy / "cnntool", ignore=shutil.ignore_patterns("__pycache__"))
        env = {**os.environ, "NUMBA_CACHE_DIR": str(Path(tmp) / "numba")}
        cold = _demo_seconds(copy, env)
        warm = _demo_seconds(copy, env)
    return {
        "row": "demo",
        "cold_seconds": round(cold, 1),
        "warm_seconds": round(warm, 1),
        "goal": "< 60 s cold",
    }


ROWS = {
    "xo": row_xo,
    "digits": row_digits,
    "fashion-mnist": row_fashion,
    "adding": row_adding,
    "demo": row_demo,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="*", choices=[*ROWS, []], default=[])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    for name in args.rows or ROWS:
        result = ROWS[name]()
        results.append(result)
        if not args.json:
            print(" ".join(f"{k}={v}" for k, v in result.items()), flush=True)
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
