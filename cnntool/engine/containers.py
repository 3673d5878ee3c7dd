"""Containers: Sequential, Residual, and Model (the built network a user trains and saves).

Parameter and state names follow torch.nn.Sequential ("0.weight", "3.running_mean",
"5.body.0.weight" for a residual block), so `state_dict()` loads into a PyTorch twin with
`strict=True`. This module imports only the layers (and, inside `Model.save`, the checkpoint
writer, which imports nothing of the engine's structure): building is engine/build.py, loading
and saving engine/checkpoint.py, export engine/export.py, and none of them is imported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cnntool.engine.backend import Backend, backend_of, compute_scope, get_backend
from cnntool.engine.layers.base import Layer, Parameter, TorchCall
from cnntool.errors import CnnToolError, InputError, ShapeError


class Sequential(Layer):
    """Layers applied in order; backward runs them in reverse. Names layers "0", "1", … as PyTorch."""

    kind = "sequential"

    def __init__(self, layers: Sequence[Layer], prefix: str = "") -> None:
        super().__init__()
        self.layers = list(layers)
        self.set_prefix(prefix)

    def set_prefix(self, prefix: str) -> None:
        for i, layer in enumerate(self.layers):
            layer.set_prefix(f"{prefix}{i}.")

    def parameters(self) -> list[Parameter]:
        return [p for layer in self.layers for p in layer.parameters()]

    def clear_cache(self) -> None:
        for layer in self.layers:
            layer.clear_cache()

    def move(self, convert: Any) -> None:
        for layer in self.layers:
            layer.move(convert)

    def state_items(self, prefix: str = "") -> list[tuple[str, Any]]:
        return [item for i, layer in enumerate(self.layers) for item in layer.state_items(f"{prefix}{i}.")]

    def frozen_names(self, prefix: str = "") -> list[str]:
        return [name for i, layer in enumerate(self.layers) for name in layer.frozen_names(f"{prefix}{i}.")]

    def load_item(self, local: str, value: Any) -> None:
        head, _, rest = local.partition(".")
        self.layers[int(head)].load_item(rest, value)

    def torch_call(self) -> TorchCall:
        return TorchCall("nn.Sequential", tuple(layer.torch_call() for layer in self.layers))

    def forward(self, x: Any, train: bool = False, options: dict[int, dict[str, Any]] | None = None) -> Any:
        """`options` maps a layer's index to extra keyword arguments (a recurrent layer's state, lengths)."""
        layers, i = self.layers, 0
        while i < len(layers):
            layer = layers[i]
            act = layers[i + 1].fused_act() if layer.accepts_act and i + 1 < len(layers) else None
            if options and i in options:
                x = layer.forward(x, train, **options[i])
                i += 1
            elif act is None:
                x = layer.forward(x, train)
                i += 1
            else:  # conv + activation in one pass over the output (kernels/act.py)
                x = layers[i + 1].take_fused(layer.forward(x, train, act=act))
                i += 2
        return x

    def backward(self, dout: Any, options: dict[int, dict[str, Any]] | None = None) -> Any:
        for i in reversed(range(len(self.layers))):
            layer = self.layers[i]
            dout = layer.backward(dout, **options[i]) if options and i in options else layer.backward(dout)
        return dout


class Residual(Layer):
    """out = body(x) + shortcut(x); an empty shortcut is the identity (torchvision's BasicBlock
    without the final ReLU, which the spec writes after the block)."""

    kind = "residual"

    def __init__(self, body: Sequential, shortcut: Sequential) -> None:
        super().__init__()
        self.body, self.shortcut = body, shortcut

    def set_prefix(self, prefix: str) -> None:
        self.body.set_prefix(prefix + "body.")
        self.shortcut.set_prefix(prefix + "shortcut.")

    def parameters(self) -> list[Parameter]:
        return self.body.parameters() + self.shortcut.parameters()

    def clear_cache(self) -> None:
        super().clear_cache()
        self.body.clear_cache()
        self.shortcut.clear_cache()

    def move(self, convert: Any) -> None:
        self.body.move(convert)
        self.shortcut.move(convert)

    def state_items(self, prefix: str = "") -> list[tuple[str, Any]]:
        return self.body.state_items(prefix + "body.") + self.shortcut.state_items(prefix + "shortcut.")

    def frozen_names(self, prefix: str = "") -> list[str]:
        return self.body.frozen_names(prefix + "body.") + self.shortcut.frozen_names(prefix + "shortcut.")

    def load_item(self, local: str, value: Any) -> None:
        head, _, rest = local.partition(".")
        (self.body if head == "body" else self.shortcut).load_item(rest, value)

    def torch_call(self) -> TorchCall:
        return TorchCall("Residual", (self.body.torch_call(), self.shortcut.torch_call()))

    def forward(self, x: Any, train: bool = False) -> Any:
        out = self.body.forward(x, train)
        short = self.shortcut.forward(x, train) if self.shortcut.layers else x
        if out.shape != short.shape:
            raise ShapeError(f"{self.label}: body gives {out.shape} but the shortcut gives {short.shape}")
        self._push(True)
        return out + short

    def backward(self, dout: Any) -> Any:
        self._pop()
        dx = self.body.backward(dout)
        return dx + (self.shortcut.backward(dout) if self.shortcut.layers else dout)


def check_state(
    own: dict[str, Any], state: dict[str, Any], source: str, strict: bool = True, exact_dtype: bool = False
) -> None:
    """The one validation of a state_dict against a model's: names, shapes, dtypes, finite values.

    Raises CnnToolError naming `source` (a file, or "state_dict") and the first bad array.
    """
    if strict:
        missing = [k for k in own if k not in state]
        if missing:
            name = missing[0]
            raise CnnToolError(
                f"{source}: array {name!r} is missing (the spec builds it with shape {tuple(own[name].shape)})"
                + (f", and {len(missing) - 1} more" if len(missing) > 1 else "")
            )
        unexpected = [k for k in state if k not in own]
        if unexpected:
            name = unexpected[0]
            raise CnnToolError(
                f"{source}: unexpected array {name!r} (shape {tuple(np.shape(state[name]))}) for this spec"
            )
    for name, value in state.items():
        if name not in own:
            continue
        mine = own[name]
        shape, dtype = tuple(np.shape(value)), getattr(value, "dtype", None)
        if shape != tuple(mine.shape) or (exact_dtype and dtype != mine.dtype):
            raise CnnToolError(
                f"{source}: array {name!r} expected {mine.dtype}{tuple(mine.shape)}, found {dtype}{shape}"
            )
        if np.dtype(mine.dtype).kind == "f" and not backend_of(value).all_finite(value):
            raise CnnToolError(f"{source}: array {name!r} contains NaN or infinite values")


class Model(Sequential):
    """A built network: `forward(x, train)`, `backward(dout)`, `parameters()`, `state_dict()`, `save()`.

    `spec` is the spec text it was built from; `input_shape` is the per-sample shape (C, H, W),
    (T, F) or (F,) without the batch axis; `device` says where its arrays live and which kernels
    run ("cpu", "cpu-numpy", "gpu"; docs/devices.md).
    """

    kind = "model"

    def __init__(
        self, layers: Sequence[Layer], spec: str, input_shape: tuple[int, ...], dtype: np.dtype
    ) -> None:
        super().__init__(layers)
        self.spec, self.input_shape, self.dtype = spec, tuple(input_shape), np.dtype(dtype)
        self.backend: Backend = get_backend("cpu")
        self.label = "model"
        self.input_grad = False

    @property
    def device(self) -> str:
        return self.backend.device

    @property
    def input_grad(self) -> bool:
        """Whether `backward` returns d(loss)/d(input); off by default (training never needs it)."""
        return self._input_grad

    @input_grad.setter
    def input_grad(self, value: bool) -> None:
        self._input_grad = bool(value)
        if self.layers:
            self.layers[0].needs_dx = self._input_grad

    def _prepare(self, x: Any, check: bool) -> Any:
        """Validate the batch and put it on the model's device: floats in the model's dtype,
        integer ids unchanged when the first layer reads integers (an embedding)."""
        if not hasattr(x, "shape") or not hasattr(x, "dtype"):
            raise InputError(
                f"model input must be an array of shape (N, {', '.join(map(str, self.input_shape))}), "
                f"got {type(x).__name__} (wrap it with numpy.asarray)"
            )
        if x.ndim != len(self.input_shape) + 1 or tuple(x.shape[1:]) != self.input_shape:
            raise ShapeError(
                f"model input: expected (N, {', '.join(map(str, self.input_shape))}), got {tuple(x.shape)}"
            )
        if x.shape[0] == 0:
            raise ShapeError("model input: the batch is empty (N = 0)")
        integers = np.dtype(x.dtype).kind in "iu"
        if integers and self.layers and self.layers[0].accepts_integers:
            return self.backend.asarray(x)
        if np.dtype(x.dtype).kind not in "iufb":
            raise InputError(f"model input: dtype {x.dtype} is not numeric")
        x = self.backend.asarray(x, dtype=self.dtype)
        if check and not self.backend.all_finite(x):
            bad = int(x.size - int(self.backend.xp.isfinite(x).sum()))
            raise InputError(f"model input: {bad} NaN or infinite values in input of shape {tuple(x.shape)}")
        return x

    def forward(
        self,
        x: Any,
        train: bool = False,
        check: bool = False,
        *,
        state: Any = None,
        lengths: Any = None,
        return_state: bool = False,
    ) -> Any:
        """x: (N, *input_shape) → output (N, *output_shape). `check` also rejects NaN/inf input.

        Recurrent models: `state` is the initial state of the recurrent layer, in PyTorch's layout —
        h0 (layers·directions, N, H_out) for rnn/gru, the pair (h0, c0) for lstm — or, when the model
        has several recurrent layers, a list with one state (or None) per recurrent layer. `lengths`
        (N,) gives each sequence's true length (right-padded batches); padded steps change neither
        outputs (they are 0), final states nor gradients. `return_state=True` returns
        `(output, final_state)` in the same layout as `state`.

        Every call starts a new pass: what earlier forwards kept for backward is dropped.
        """
        x = self._prepare(x, check)
        self.clear_cache()
        options = self._sequence_call(state, lengths, return_state)
        with compute_scope(self.backend):
            out = super().forward(x, train, options)
        if not return_state:
            return out
        finals = [self.layers[i].final_state for i in self._recurrent_indices()]
        return out, (finals[0] if len(finals) == 1 else finals)

    def _recurrent_indices(self) -> list[int]:
        return [i for i, layer in enumerate(self.layers) if layer.sequence_options]

    def _per_layer(self, value: Any, what: str) -> list[Any]:
        """A state (or its gradient) given for the model → one entry per top-level recurrent layer."""
        count = len(self._recurrent_indices())
        if count == 1:
            return [value]
        if not isinstance(value, list) or len(value) != count:
            raise InputError(
                f"model {what}: the model has {count} recurrent layers, so give a list of {count} states (or None)"
            )
        return value

    def _sequence_call(
        self, state: Any, lengths: Any, return_state: bool
    ) -> dict[int, dict[str, Any]] | None:
        if state is None and lengths is None and not return_state:
            return None
        indices = self._recurrent_indices()
        if not indices:
            raise InputError("model: state, lengths and return_state need a recurrent layer (rnn, gru, lstm)")
        states = self._per_layer(state, "state") if state is not None else [None] * len(indices)
        return {i: {"state": s, "lengths": lengths} for i, s in zip(indices, states)}

    def backward(self, dout: Any, dstate: Any = None) -> Any:
        """dout: (N, *output_shape) → d(input) if `input_grad`, else None; fills every Parameter.grad.

        `dstate` is the gradient of the final state a `return_state=True` forward returned (same layout,
        None for zero). Afterwards `state_grad` holds d(initial state) of the recurrent layer(s).
        A `dout` from the host goes to the model's device first (a loss's gradient already lives there).
        """
        if not self.backend.owns(dout):
            dout = self.backend.asarray(dout)
        options = None
        if dstate is not None:
            indices = self._recurrent_indices()
            if not indices:
                raise InputError("model backward: dstate needs a recurrent layer (rnn, gru, lstm)")
            options = {i: {"dstate": g} for i, g in zip(indices, self._per_layer(dstate, "dstate"))}
        with compute_scope(self.backend):
            dx = super().backward(dout, options)
        return dx if self._input_grad else None

    @property
    def state_grad(self) -> Any:
        """d(loss)/d(initial state) of the recurrent layer(s) after `backward` (a list for several)."""
        grads = [self.layers[i].state_grad for i in self._recurrent_indices()]
        return grads[0] if len(grads) == 1 else grads

    def state_dict(self) -> dict[str, Any]:
        """{name: array} with PyTorch's names and order (parameters and buffers, live arrays)."""
        return dict(self.state_items())

    def load_state_dict(
        self,
        state: dict[str, Any],
        strict: bool = True,
        *,
        source: str = "state_dict",
        exact_dtype: bool = False,
    ) -> None:
        """Copy arrays in after `check_state` (names, shapes, dtypes if `exact_dtype`, finite values)."""
        own = self.state_dict()
        check_state(own, state, source, strict, exact_dtype)
        for name, value in state.items():
            if name in own:
                self.load_item(name, self.backend.asarray(value))

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad[...] = 0

    def to(self, device: str | None = None) -> Model:
        """Move every parameter, gradient and buffer to `device` ("cpu", "cpu-numpy", "gpu", "auto";
        None: CNNTOOL_DEVICE or "cpu"); returns self. An optimizer made before the move keeps its
        state where it was: make it after (or load its state_dict again)."""
        from cnntool.engine.devices import backend_for

        backend = backend_for(device)
        if backend is not self.backend:
            self.move(lambda a: backend.asarray(self.backend.to_numpy(a)))
            self.backend = backend
        return self

    def save(self, path: Any, optimizer: Any = None, force: bool = False) -> None:
        """Write spec, dtype, state_dict (and optimizer state) to one .npz, atomically (engine/checkpoint.py).

        Replaces an earlier cnntool model at `path`; any other file only with `force=True`.
        """
        from cnntool.engine.checkpoint import save

        save(self, path, optimizer, force)
