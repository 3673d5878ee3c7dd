"""The remaining layer kinds against PyTorch: shapes and parameter counts."""

from __future__ import annotations

import pytest

from cnntool.arith import summarize

pytestmark = pytest.mark.torch


def _check(torch, spec: str, module, x) -> None:
    s = summarize(spec)
    with torch.no_grad():
        out = module(x)
    if isinstance(out, tuple):
        out = out[0]
    assert tuple(out.shape[1:]) == s.output_shape, spec
    assert sum(p.numel() for p in module.parameters()) == s.total_params, spec


def test_depthwise_with_multiplier(torch) -> None:
    _check(
        torch, "3x9x9 | dwconv 2 k3 s2 p1", torch.nn.Conv2d(3, 6, 3, 2, 1, groups=3), torch.zeros(1, 3, 9, 9)
    )


def test_conv1d_and_pool1d(torch) -> None:
    nn = torch.nn
    model = nn.Sequential(nn.Conv1d(4, 8, 5, 2, 1), nn.MaxPool1d(3, 2, ceil_mode=True), nn.AvgPool1d(2))
    _check(torch, "4x50 | conv 8 k5 s2 p1 | maxpool 3 s2 ceil=true | avgpool 2", model, torch.zeros(1, 4, 50))


def test_conv_transpose_1d(torch) -> None:
    _check(torch, "4x7 | convT 2 k4 s2 p1", torch.nn.ConvTranspose1d(4, 2, 4, 2, 1), torch.zeros(1, 4, 7))


def test_embedding_then_lstm(torch) -> None:
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb, self.rnn = nn.Embedding(1000, 16), nn.LSTM(16, 8, batch_first=True)

        def forward(self, x):
            return self.rnn(self.emb(x))[0]

    _check(torch, "12 | embedding 1000 16 | lstm 8", Net(), torch.zeros(1, 12, dtype=torch.long))


def test_layernorm_batchnorm_upsample_adaptive(torch) -> None:
    nn = torch.nn
    model = nn.Sequential(
        nn.BatchNorm2d(3), nn.Upsample(scale_factor=2), nn.AdaptiveAvgPool2d((5, 3)), nn.LayerNorm([5, 3])
    )
    _check(
        torch,
        "3x7x6 | batchnorm | upsample 2 | adaptiveavgpool 5x3 | layernorm dims=2",
        model.eval(),
        torch.zeros(1, 3, 7, 6),
    )


def test_dense_on_a_sequence_acts_per_step(torch) -> None:
    _check(torch, "5x7 | dense 3", torch.nn.Linear(7, 3), torch.zeros(1, 5, 7))
