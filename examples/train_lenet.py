"""Train LeNet-5 (ReLU + max-pool variant) with cnntool's engine on a synthetic 10-class image set,
then save it and export it to PyTorch.

    python examples/train_lenet.py [--epochs 3] [--out lenet.npz]

The data are ten random 28×28 "glyph" templates, shifted by up to 2 pixels and noised, so the
script needs no download and still shows the loss falling and accuracy rising within seconds.
"""

from __future__ import annotations

import argparse

import numpy as np

from cnntool.engine import build, fit, optim
from cnntool.engine.export import export

SPEC = (
    "1x28x28 | conv 6 k5 p2 | relu | maxpool 2 | conv 16 k5 | relu | maxpool 2 | flatten"
    " | dense 120 | relu | dense 84 | relu | dense 10"
)


def glyphs(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """x: (n, 1, 28, 28) float32, y: (n,) int64 in 0..9."""
    templates = (np.random.default_rng(42).random((10, 28, 28)) > 0.7).astype(np.float32)
    y = rng.integers(0, 10, n)
    x = templates[y]
    shifts = rng.integers(-2, 3, (n, 2))
    x = np.stack([np.roll(img, tuple(s), axis=(0, 1)) for img, s in zip(x, shifts, strict=True)])
    x = x + 0.5 * rng.standard_normal(x.shape).astype(np.float32)
    return x[:, None].astype(np.float32), y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", default="lenet.npz")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x, y = glyphs(4096, rng)
    xv, yv = glyphs(512, rng)
    model = build(SPEC, seed=0)
    opt = optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    for event in fit(model, x, y, opt, epochs=args.epochs, batch_size=64, rng=rng, validation=(xv, yv)):
        if event.kind == "epoch":
            print(f"epoch {event.epoch}: loss {event.loss:.3f}  acc {event.accuracy:.3f}  "
                  f"val loss {event.val_loss:.3f}  val acc {event.val_accuracy:.3f}")  # fmt: skip
    model.save(args.out, optimizer=opt)
    source, weights = export(model, args.out.removesuffix(".npz") + "_torch.py", overwrite=True)
    print(f"saved {args.out}; PyTorch module {source} with weights {weights}")


if __name__ == "__main__":
    main()
