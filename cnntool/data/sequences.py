"""Generated sequence tasks for recurrent networks: sine, adding, copy and parity.

Sequences are (N, T, F) float32, time first as a spec writes them (`50x2 | lstm 64 ...`). Each
task tests one thing a recurrent net must learn:
- sine: use the recent past (predict the next value of a noisy sine);
- adding: keep two numbers over a long gap (Hochreiter & Schmidhuber 1997, as in Le et al. 2015:
  a random value channel and a marker channel with two 1s, one in each half; the target is the
  sum of the two marked values);
- copy: remember a whole sequence over a delay (Arjovsky et al. 2016: K symbols, delay−1 blanks,
  a delimiter, K blanks; the output is blank until the last K steps, which repeat the symbols);
- parity: count modulo 2 over the whole sequence.
"""

from __future__ import annotations

import numpy as np

from cnntool.data.catalog import CATALOG
from cnntool.data.dataset import Dataset, from_pool
from cnntool.data.limits import MAX_SEQ_LEN, check_count, check_fraction, check_seed, check_sizes

_SINE, _ADDING = CATALOG["sine"].defaults, CATALOG["adding"].defaults
_COPY, _PARITY = CATALOG["copy"].defaults, CATALOG["parity"].defaults


def sine(
    *,
    seed: int = 0,
    n_train: int = _SINE["n_train"],
    n_val: int = _SINE["n_val"],
    seq_len: int = _SINE["seq_len"],
    noise: float = _SINE["noise"],
) -> Dataset:
    """x_t = A·sin(ω·t + φ) + noise for t = 0 … T−1 (A in [0.5, 1.5], ω in [0.1, 0.6] rad per step,
    φ in [0, 2π)); the target is the noise-free next value A·sin(ω·T + φ), shape (N, 1)."""
    seed = check_seed(seed)
    check_count("seq_len", seq_len, 2, MAX_SEQ_LEN)
    n_train, n_val = check_sizes("sine", n_train, n_val, seq_len)
    check_fraction("noise", noise, 0.0, 10.0)
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    amp = rng.uniform(0.5, 1.5, size=(n, 1))
    omega = rng.uniform(0.1, 0.6, size=(n, 1))
    phase = rng.uniform(0.0, 2 * np.pi, size=(n, 1))
    t = np.arange(seq_len + 1)[None, :]
    wave = amp * np.sin(omega * t + phase)
    x = (wave[:, :seq_len] + rng.normal(0.0, noise, size=(n, seq_len)))[:, :, None].astype(np.float32)
    y = wave[:, seq_len:].astype(np.float32)
    options = {"seed": seed, "n_train": n_train, "n_val": n_val, "seq_len": seq_len, "noise": noise}
    return from_pool(CATALOG["sine"], x, y, n_val, rng, loss="mse", options=options)


def adding(
    *,
    seed: int = 0,
    n_train: int = _ADDING["n_train"],
    n_val: int = _ADDING["n_val"],
    seq_len: int = _ADDING["seq_len"],
) -> Dataset:
    """x[:, t] = (value uniform in [0, 1], marker); markers are 1 at one step of the first half and one
    of the second half, 0 elsewhere; the target (N, 1) is the sum of the two marked values.

    Always predicting 1 (the mean) gives an MSE of about 1/6; a net that learned the task does far better.
    """
    seed = check_seed(seed)
    check_count("seq_len", seq_len, 2, MAX_SEQ_LEN)
    n_train, n_val = check_sizes("adding", n_train, n_val, 2 * seq_len)
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    half = seq_len // 2
    x = np.zeros((n, seq_len, 2), dtype=np.float32)
    x[:, :, 0] = rng.uniform(0.0, 1.0, size=(n, seq_len))
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, seq_len, size=n)
    rows = np.arange(n)
    x[rows, first, 1] = 1.0
    x[rows, second, 1] = 1.0
    y = (x[rows, first, 0] + x[rows, second, 0])[:, None].astype(np.float32)
    options = {"seed": seed, "n_train": n_train, "n_val": n_val, "seq_len": seq_len}
    return from_pool(CATALOG["adding"], x, y, n_val, rng, loss="mse", options=options)


def copy(
    *,
    seed: int = 0,
    n_train: int = _COPY["n_train"],
    n_val: int = _COPY["n_val"],
    length: int = _COPY["length"],
    delay: int = _COPY["delay"],
    symbols: int = _COPY["symbols"],
) -> Dataset:
    """Input ids over T = 2·length + delay steps: `length` symbols (1 … symbols), delay−1 blanks (0),
    the delimiter (symbols+1), `length` blanks; one-hot, so x is (N, T, symbols+2).
    Targets (N, T): blank (0) everywhere except the last `length` steps, which hold the symbols.
    """
    seed = check_seed(seed)
    check_count("length", length, 1, MAX_SEQ_LEN // 2)
    check_count("delay", delay, 1, MAX_SEQ_LEN)
    check_count("symbols", symbols, 1, 100)
    steps = 2 * length + delay
    check_count("sequence length (2·length + delay)", steps, 3, MAX_SEQ_LEN)
    n_train, n_val = check_sizes("copy", n_train, n_val, steps * (symbols + 2))
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    data = rng.integers(1, symbols + 1, size=(n, length))
    ids = np.zeros((n, steps), dtype=np.int64)
    ids[:, :length] = data
    ids[:, length + delay - 1] = symbols + 1
    y = np.zeros((n, steps), dtype=np.int64)
    y[:, steps - length :] = data
    x = np.eye(symbols + 2, dtype=np.float32)[ids]
    options = {"seed": seed, "n_train": n_train, "n_val": n_val, "length": length, "delay": delay,
               "symbols": symbols}  # fmt: skip
    names = ("blank", *(str(s) for s in range(1, symbols + 1)))
    return from_pool(CATALOG["copy"], x, y, n_val, rng, loss="cross_entropy", class_names=names,
                     options=options)  # fmt: skip


def parity(
    *,
    seed: int = 0,
    n_train: int = _PARITY["n_train"],
    n_val: int = _PARITY["n_val"],
    seq_len: int = _PARITY["seq_len"],
) -> Dataset:
    """Bits (N, T, 1) of 0.0/1.0; label 1 when the number of 1s is odd. Labels are balanced.

    Each sequence is uniform among those of its label: a random sequence whose parity is not the
    drawn label gets one random bit flipped (which keeps the distribution uniform).
    """
    seed = check_seed(seed)
    check_count("seq_len", seq_len, 1, MAX_SEQ_LEN)
    n_train, n_val = check_sizes("parity", n_train, n_val, seq_len)
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    y = rng.permutation(np.arange(n) % 2).astype(np.int64)
    bits = rng.integers(0, 2, size=(n, seq_len))
    wrong = np.flatnonzero(bits.sum(axis=1) % 2 != y)
    flip = rng.integers(0, seq_len, size=len(wrong))
    bits[wrong, flip] ^= 1
    x = bits[:, :, None].astype(np.float32)
    options = {"seed": seed, "n_train": n_train, "n_val": n_val, "seq_len": seq_len}
    return from_pool(CATALOG["parity"], x, y, n_val, rng, loss="cross_entropy", class_names=("even", "odd"),
                     options=options)  # fmt: skip
