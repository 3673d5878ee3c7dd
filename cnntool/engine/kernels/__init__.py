"""The CPU backend's numba kernels (`_name`, private) and their validating public wrappers.

Kernels take only arrays and scalars and write into NumPy arrays their wrappers allocate;
their options come from `cnntool.config.NJIT_OPTIONS`. Layers never import this package:
they reach the kernels through `engine.backend` (the CPU backend's kernel table), so another
device brings its own table. Each kernel has a naive NumPy twin in `cnntool.engine.reference`.
"""

from cnntool import config

config.apply_threads()
config.disable_cache_if_unwritable(__file__)
