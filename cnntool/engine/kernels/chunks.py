"""Work split over threads by rows: the pool the recurrent time loops and the large matmuls share.

The engine limits the BLAS to one thread per call (`engine.backend.compute_scope`: numba's and
OpenBLAS's thread pools fight otherwise). Work that is independent by rows — the rows of a batch
through a whole time loop, the rows of a matmul — can still use every core: each chunk of rows runs
in its own Python thread, and BLAS calls and nogil numba kernels release the GIL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from cnntool import config

#: Threads for the chunks; None: numba's thread count (CNNTOOL_THREADS, default all cores).
CHUNK_THREADS: int | None = None

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def threads() -> int:
    """How many chunks work may be cut into (1 when kernels are not parallel: the BLAS is then free)."""
    if CHUNK_THREADS is not None:
        return CHUNK_THREADS
    if not config.PARALLEL:
        return 1
    import numba

    return numba.get_num_threads()


def in_chunks(n: int, run: Callable[[int, int], object], min_rows: int) -> list[object]:
    """[run(n0, n1) for row ranges covering [0, n)], in parallel threads when there are at least two
    chunks of `min_rows` rows, else one call. A chunk's exception is re-raised."""
    global _pool, _pool_size
    chunks = min(threads(), n // max(min_rows, 1))
    if chunks <= 1:
        return [run(0, n)]
    with _pool_lock:
        if _pool is None or _pool_size < chunks:
            _pool = ThreadPoolExecutor(max_workers=chunks, thread_name_prefix="cnntool-chunk")
            _pool_size = chunks
        pool = _pool
    bounds = [n * i // chunks for i in range(chunks + 1)]
    futures = [pool.submit(run, bounds[i], bounds[i + 1]) for i in range(chunks)]
    return [future.result() for future in futures]
