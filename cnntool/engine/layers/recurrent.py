"""RNN, GRU and LSTM layers: PyTorch's nn.RNN/GRU/LSTM (batch_first) plus the lecture's peephole LSTM.

x (N, T, F) → (N, T, D·H_out) (every step) or (N, D·H_out) (return_sequences=false: the final hidden
state of the top layer, both directions concatenated, Keras's meaning; for one direction it is the last
step). H_out is proj_size when an LSTM projects, else hidden_size; D = 2 when bidirectional.

The same weights serve every time step. Per stacked layer and direction the input projection of all
steps is one matmul (time-major, (T·N, F)·W_ihᵀ), then the backend's time loop (kernels/recurrent.py)
runs one recurrent matmul and one fused gate kernel per step. Backward runs the loop in reverse and
then forms every weight gradient as one matmul over all steps (Σ_t dG_tᵀ·h_{t−1}: the lecture's
W ← W + G11 + G12 + …). Names, shapes, gate order, the two bias vectors and the U(−1/√H, 1/√H)
initialisation are PyTorch's, so `state_dict()` loads into torch.nn.LSTM with strict=True.

Options beyond PyTorch: `peephole` (LSTM; V_i, V_f, V_o as parameters `weight_ci_l0`, `weight_cf_l0`,
`weight_co_l0`), `bptt=k` (truncated backpropagation through time: no gradient crosses from a block
of k steps into the previous block, as detaching the state every k steps in PyTorch), `lengths`
(variable-length batches: padded steps change neither outputs, final states nor gradients, as
PyTorch's packed sequences) and `record` (keep every step's gates and gradients for `cnntool unroll`).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from cnntool.arith.hyper import RecurrentHyper
from cnntool.engine.backend import backend_of, resolve_dtype
from cnntool.engine.layers.base import BuildContext, Layer, TorchCall
from cnntool.errors import CnnToolError, InputError, ShapeError

GATES = {"rnn": 1, "gru": 3, "lstm": 4}
#: Gate names in PyTorch's order (the rows of weight_ih / weight_hh, block by block).
GATE_NAMES = {"rnn": ("h",), "gru": ("r", "z", "n"), "lstm": ("i", "f", "g", "o")}
PEEPHOLES = ("weight_ci", "weight_cf", "weight_co")


class Recurrent(Layer):
    """A stack of `num_layers` recurrent layers of one `cell` ("rnn", "gru", "lstm"), one or two directions."""

    kind = "recurrent"
    kinds = ("rnn", "gru", "lstm")
    sequence_options: ClassVar[bool] = True

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        bias: bool = True,
        proj_size: int = 0,
        return_sequences: bool = True,
        nonlinearity: str = "tanh",
        dropout: float = 0.0,
        peephole: bool = False,
        bptt: int = 0,
        *,
        rng: np.random.Generator | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if cell not in GATES:
            raise ValueError(f"recurrent: unknown cell {cell!r}; expected one of {sorted(GATES)}")
        if (proj_size or peephole) and cell != "lstm":
            raise ValueError("recurrent: proj_size and peephole are LSTM options")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"recurrent: nonlinearity must be tanh or relu, got {nonlinearity!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"recurrent: dropout must be in [0, 1), got {dropout}")
        dtype = resolve_dtype(dtype)
        rng = rng if rng is not None else np.random.default_rng(0)
        self.cell, self.input_size, self.hidden_size = cell, input_size, hidden_size
        self.num_layers, self.directions, self.has_bias = num_layers, 2 if bidirectional else 1, bias
        self.proj_size, self.return_sequences, self.nonlinearity = proj_size, return_sequences, nonlinearity
        self.dropout, self.peephole, self.bptt = dropout, peephole, bptt
        self.rng = rng
        self.label = cell
        #: Keep every step's gates (forward) and dL/dh_t, dL/dc_t (backward) in `trace`/`grad_trace`.
        self.record = False
        self.trace: dict[tuple[int, int], dict[str, Any]] = {}
        self.grad_trace: dict[tuple[int, int], dict[str, Any]] = {}
        self.final_state: Any = None
        self.state_grad: Any = None
        g, h, hout = GATES[cell], hidden_size, self.hidden_out
        bound = 1.0 / math.sqrt(hidden_size)  # PyTorch: every parameter ~ U(−1/√H, 1/√H)

        def draw(shape: tuple[int, ...]) -> np.ndarray:
            return np.asarray(rng.uniform(-bound, bound, size=shape), dtype=dtype)

        for layer in range(num_layers):
            n_in = input_size if layer == 0 else self.directions * hout
            for d in range(self.directions):
                sfx = self.suffix(layer, d)
                self._add_param(f"weight_ih{sfx}", draw((g * h, n_in)))
                self._add_param(f"weight_hh{sfx}", draw((g * h, hout)))
                if bias:
                    self._add_param(f"bias_ih{sfx}", draw((g * h,)))
                    self._add_param(f"bias_hh{sfx}", draw((g * h,)))
                if proj_size:
                    self._add_param(f"weight_hr{sfx}", draw((proj_size, h)))
                if peephole:
                    for name in PEEPHOLES:
                        self._add_param(f"{name}{sfx}", draw((h,)))

    @property
    def hidden_out(self) -> int:
        """The width of h (what is fed back and output): proj_size when projected, else hidden_size."""
        return self.proj_size or self.hidden_size

    @staticmethod
    def suffix(layer: int, direction: int) -> str:
        return f"_l{layer}" + ("_reverse" if direction else "")

    @classmethod
    def from_hyper(cls, h: RecurrentHyper, ctx: BuildContext) -> Recurrent:
        if h.cell == "gru" and not h.reset_after:
            raise CnnToolError(
                f"{ctx.label}: the engine trains PyTorch's GRU (reset gate after the matmul, "
                "reset_after=true); reset_after=false is counted by `summary` but not trained"
            )
        return cls(h.cell, h.input_size, h.hidden_size, h.num_layers, h.bidirectional, h.bias, h.proj_size,
                   h.return_sequences, h.nonlinearity, h.dropout, h.peephole, h.bptt, rng=ctx.rng,
                   dtype=ctx.dtype)  # fmt: skip

    def torch_call(self) -> TorchCall:
        if self.peephole:
            raise CnnToolError(
                f"{self.label}: PyTorch has no peephole LSTM (nn.LSTM's gates do not see the cell state), "
                "so a model with peephole=true cannot be exported"
            )
        kwargs: list[tuple[str, Any]] = [
            ("num_layers", self.num_layers),
            ("bias", self.has_bias),
            ("batch_first", True),
            ("dropout", float(self.dropout)),
            ("bidirectional", self.directions == 2),
        ]
        if self.cell == "rnn":
            kwargs.append(("nonlinearity", self.nonlinearity))
        if self.proj_size:
            kwargs.append(("proj_size", self.proj_size))
        kwargs.append(("return_sequences", self.return_sequences))
        name = {"rnn": "RNNLayer", "gru": "GRULayer", "lstm": "LSTMLayer"}[self.cell]
        return TorchCall(name, (self.input_size, self.hidden_size), tuple(kwargs))

    def p(self, name: str, layer: int, direction: int) -> Any:
        """The parameter `name` ("weight_ih", …) of one stacked layer and direction (None if absent)."""
        return self._params.get(name + self.suffix(layer, direction))

    # -- call options ------------------------------------------------------------------------
    def _valid(self, lengths: Any, n: int, t: int, xp: Any) -> Any:
        """lengths (N,) → valid (T, N) uint8, or None for full-length sequences."""
        if lengths is None:
            return None
        lengths = np.asarray(backend_of(lengths).to_numpy(lengths))
        if lengths.shape != (n,) or lengths.dtype.kind not in "iu":
            raise InputError(
                f"{self.label}: lengths must be {n} whole numbers (one per sequence), got {lengths.dtype} {lengths.shape}"
            )
        if n and (lengths.min() < 1 or lengths.max() > t):
            raise InputError(
                f"{self.label}: lengths must be between 1 and T = {t}, got {lengths.min()}…{lengths.max()}"
            )
        return xp.asarray((np.arange(t)[:, None] < lengths[None, :]).astype(np.uint8))

    def _initial(self, state: Any, n: int, xp: Any, dtype: Any) -> tuple[Any, Any]:
        """(h0, c0) as (L·D, N, ·) arrays: zeros, or the given state checked against PyTorch's layout."""
        ld, hout, h = self.num_layers * self.directions, self.hidden_out, self.hidden_size
        if state is None:
            h0 = xp.zeros((ld, n, hout), dtype=dtype)
            return h0, (xp.zeros((ld, n, h), dtype=dtype) if self.cell == "lstm" else None)
        if self.cell == "lstm":
            if not isinstance(state, tuple | list) or len(state) != 2:
                raise InputError(f"{self.label}: an LSTM state is a pair (h0, c0)")
            h0, c0 = state
        else:
            h0, c0 = state, None
        shapes = [("h0", h0, (ld, n, hout))] + ([("c0", c0, (ld, n, h))] if c0 is not None else [])
        out = []
        for name, value, shape in shapes:
            if tuple(getattr(value, "shape", ())) != shape:
                raise ShapeError(
                    f"{self.label}: {name} must have shape (layers·directions, N, {shape[2]}) = {shape}, "
                    f"got {tuple(getattr(value, 'shape', ()))}"
                )
            out.append(xp.ascontiguousarray(xp.asarray(value, dtype=dtype)))  # on the input's device
        return out[0], (out[1] if c0 is not None else None)

    # -- forward -----------------------------------------------------------------------------
    def forward(self, x: Any, train: bool = False, *, state: Any = None, lengths: Any = None) -> Any:
        self._check_rank(x, (3,), "(N, T, features)")
        self._check_dim(x, 2, self.input_size, "features per step")
        backend = backend_of(x)
        xp, k = backend.xp, backend.kernels
        n, t = x.shape[0], x.shape[1]
        valid = self._valid(lengths, n, t, xp)
        h0, c0 = self._initial(state, n, xp, x.dtype)
        inp = xp.ascontiguousarray(x.transpose(1, 0, 2))  # time-major (T, N, F)
        saved, masks, finals = [], [], []
        self.trace = {}
        for layer in range(self.num_layers):
            outs = []
            for d in range(self.directions):
                ld = layer * self.directions + d
                run = self._run_direction(k, xp, inp, layer, d, h0[ld], None if c0 is None else c0[ld], valid)
                saved.append((inp, run))
                outs.append(run["y"])
                finals.append((run["h_n"], run.get("c_n")))
            y = outs[0] if len(outs) == 1 else xp.concatenate(outs, axis=2)
            mask = None
            if train and self.dropout and layer < self.num_layers - 1:
                # As Dropout: the CPU draws from the layer's generator, a device from one seed a call.
                uniform = (
                    self.rng.random(y.shape)
                    if backend.host
                    else backend.rng(int(self.rng.integers(2**63 - 1))).random(y.shape)
                )
                keep = xp.asarray(uniform) >= self.dropout
                mask = keep.astype(y.dtype) / y.dtype.type(1.0 - self.dropout)
                y = y * mask
            masks.append(mask)
            inp = xp.ascontiguousarray(y)
        h_n = xp.stack([f[0] for f in finals])
        self.final_state = (h_n, xp.stack([f[1] for f in finals])) if self.cell == "lstm" else h_n
        self._push(saved, masks, valid, x.shape)
        if self.return_sequences:
            return xp.ascontiguousarray(inp.transpose(1, 0, 2))
        top = [finals[-self.directions + d][0] for d in range(self.directions)]
        return top[0].copy() if len(top) == 1 else xp.concatenate(top, axis=1)

    def _biases(self, xp: Any, layer: int, d: int, dtype: Any) -> tuple[Any, Any]:
        """(bias added to the pre-activations in the gate pass, b_hn kept inside the GRU's reset product)."""
        g, h = GATES[self.cell], self.hidden_size
        if not self.has_bias:
            return xp.zeros(g * h, dtype=dtype), xp.zeros(h, dtype=dtype)
        b_ih, b_hh = self.p("bias_ih", layer, d).value, self.p("bias_hh", layer, d).value
        if self.cell != "gru":
            return b_ih + b_hh, None
        folded = b_ih.copy()
        folded[: 2 * h] += b_hh[: 2 * h]  # b_hr, b_hz add outside; b_hn is multiplied by r
        return folded, xp.ascontiguousarray(b_hh[2 * h :])

    def _peep(self, xp: Any, layer: int, d: int) -> Any:
        if not self.peephole:
            return None
        return xp.stack([self.p(name, layer, d).value for name in PEEPHOLES])

    def _run_direction(
        self, k: Any, xp: Any, inp: Any, layer: int, d: int, h0: Any, c0: Any, valid: Any
    ) -> dict:
        t, n, f = inp.shape
        w_ih, w_hh = self.p("weight_ih", layer, d).value, self.p("weight_hh", layer, d).value
        bias, b_hn = self._biases(xp, layer, d, inp.dtype)
        # all steps' input projections in one matmul (the bias is added in the gate pass)
        xproj = k.matmul(inp.reshape(t * n, f), xp.ascontiguousarray(w_ih.T)).reshape(t, n, -1)
        rev, rec = d == 1, self.record
        h0 = xp.ascontiguousarray(h0)
        if self.cell == "lstm":
            w_hr = self.p("weight_hr", layer, d)
            run = k.lstm_forward(xproj, w_hh, h0, xp.ascontiguousarray(c0), bias=bias,
                                 w_hr=None if w_hr is None else w_hr.value, peep=self._peep(xp, layer, d),
                                 valid=valid, reverse=rev, record=rec)  # fmt: skip
        elif self.cell == "gru":
            b_hn = b_hn if b_hn is not None else xp.zeros(self.hidden_size, dtype=inp.dtype)
            run = k.gru_forward(xproj, w_hh, b_hn, h0, bias=bias, valid=valid, reverse=rev, record=rec)
        else:
            relu = self.nonlinearity == "relu"
            run = k.rnn_forward(xproj, w_hh, h0, bias=bias, relu=relu, valid=valid, reverse=rev, record=rec)
        hs = run["h"]
        # slot t+1 (forward) or t (reverse) holds the state after step t; see kernels/recurrent.py
        run["h_out"], run["h_in"] = (hs[:-1], hs[1:]) if rev else (hs[1:], hs[:-1])
        run["y"] = run["h_out"] * valid[:, :, None] if valid is not None else run["h_out"]
        run["h_n"] = hs[0] if rev else hs[t]
        if self.cell == "lstm":
            cs = run["c"]
            run["c_out"], run["c_in"] = (cs[:-1], cs[1:]) if rev else (cs[1:], cs[:-1])
            run["c_n"] = cs[0] if rev else cs[t]
        if rec:
            self.trace[(layer, d)] = self._trace_of(inp, run)
        return run

    def _trace_of(self, inp: Any, run: dict) -> dict[str, Any]:
        """One (layer, direction)'s steps as host arrays (N, T, ·) indexed by time: the input x_t, h_{t−1},
        every gate's pre-activation and activation (PyTorch's gate order), c_{t−1}, c_t and h_t."""

        def bf(a: Any) -> np.ndarray:
            return np.ascontiguousarray(backend_of(a).to_numpy(a).transpose(1, 0, 2))

        out = {"x": bf(inp), "h_prev": bf(run["h_in"]), "h": bf(run["h_out"]), "pre": bf(run["pre"])}
        out["gates"] = bf(run["gates"]) if "gates" in run else out["h"]  # an RNN's one "gate" is h itself
        if self.cell == "lstm":
            out["c_prev"], out["c"] = bf(run["c_in"]), bf(run["c_out"])
            if "m" in run:
                out["m"] = bf(run["m"])
        return out

    # -- backward ----------------------------------------------------------------------------
    def backward(self, dout: Any, dstate: Any = None) -> Any:
        """dout: d(output); dstate: d(final state) in the layout of `final_state` (or None). Fills every
        parameter's grad, sets `state_grad` (d(initial state)) and returns d(input) (None if not needed)."""
        saved, masks, valid, x_shape = self._pop()
        backend = backend_of(dout)
        xp, k = backend.xp, backend.kernels
        ld_count, hout, dirs = self.num_layers * self.directions, self.hidden_out, self.directions
        n, t = x_shape[0], x_shape[1]
        dh_n = [None] * ld_count
        dc_n = [None] * ld_count
        if dstate is not None:
            dh_all, dc_all = dstate if self.cell == "lstm" else (dstate, None)
            dh_n = (
                [xp.asarray(dh_all[i], dtype=dout.dtype) for i in range(ld_count)]
                if dh_all is not None
                else dh_n
            )
            dc_n = (
                [xp.asarray(dc_all[i], dtype=dout.dtype) for i in range(ld_count)]
                if dc_all is not None
                else dc_n
            )
        if self.return_sequences:
            dy = xp.ascontiguousarray(dout.transpose(1, 0, 2))  # (T, N, D·H_out)
        else:
            dy = None
            for d in range(dirs):
                top = (self.num_layers - 1) * dirs + d
                part = dout[:, d * hout : (d + 1) * hout]
                dh_n[top] = part if dh_n[top] is None else dh_n[top] + part
        dh0 = [None] * ld_count
        dc0 = [None] * ld_count
        self.grad_trace = {}
        for layer in reversed(range(self.num_layers)):
            dinp = None
            need_dx = layer > 0 or self.needs_dx
            for d in range(dirs):
                ld = layer * dirs + d
                inp, run = saved[ld]
                dyd = None
                if dy is not None:
                    dyd = dy if dirs == 1 else xp.ascontiguousarray(dy[:, :, d * hout : (d + 1) * hout])
                dg_in, grads = self._backward_direction(
                    k, xp, inp, run, layer, d, dyd, dh_n[ld], dc_n[ld], valid
                )
                dh0[ld], dc0[ld] = grads.get("dh0"), grads.get("dc0")
                if need_dx:
                    w_ih = self.p("weight_ih", layer, d).value
                    part = k.matmul(dg_in.reshape(t * n, -1), w_ih).reshape(t, n, -1)
                    dinp = part if dinp is None else dinp + part
            if layer > 0:
                mask = masks[layer - 1]
                dy = dinp * mask if mask is not None else dinp
        h_grad = xp.stack(dh0)
        self.state_grad = (h_grad, xp.stack(dc0)) if self.cell == "lstm" else h_grad
        if not self.needs_dx:
            return None
        return xp.ascontiguousarray(dinp.transpose(1, 0, 2))

    def _backward_direction(
        self,
        k: Any,
        xp: Any,
        inp: Any,
        run: dict,
        layer: int,
        d: int,
        dy: Any,
        dh_n: Any,
        dc_n: Any,
        valid: Any,
    ) -> tuple[Any, dict]:
        """The time loop backward for one (layer, direction); accumulates its weight gradients and returns
        (dL/d(input-side pre-activations) (T, N, G·H), the loop's results)."""
        t, n, f = inp.shape
        rev, rec, bptt = d == 1, self.record, self.bptt
        w_hh = self.p("weight_hh", layer, d)
        if self.cell == "lstm":
            w_hr = self.p("weight_hr", layer, d)
            grads = k.lstm_backward(run, dy, dh_n, dc_n, w_hh.value, w_hr=None if w_hr is None else w_hr.value,
                                    peep=self._peep(xp, layer, d), valid=valid, reverse=rev, bptt=bptt,
                                    record=rec)  # fmt: skip
            dg_in = dg_hh = grads["dgates"]
            if w_hr is not None:
                w_hr.grad += grads["dh_proj"].reshape(t * n, -1).T @ run["m"].reshape(t * n, -1)
            if self.peephole:
                h = self.hidden_size
                for j, (name, c) in enumerate(zip(PEEPHOLES, (run["c_in"], run["c_in"], run["c_out"]))):
                    col = (0, 1, 3)[j]  # V_i with gate i, V_f with f, V_o with o
                    self.p(name, layer, d).grad += (dg_in[:, :, col * h : (col + 1) * h] * c).sum(axis=(0, 1))
        elif self.cell == "gru":
            grads = k.gru_backward(run, dy, dh_n, w_hh.value, valid=valid, reverse=rev, bptt=bptt, record=rec)
            dg_in, dg_hh = grads["dgx"], grads["dgh"]
        else:
            relu = self.nonlinearity == "relu"
            grads = k.rnn_backward(run, dy, dh_n, w_hh.value, relu=relu, valid=valid, reverse=rev, bptt=bptt,
                                   record=rec)  # fmt: skip
            dg_in = dg_hh = grads["dpre"]
        # Σ_t over all steps at once: dW = Σ_t dG_tᵀ·[x_t | h_{t−1}], one matmul when both sides share dG
        g2_in, g2_hh = dg_in.reshape(t * n, -1), dg_hh.reshape(t * n, -1)
        x2, h2 = inp.reshape(t * n, f), xp.ascontiguousarray(run["h_in"]).reshape(t * n, -1)
        if dg_hh is dg_in:
            both = k.matmul_tn(xp.concatenate([x2, h2], axis=1), g2_in)  # (F + H_r, G·H)
            self.p("weight_ih", layer, d).grad += both[:f].T
            w_hh.grad += both[f:].T
        else:
            self.p("weight_ih", layer, d).grad += k.matmul_tn(x2, g2_in).T
            w_hh.grad += k.matmul_tn(h2, g2_hh).T
        if self.has_bias:
            ones = xp.ones(t * n, dtype=dg_in.dtype)
            sum_in = ones @ g2_in
            self.p("bias_ih", layer, d).grad += sum_in
            self.p("bias_hh", layer, d).grad += sum_in if dg_hh is dg_in else ones @ g2_hh
        if rec:
            self.grad_trace[(layer, d)] = {
                key: np.ascontiguousarray(backend_of(grads[key]).to_numpy(grads[key]).transpose(1, 0, 2))
                for key in ("dh", "dc")
                if key in grads
            }
        return dg_in, grads
