"""Train the lecture's 861-parameter MLP (20 → 20 → 20 → 1) on a synthetic regression task with Adam.

    python examples/train_mlp.py

Shows a non-classification loss (MSE) and a cosine learning-rate schedule.
"""

from __future__ import annotations

import numpy as np

from cnntool.engine import build, fit, losses, optim


def main() -> None:
    rng = np.random.default_rng(0)
    model = build("mlp861", seed=0)
    print(f"parameters: {sum(p.value.size for p in model.parameters())}")  # 861
    x = rng.standard_normal((2048, 20)).astype(np.float32)
    y = (np.sin(x[:, :5]).sum(axis=1, keepdims=True) + 0.1 * x[:, 5:6] ** 2).astype(np.float32)
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.CosineLR(opt, t_max=20)
    for event in fit(
        model, x, y, opt, epochs=20, batch_size=64, rng=rng, loss_fn=losses.mse, scheduler=sched
    ):
        if event.kind == "epoch" and event.epoch % 5 == 0:
            print(f"epoch {event.epoch:2d}: mse {event.loss:.4f}  lr {opt.lr:.4f}")


if __name__ == "__main__":
    main()
