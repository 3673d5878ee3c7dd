"""Private numba kernels (`_name`) and their validating public wrappers.

Kernels take only arrays and scalars and write into arrays the wrapper creates
through `backend.xp`; their options come from `cnntool.config.NJIT_OPTIONS`.
Each has a naive NumPy twin in `cnntool.engine.reference`.
"""

from cnntool import config

config.apply_threads()
