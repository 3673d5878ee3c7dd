"""`cnntool train`: train a network on a dataset from the shell, with live progress, a run folder and resume.

Thin shell over `cnntool.training`: it turns options into a RunConfig, draws the session's events
(cnntool/views/training.py) and writes the run folder after every epoch. Nothing heavy is
imported at module level (numpy and the engine load inside the command).
"""

from __future__ import annotations

import json
import signal
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from cnntool.cli._common import EXIT_BAD_INPUT, console, fail, handle_errors
from cnntool.cli._device import DeviceOpt, resolve_device_option

app = typer.Typer()

EXIT_INTERRUPTED = 130

Optimizer = Literal["sgd", "adam", "adamw", "rmsprop"]
Schedule = Literal["constant", "step", "cosine"]


class Augment(str, Enum):
    """Augmentations of image batches (cnntool.data.transforms)."""

    shift = "shift"
    flip = "flip"
    crop = "crop"
    noise = "noise"


Dtype = Literal["float32", "float64"]

TRAINING_OPTIONS = ("data", "text", "optim", "lr", "momentum", "weight_decay", "schedule", "clip", "batch",
                    "seed", "val_split", "augment", "dtype", "limit", "out", "force")  # fmt: skip


class StopFlag:
    """Ctrl-C sets the flag; the training loop stops between two steps and the run is saved.
    A second Ctrl-C interrupts at once (the files of the last finished epoch stay)."""

    def __init__(self) -> None:
        self.stop = False
        self._previous: Any = None

    def __call__(self) -> bool:
        return self.stop

    def _handler(self, signum: int, frame: Any) -> None:
        if self.stop:
            raise KeyboardInterrupt
        self.stop = True

    def __enter__(self) -> StopFlag:
        self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)


