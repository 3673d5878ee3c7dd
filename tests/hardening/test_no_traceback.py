"""Class 2 of the hardening issue: bad input never gives a traceback.

The CLI answers every bad input with exit code 2 and one `error:` line; the library raises a
CnnToolError (an InputError is also a ValueError) with a message fit to show, never a raw
MemoryError, ZeroDivisionError or numba TypingError.
"""

from __future__ import annotations

import contextlib
import math
import string
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnntool.engine import build, fit, losses, optim
from cnntool.errors import CnnToolError, InputError
from tests.hardening.sandbox import assert_refused, run


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "model.npz"
    build("4 | dense 2").save(path)
    return path


def test_export_into_a_missing_folder(model_file: Path, tmp_path: Path) -> None:
    assert_refused(run(["export", str(model_file), "--out", str(tmp_path / "no" / "m.py")]), "does not exist")


def test_export_onto_a_folder(model_file: Path, tmp_path: Path) -> None:
    (tmp_path / "m.py").mkdir()
    assert_refused(
        run(["export", str(model_file), "--out", str(tmp_path / "m.py"), "--force"]), "is a directory"
    )
    assert not (tmp_path / "m.weights.npz").exists(), "nothing half-written"


def test_export_over_its_own_input(model_file: Path, tmp_path: Path) -> None:
    own = tmp_path / "net.weights.npz"
    own.write_bytes(model_file.read_bytes())
    before = own.read_bytes()
    assert_refused(run(["export", str(own), "--out", str(tmp_path / "net.py"), "--force"]), "would overwrite")
    assert own.read_bytes() == before


@pytest.mark.parametrize("path", ["/nonexistent/model.npz", "/dev/null", "/"])
def test_export_of_something_that_is_no_model(path: str, tmp_path: Path) -> None:
    assert_refused(run(["export", path, "--out", str(tmp_path / "o.py")]), path)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"batch_size": 0}, "batch_size must be a whole number ≥ 1"),
        ({"batch_size": 2.5}, "batch_size must be a whole number ≥ 1"),
        ({"epochs": -1}, "epochs must be a whole number ≥ 1"),
        ({"clip_norm": math.nan}, "clip_norm must be a positive number"),
    ],
)
def test_fit_refuses_bad_settings(kwargs: dict, fragment: str) -> None:
    model = build("4 | dense 2")
    x, y = np.zeros((8, 4), np.float32), np.zeros(8, np.int64)
    with pytest.raises(InputError, match=fragment):
        next(fit(model, x, y, optim.SGD(model.parameters()), rng=np.random.default_rng(0), **kwargs))


@pytest.mark.parametrize("lr", [math.nan, math.inf, -1.0, "fast", None])
def test_optimizers_refuse_a_learning_rate_that_is_not_a_finite_number(lr: object) -> None:
    model = build("4 | dense 2")
    for cls in (optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop):
        with pytest.raises(InputError, match="lr must be a finite number"):
            cls(model.parameters(), lr=lr)


@pytest.mark.parametrize(
    ("batch", "fragment"),
    [
        ([[1.0, 2.0, 3.0, 4.0]], "must be an array"),
        (np.zeros((0, 4)), "the batch is empty"),
        (np.zeros((2, 5)), "expected (N, 4)"),
        (np.array([["a", "b", "c", "d"]]), "is not numeric"),
        (np.array([[1.0, np.nan, 0.0, 0.0]]), "1 NaN or infinite"),
    ],
)
def test_forward_refuses_what_is_not_a_batch(batch: object, fragment: str) -> None:
    with pytest.raises(CnnToolError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        build("4 | dense 2").forward(batch, check=True)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_a_nan_loss_stops_training_naming_epoch_and_batch() -> None:
    model = build("4 | dense 2")
    x = np.ones((8, 4), np.float32)
    x[5] = np.inf  # batch 2 of batch size 4, in whatever order: the loss becomes NaN or inf
    events = fit(model, x, np.zeros(8, np.int64), optim.SGD(model.parameters(), lr=0.1), batch_size=4,
                 rng=np.random.default_rng(0), loss_fn=losses.cross_entropy)  # fmt: skip
    with pytest.raises(
        CnnToolError, match=r"the loss became (nan|inf) at epoch 1, batch [12]; .*Lower the learning rate"
    ):
        list(events)


SPEC_ALPHABET = string.ascii_lowercase[:8] + string.digits + " |[]*=x#-.\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=SPEC_ALPHABET + "kspdg", max_size=40).map(lambda t: "3x8x8 | " + t))
def test_random_specs_give_a_summary_or_a_spec_error(spec: str) -> None:
    """In-process (fast): whatever the text, the arithmetic answers or raises a CnnToolError."""
    from cnntool.arith import summarize

    with contextlib.suppress(CnnToolError):
        summarize(spec)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["conv", "dwconv 2", "convT 2", "maxpool", "avgpool", "dense", "lstm", "upsample"]),
    st.lists(
        st.sampled_from(
            [
                "k0",
                "k1",
                "k3",
                "k9",
                "s0",
                "s2",
                "s7",
                "p3",
                "psame",
                "pvalid",
                "d2",
                "d0",
                "g2",
                "g3",
                "ceil=true",
                "count_include_pad=false",
                "bias=false",
                "2",
                "3x5",
                "output_padding=1",
                "layers=2",
                "bidirectional",
            ]
        ),
        max_size=4,
    ),  # fmt: skip
    st.sampled_from(["3x8x8", "3x7", "8", "5x3", "1x1x1", "4x4x4"]),
)
def test_random_layer_options_give_a_summary_or_a_spec_error(
    kind: str, options: list[str], shape: str
) -> None:
    from cnntool.arith import summarize

    with contextlib.suppress(CnnToolError):
        summarize(f"{shape} | {kind} {' '.join(options)}")
