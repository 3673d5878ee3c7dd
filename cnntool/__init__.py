"""cnntool: a terminal calculator, explainer and trainer for CNNs and RNNs.

Nothing heavy is imported here: `cnntool summary` must start fast, so numpy,
numba and textual are only imported by the modules that need them.
"""

__version__ = "0.1.0"
