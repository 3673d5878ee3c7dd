"""The engine's layers, one module per family: base (Layer, Parameter, TorchCall), dense,
activations, conv, pool, norm, resample. Each class is registered once in engine/registry.py."""
