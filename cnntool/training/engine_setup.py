"""Process-wide engine settings a training command asks for: numba's thread count, and a warm-up
that compiles (or loads) the kernels before the first timed step.

Both change only process state that belongs to the engine; a shell calls them once, before training.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def set_threads(threads: int) -> int:
    """Run numba's parallel kernels on `threads` threads (at most the cores numba found); returns the count."""
    import numba

    count = max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(count)
    return count


def warm_up(session: Any) -> None:
    """One forward and backward pass of a throwaway twin of the session's model on two samples.

    The first call of each numba kernel compiles it (tens of seconds on a fresh install) or loads it
    from the cache; doing that here lets a shell say so, and keeps it out of the first epoch's
    timing. The twin has its own weights and generators: the session's run is not changed.
    """
    from cnntool.engine.builder import build

    twin = build(session.model.spec, seed=0, dtype=session.model.dtype, device=session.model.device)
    x = session.dataset.x_train[:2]
    with np.errstate(all="ignore"):
        out = twin.forward(x, train=True)
        _, dout = session.loss_fn(out, session.dataset.y_train[:2])
        twin.backward(dout)
        twin.forward(x, train=False)
