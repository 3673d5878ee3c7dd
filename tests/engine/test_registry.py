"""The layer registry and the engine's seams: a new kind is one class plus one entry; state survives
repeated calls; integer inputs reach an embedding; the BLAS limit is scoped to engine calls."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cnntool.arith.hyper import ActivationHyper, EmbeddingHyper
from cnntool.engine import build, registry
from cnntool.engine.backend import backend_of
from cnntool.engine.gradcheck import check_layer
from cnntool.engine.layers.base import BuildContext, Layer, TorchCall
from cnntool.engine.layers.dense import Dense
from cnntool.errors import CnnToolError


class ToyELU(Layer):
    """A layer kind the engine does not ship: ELU, x if x > 0 else α(eˣ − 1), α = 1."""

    kind = "elu"
    kinds = ("elu",)

    @classmethod
    def from_hyper(cls, hyper: ActivationHyper, ctx: BuildContext) -> ToyELU:
        return cls()

    def torch_call(self) -> TorchCall:
        return TorchCall("nn.ELU")

    def forward(self, x, train=False):
        xp = backend_of(x).xp
        out = xp.where(x > 0, x, xp.expm1(xp.minimum(x, 0)))
        self._push(x, out)
        return out

    def backward(self, dout):
        x, out = self._pop()
        return dout * backend_of(dout).xp.where(x > 0, 1.0, out + 1.0)


@pytest.fixture
def elu_registered():
    registry.register(ToyELU)
    yield
    registry.unregister(ToyELU)


def test_an_unknown_kind_is_refused_with_the_list_of_kinds():
    with pytest.raises(CnnToolError, match=r"cannot train 'elu' layers yet \(it trains: .*conv.*dense"):
        build("4 | dense 3 | elu")


def test_a_new_kind_is_one_class_and_one_registry_entry(elu_registered, rng):
    model = build("4 | dense 3 | elu | dense 2", seed=0, dtype="float64")
    assert isinstance(model.layers[1], ToyELU)
    x = np.array([[-2.0, -0.5, 0.5, 2.0]])
    hidden = x @ model.layers[0].weight.value.T + model.layers[0].bias.value
    expected = np.where(hidden > 0, hidden, np.exp(hidden) - 1) @ model.layers[2].weight.value.T
    np.testing.assert_allclose(model.forward(x), expected + model.layers[2].bias.value)
    assert all(r.rel_error < 1e-7 for r in check_layer(model, rng.standard_normal((3, 4)), rng))


def test_the_new_kind_exports_through_its_torch_call(elu_registered, torch):
    from cnntool.engine.export import to_torch, torch_source

    model = build("4 | dense 3 | elu", seed=1, dtype="float64")
    assert "nn.ELU()" in torch_source(model)
    x = np.random.default_rng(0).standard_normal((5, 4))
    out = to_torch(model)(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(out, model.forward(x), rtol=1e-12)


class ToyLookup(Layer):
    """Integer ids → rows of a table (an embedding in miniature), to test integer inputs."""

    kind = "embedding"
    kinds = ("embedding",)
    accepts_integers = True

    def __init__(self, vocab: int, dim: int) -> None:
        super().__init__()
        self.weight = self._add_param("weight", np.arange(vocab * dim, dtype=np.float64).reshape(vocab, dim))

    @classmethod
    def from_hyper(cls, hyper: EmbeddingHyper, ctx: BuildContext) -> ToyLookup:
        return cls(hyper.num_embeddings, hyper.embedding_dim)

    def forward(self, x, train=False):
        assert x.dtype.kind == "i", "integer ids must reach the layer unchanged"
        self._push(x)
        return self.weight.value[x]

    def backward(self, dout):
        (ids,) = self._pop()
        np.add.at(self.weight.grad, ids, dout)
        return None


def test_integer_inputs_reach_a_layer_that_reads_integers():
    registry.register(ToyLookup)
    try:
        model = build("3 | embedding 10 2 | flatten", dtype="float64")
        ids = np.array([[9, 0, 4]])
        np.testing.assert_array_equal(model.forward(ids), [[18, 19, 0, 1, 8, 9]])
    finally:
        registry.unregister(ToyLookup)
    # without such a first layer, integers are numbers and become the model's dtype
    dense = build("3 | dense 1 bias=false", dtype="float64")
    assert dense.forward(np.array([[1, 2, 3]])).dtype == np.float64


def test_state_survives_a_layer_called_several_times_before_backward(rng):
    """An unrolled cell: the same weights used twice; backward in reverse gives the summed gradient."""
    layer = Dense(3, 3, bias=False, rng=rng, dtype="float64")
    w = layer.weight.value.copy()
    x = rng.standard_normal((2, 3))
    h1 = layer.forward(x, train=True)
    h2 = layer.forward(np.tanh(h1), train=True)
    assert layer.pending == 2
    g2 = np.ones_like(h2)
    g_mid = layer.backward(g2) * (1 - np.tanh(h1) ** 2)
    layer.backward(g_mid)
    expected = g2.T @ np.tanh(h1) + g_mid.T @ x  # dL/dW from both uses of W
    np.testing.assert_allclose(layer.weight.grad, expected)
    np.testing.assert_allclose(layer.weight.value, w)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(g2)


def test_a_conv_called_twice_keeps_both_calls_columns(rng):
    """The im2col buffer is reused across passes but never while a call still waits for backward."""
    model = build("2x6x6 | conv 2 k3 p1", dtype="float64", seed=0)
    conv = model.layers[0]
    a, b = rng.standard_normal((2, 2, 2, 6, 6))
    conv.forward(a, train=True)
    conv.forward(b, train=True)
    g = np.ones((2, 2, 6, 6))
    conv.backward(g)  # b's columns
    grad_b = conv.weight.grad.copy()
    conv.weight.grad[...] = 0
    conv.backward(g)  # a's columns, still intact
    grad_a = conv.weight.grad.copy()
    for x, grad in ((a, grad_a), (b, grad_b)):
        conv.weight.grad[...] = 0
        conv.clear_cache()
        conv.forward(x, train=True)
        conv.backward(g)
        np.testing.assert_allclose(grad, conv.weight.grad)


def test_importing_and_running_the_engine_leaves_the_blas_threads_alone():
    from threadpoolctl import threadpool_info

    def blas_threads() -> list[int]:
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    before = blas_threads()
    seen: list[list[int]] = []

    class Probe(ToyELU):
        def forward(self, x, train=False):
            seen.append(blas_threads())
            return super().forward(x, train)

    registry.register(Probe)
    try:
        model = build("4 | dense 3 | elu")
        model.forward(np.ones((2, 4)))
    finally:
        registry.unregister(Probe)
    assert blas_threads() == before
    assert seen and all(n == 1 for n in seen[-1]), "inside an engine call the BLAS runs on one thread"
    assert math.prod(before) >= 1
