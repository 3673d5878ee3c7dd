"""A resumed run equals an uninterrupted one bit for bit: weights, optimizer state, data order, dropout
masks and augmentation all continue where they stopped (at an epoch's end or between two steps)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from cnntool.cli.app import app
from cnntool.engine.checkpoint import read
from cnntool.training.config import RunConfig
from cnntool.training.session import Session

# dropout (model generator), shift augmentation (augmentation generator), SGD momentum (optimizer state),
# a step schedule (scheduler state): each must be restored for the runs to agree.
SPEC = "1x9x9 | conv 4 k3 | relu | maxpool 2 ceil=true | flatten | dropout 0.3 | dense 2"
CONFIG = RunConfig(spec=SPEC, data="xo", optim="sgd", lr=0.05, momentum=0.9, epochs=4, augment=("shift",),
                   limit=200, batch=16)  # fmt: skip


def _train(session: Session, stop_after: int | None = None) -> None:
    count = [0]

    def stop() -> bool:
        count[0] += 1
        return stop_after is not None and count[0] > stop_after

    for _ in session.train(stop):
        pass


def _same_weights(a: Session, b: Session) -> None:
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert list(sa) == list(sb)
    for name in sa:
        assert np.array_equal(sa[name], sb[name]), name
    oa, ob = a.optimizer.state_dict(), b.optimizer.state_dict()
    for name in oa:
        assert np.array_equal(oa[name], ob[name]), name


def _losses(session: Session) -> list[tuple]:
    return [(r.epoch, r.loss, r.accuracy, r.val_loss, r.val_accuracy, r.lr) for r in session.history]


@pytest.fixture(scope="module")
def uninterrupted() -> Session:
    session = Session.start(CONFIG.replace(schedule="step"))
    _train(session)
    return session


@pytest.mark.parametrize("stop_after", [13, 26, 30])  # mid-epoch 2, the end of epoch 2, mid-epoch 3
def test_stopping_between_steps_and_resuming_is_bit_for_bit(uninterrupted, stop_after, tmp_path) -> None:
    config = CONFIG.replace(schedule="step")
    first = Session.start(config)
    _train(first, stop_after)
    assert not first.finished
    first.save(tmp_path / "last.npz")
    resumed = Session.restore(config, tmp_path / "last.npz")
    _train(resumed)
    _same_weights(resumed, uninterrupted)
    assert _losses(resumed) == _losses(uninterrupted)


def test_training_more_epochs_later_equals_training_them_at_once(tmp_path) -> None:
    at_once = Session.start(CONFIG)
    _train(at_once)
    two = Session.start(CONFIG.replace(epochs=2))
    _train(two)
    two.save(tmp_path / "last.npz")
    more = Session.restore(CONFIG, tmp_path / "last.npz")  # now 4 epochs in all
    _train(more)
    _same_weights(more, at_once)
    assert _losses(more) == _losses(at_once)


def test_the_check_can_fail_a_forgotten_dropout_generator_changes_the_result(tmp_path, uninterrupted) -> None:
    """Without restoring the dropout generator the continued run differs: the test above is not vacuous."""
    config = CONFIG.replace(schedule="step")
    first = Session.start(config)
    _train(first, 30)
    first.save(tmp_path / "last.npz")
    resumed = Session.restore(config, tmp_path / "last.npz")
    from cnntool.training.weights import generators

    (dropout_rng,) = generators(resumed.model)
    dropout_rng.bit_generator.state = np.random.default_rng(12345).bit_generator.state
    _train(resumed)
    differs = any(not np.array_equal(a, b) for a, b in zip(resumed.model.state_dict().values(),
                                                               uninterrupted.model.state_dict().values()))  # fmt: skip
    assert differs


def _arrays(path) -> dict[str, np.ndarray]:
    return read(path).state


def test_cli_resume_equals_an_uninterrupted_cli_run(tmp_path) -> None:
    runner = CliRunner()
    common = ["train", SPEC, "--data", "xo", "--optim", "sgd", "--lr", "0.05", "--momentum", "0.9",
              "--augment", "shift", "--limit", "200", "--batch", "16", "--json"]  # fmt: skip
    whole = runner.invoke(app, [*common, "--epochs", "3", "--out", str(tmp_path / "whole")])
    assert whole.exit_code == 0, whole.output
    part = runner.invoke(app, [*common, "--epochs", "1", "--out", str(tmp_path / "part")])
    assert part.exit_code == 0, part.output
    more = runner.invoke(app, ["train", "--resume", str(tmp_path / "part"), "--epochs", "3", "--json"])
    assert more.exit_code == 0, more.output
    start = json.loads(more.stdout.splitlines()[0])
    assert start["first_epoch"] == 2 and start["epochs"] == 3
    a, b = _arrays(tmp_path / "whole" / "model.npz"), _arrays(tmp_path / "part" / "model.npz")
    assert all(np.array_equal(a[k], b[k]) for k in a)
    rows = [line.split(",")[:6] for line in (tmp_path / "part" / "metrics.csv").read_text().splitlines()]
    assert rows == [
        line.split(",")[:6] for line in (tmp_path / "whole" / "metrics.csv").read_text().splitlines()
    ]
    assert len(rows) == 4  # header + 3 epochs
