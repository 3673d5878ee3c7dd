"""The app's own messages, as dataclasses (Textual's Message supports them through __post_init__).

Training runs in a worker thread; it talks to the trainer screen only through these
(posting a message is thread-safe), so the UI thread never touches the live model.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from cnntool.tui.training import Update


@dataclass
class TrainingProgress(Message):
    """New curve points, the rate, and maybe fresh filters and feature maps."""

    update: Update


@dataclass
class TrainingEnded(Message):
    """The run is over: `finished` (all epochs) or stopped; `saved` is the checkpoint written, if any;
    `error` says why it failed, if it did."""

    finished: bool
    saved: str = ""
    error: str = ""