def _plain_json(value: Any) -> Any:
    """NaN and infinities (a diverged validation loss) become null: JSON has no word for them."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {k: _plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_json(v) for v in value]
    return value


def _emit(record: dict[str, Any]) -> None:
    typer.echo(json.dumps(_plain_json(record), ensure_ascii=False, allow_nan=False))


def _config(spec: str, options: dict[str, Any]) -> Any:
    from cnntool.training.config import RunConfig

    fields = {"spec": spec, "data": options["data"], "text_file": options["text"], "optim": options["optim"],
              "lr": options["lr"], "momentum": options["momentum"], "weight_decay": options["weight_decay"],
              "schedule": options["schedule"], "clip": options["clip"], "batch": options["batch"],
              "epochs": options["epochs"], "seed": options["seed"], "val_split": options["val_split"],
              "augment": tuple(a.value for a in options["augment"] or ()), "dtype": options["dtype"], "limit": options["limit"]}  # fmt: skip
    return RunConfig(**{k: v for k, v in fields.items() if v is not None})


def _prepare(spec: str | None, resume: Path | None, options: dict[str, Any], quiet: bool,
             device: str = "cpu") -> tuple[Any, Any]:  # fmt: skip
    """(session, run folder): a new run, or the one in `resume` to continue (on any device). Bad input
    exits 2 here, before anything is written."""
    from cnntool.data.download import FetchError  # noqa: F401 - named in the docs of load_dataset
    from cnntool.training import data as run_data
    from cnntool.training.rundir import RunDir, next_free
    from cnntool.training.session import Session

    progress = None
    if not quiet and sys.stderr.isatty():
        from cnntool.cli.data import download_progress

        progress = download_progress()
    if resume is not None:
        given = [name for name in TRAINING_OPTIONS if options.get(name) not in (None, False, [], ())]
        if spec is not None or given:
            what = "the spec" if spec is not None else "--" + given[0].replace("_", "-")
            fail(f"--resume continues a run with its own settings; {what} cannot change (only --epochs can)")
        run = RunDir(resume).open_existing()
        config = run.read_config()
        if options["epochs"] is not None:
            config = config.replace(epochs=options["epochs"])
        dataset = run_data.load_dataset(config, progress)
        session = Session.restore(config, run.last, dataset, device=device)
        if options["epochs"] is not None and options["epochs"] < session.epochs_done:
            fail(
                f"{resume} has finished {session.epochs_done} epochs already; --epochs must be at least that"
            )
        if session.finished:
            fail(f"{resume} has finished all {config.epochs} epochs; train on with --epochs "
                 f"{config.epochs + 5} (or more)")  # fmt: skip
        run.write_config(config, dataset.describe())
        return session, run
    if spec is None:
        fail(
            'give a network spec, e.g. cnntool train "1x9x9 | conv 4 k3 | relu | flatten | dense 2" --data xo'
        )
    if options["data"] is None:
        fail("name a dataset with --data (see: cnntool data list), e.g. --data xo")
    config = _config(spec, options)
    out = options["out"] or next_free(Path("runs"), run_data.resolve(config.data).name)
    run = RunDir.create(out, force=bool(options["force"]))
    dataset = run_data.load_dataset(config, progress)
    session = Session.start(config, dataset, device=device)
    session.config = config = config.replace(spec=session.model.spec)
    run.write_start(config, session.model.spec, dataset.describe())
    return session, run


def _start_record(session: Any, run: Any) -> dict[str, Any]:
    ds = session.dataset
    return {"event": "start", "run_dir": str(run.path), "spec": session.model.spec, "data": ds.name,
            "task": ds.task, "input_shape": list(ds.input_shape),
            "params": sum(int(p.value.size) for p in session.model.parameters()),
            "epochs": session.config.epochs, "first_epoch": session.epochs_done + 1,
            "train_samples": len(ds.x_train), "val_samples": len(ds.x_val),
            "config": session.config.to_json()}  # fmt: skip


def _end_record(session: Any, run: Any, status: str, message: str, confusion: Any) -> dict[str, Any]:
    last = session.history[-1] if session.history else None
    saved = run.model.is_file()
    return {"event": "end", "status": status, "epochs_completed": session.epochs_done,
            "val_loss": last.val_loss if last else None, "val_accuracy": last.val_accuracy if last else None,
            "model": str(run.model) if saved else None, "last": str(run.last) if run.last.is_file() else None,
            "confusion": confusion.to_json() if confusion is not None else None, "message": message}  # fmt: skip


def _confusion(session: Any) -> Any:
    if session.dataset.num_classes is None or not session.history:
        return None
    from cnntool.training.metrics import confusion

    ds = session.dataset
    return confusion(session.model, ds.x_val, ds.y_val, ds.class_names, batch_size=session.config.batch)


def run_training(session: Any, run: Any, *, json_out: bool, quiet: bool, out: Any, show_compile: bool) -> int:
    """Train `session` to its last epoch, writing `run` after every epoch; returns the exit code.

    Also used by the demo (with run=None: nothing is written)."""
    import numpy as np

    from cnntool.engine.train import TrainingDiverged
    from cnntool.training.engine_setup import warm_up
    from cnntool.views.training import TrainingBars, epoch_line

    if show_compile and out is not None:
        with out.status("preparing the engine: compiling its kernels, once (the first run after installing "
                        "takes up to a minute)", spinner="dots"):  # fmt: skip
            warm_up(session)
    else:
        warm_up(session)
    live = out is not None and out.is_terminal and not quiet and not json_out
    status, message, stopped_at = "finished", "", None
    bars = (
        TrainingBars(out, session.config.epochs, session.epochs_done + 1, session.cursor.seen)
        if live
        else None
    )
    try:
        with StopFlag() as flag, np.errstate(all="ignore"):
            if bars:
                bars.__enter__()
            try:
                for event in session.train(flag):
                    if bars:
                        bars.update(event)
                    if event.kind == "epoch":
                        record = session.history[-1]
                        if run is not None:
                            run.write_epoch(session)
                        if json_out:
                            _emit({"event": "epoch", "epochs": session.config.epochs, **record.to_json()})
                        elif bars:
                            bars.print(epoch_line(record, session.config.epochs))
                        elif out is not None and not quiet:
                            out.print(epoch_line(record, session.config.epochs))
                    elif event.kind == "stopped":
                        status, stopped_at = "interrupted", event
            finally:
                if bars:
                    bars.__exit__(None, None, None)
    except TrainingDiverged as error:
        kept = session.epochs_done
        where = (f"the files of epoch {kept} are kept in {run.path}" if run is not None and kept
                 else "nothing was saved")  # fmt: skip
        message = f"{error}; {where}"
        if json_out:
            _emit(_end_record(session, run, "diverged", message, None) if run is not None else {})
        typer.echo(f"error: {message}", err=True)
        return EXIT_BAD_INPUT
    if stopped_at is not None:
        if run is not None:
            run.write_epoch(session)
        c = stopped_at.cursor
        message = (f"interrupted at epoch {c.epoch}, batch {c.step} of {stopped_at.steps_per_epoch}"
                   + (f"; saved {run.last}; continue with: cnntool train --resume {run.path}" if run else ""))  # fmt: skip
    if run is not None:
        conf = _confusion(session) if status == "finished" else None
        if json_out:
            _emit(_end_record(session, run, status, message, conf))
        elif not quiet and out is not None:
            _summary(session, run, conf, out)
        elif quiet and status == "finished":
            last = session.history[-1]
            acc = f", val accuracy {100 * last.val_accuracy:.1f} %" if last.val_accuracy is not None else ""
            typer.echo(f"{run.model}: {session.epochs_done} epochs, val loss {last.val_loss:.4f}{acc}")
    if status == "interrupted":
        typer.echo(message, err=True)
        return EXIT_INTERRUPTED
    return 0


def _summary(session: Any, run: Any, conf: Any, out: Any) -> None:
    from cnntool.views.training import confusion_view, curves, epoch_table

    out.print(epoch_table(session.history, title="epochs"))
    if len(session.history) > 1:
        out.print(curves({"": session.history}, "both" if conf is not None else "loss"))
    if conf is not None and len(conf.class_names) <= 12:
        out.print(confusion_view(conf))
    out.print(f"saved {run.model} (and {run.last.name} to resume); metrics in {run.file('metrics.csv')}")
    hint = "--image @picture.png" if session.dataset.x_train.ndim == 4 else "--image @input.npy"
    out.print(f"next: cnntool predict {run.model} {hint}" +
              (f" · cnntool filters {run.model}" if session.dataset.x_train.ndim == 4 else ""), highlight=False)  # fmt: skip


@app.command()
@handle_errors
def train(
    spec: Annotated[
        str | None,
        typer.Argument(
            help="The network: spec text, a zoo name (lenet5) or a file. Its input must be the dataset's "
            "sample shape (cnntool data list shows it).",
            show_default=False,
        ),
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            "-d",
            help="Dataset name (cnntool data list): xo, "
            "shapes, digits, mnist, fashion-mnist, cifar10, sine, adding, copy, parity, text.",
            show_default=False,
        ),
    ] = None,
    text: Annotated[
        Path | None,
        typer.Option(
            "--text",
            help="The UTF-8 text file the text dataset learns from (next-character prediction).",
            show_default=False,
        ),
    ] = None,
    optim: Annotated[
        Optimizer | None,
        typer.Option(
            "--optim",
            case_sensitive=False,
            help="Optimizer (torch.optim's update rules).  [default: adam]",
            show_default=False,
        ),
    ] = None,
    lr: Annotated[
        float | None,
        typer.Option(
            "--lr",
            min=0.0,
            max=1000.0,
            help="Learning rate.  [default: sgd 0.01, adam 0.001, adamw 0.001, rmsprop 0.01]",
            show_default=False,
        ),
    ] = None,
    momentum: Annotated[
        float | None,
        typer.Option(
            "--momentum",
            min=0.0,
            max=0.999999,
            help="Momentum of sgd and rmsprop.  [default: 0]",
            show_default=False,
        ),
    ] = None,
    weight_decay: Annotated[
        float | None,
        typer.Option(
            "--weight-decay",
            min=0.0,
            max=10.0,
            help="L2 weight decay (decoupled for adamw).  [default: 0]",
            show_default=False,
        ),
    ] = None,
    schedule: Annotated[
        Schedule | None,
        typer.Option(
            "--schedule",
            case_sensitive=False,
            help="Learning-rate schedule: step (×0.1 every third of the epochs) or cosine (to 0).  "
            "[default: constant]",
            show_default=False,
        ),
    ] = None,
    clip: Annotated[
        float | None,
        typer.Option(
            "--clip",
            min=0.0,
            help="Clip the gradient norm to this (the cure for exploding gradients).",
            show_default=False,
        ),
    ] = None,
    batch: Annotated[
        int | None,
        typer.Option(
            "--batch", "-b", min=1, max=65536, help="Mini-batch size.  [default: 32]", show_default=False
        ),
    ] = None,
    epochs: Annotated[
        int | None,
        typer.Option(
            "--epochs",
            "-e",
            min=1,
            max=10000,
            help="Epochs to train (with --resume: the new total).  [default: 5]",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            min=0,
            help="Seed of every random choice: weights, split, order, dropout, augmentation.  [default: 0]",
            show_default=False,
        ),
    ] = None,
    val_split: Annotated[
        float | None,
        typer.Option(
            "--val-split",
            min=0.0,
            max=0.9,
            help="Fraction held out for validation.  [default: the dataset's own split]",
            show_default=False,
        ),
    ] = None,
    augment: Annotated[
        list[Augment] | None,
        typer.Option(
            "--augment",
            case_sensitive=False,
            help="Augment image batches (repeat for several): shift, flip, crop, noise.",
            show_default=False,
        ),
    ] = None,
    dtype: Annotated[
        Dtype | None,
        typer.Option("--dtype", help="Floating-point precision.  [default: float32]", show_default=False),
    ] = None,
    device: DeviceOpt = None,
    threads: Annotated[
        int | None,
        typer.Option(
            "--threads",
            min=1,
            max=1024,
            help="CPU threads of the engine's kernels.  [default: all cores]",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=1,
            help="Use at most N training (and validation) samples, for a quick try.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="The run folder to write.  [default: runs/<dataset>-<n>]",
            show_default=False,
            file_okay=False,
        ),
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(
            "--resume",
            help="Continue the run in this folder from its "
            "last checkpoint (exactly as if it had not stopped).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the earlier run in --out.")] = False,
    json_out: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON object a line (start, each epoch, "
            "end) for scripts; see docs/schemas/train.schema.json.",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the final line.")] = False,
) -> None:
    """Train a network on a dataset, with live progress; every epoch is saved in a run folder.

    The loss follows the dataset (cross-entropy for classes, MSE for regression). After every epoch
    DIR/model.npz (for predict, filters, export) and DIR/last.npz (for --resume) are written
    atomically, with DIR/metrics.csv. Ctrl-C saves and exits 130; --resume continues bit for bit.

    Examples:
      cnntool train "1x9x9 | conv 4 k3 | relu | maxpool 2 ceil=true | flatten | dense 2" --data xo --epochs 10
      cnntool train lenet5 --data fashion-mnist --epochs 3 --batch 64 --optim sgd --lr 0.05 --momentum 0.9 --out runs/lenet
      cnntool train "50x2 | lstm 32 return_sequences=false | dense 1" --data adding --epochs 20 --clip 1
      cnntool train "1x16x16 | conv 8 k3 p1 | relu | maxpool 2 | flatten | dense 6" --data shapes --augment shift
      cnntool train --resume runs/lenet --epochs 5
      cnntool train lenet5 --data mnist --limit 2000 --json
      cnntool train lenet5 --data fashion-mnist --device gpu
    """
    options = {"data": data, "text": text, "optim": optim, "lr": lr, "momentum": momentum,
               "weight_decay": weight_decay, "schedule": schedule, "clip": clip, "batch": batch, "epochs": epochs,
               "seed": seed, "val_split": val_split, "augment": augment, "dtype": dtype, "limit": limit,
               "out": out, "force": force}  # fmt: skip
    if lr is not None and lr <= 0:
        fail("--lr must be greater than 0")
    if clip is not None and clip <= 0:
        fail("--clip must be greater than 0")
    options["text"] = str(text) if text is not None else None
    if threads is not None:
        from cnntool.training.engine_setup import set_threads

        set_threads(threads)
    session, run = _prepare(spec, resume, options, quiet or json_out, resolve_device_option(device))
    out_console = None if json_out else console()
    if json_out:
        _emit(_start_record(session, run))
    elif not quiet:
        ds = session.dataset
        params = sum(int(p.value.size) for p in session.model.parameters())
        verb = "continuing" if session.epochs_done or session.cursor.step else "training"
        out_console.print(f"{verb} {params:,} parameters on {ds.name} ({len(ds.x_train):,} train / "
                          f"{len(ds.x_val):,} val samples of {ds.input_spec}) for {session.config.epochs} epochs "
                          f"→ {run.path}", highlight=False)  # fmt: skip
    code = run_training(session, run, json_out=json_out, quiet=quiet, out=out_console,
                        show_compile=not quiet and not json_out)  # fmt: skip
    if code:
        raise typer.Exit(code)
