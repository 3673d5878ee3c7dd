"""What the explainers' error messages call each input.

The core is shared by the command line, the TUI and the homework checker, and
each names things differently (`--padding`, a form field, `padding = 1` in an
answer file). So the core never writes a flag name itself: the caller passes a
`Names`, and the defaults are plain words a student understands anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Names:
    """The words used for each input in messages, e.g. "the kernel is larger than the padded image".

    `at` names an output cell chosen for a closer look ("cell 5,5 is outside ..."),
    `dout` the upstream gradient, `shift` the equivariance shift.
    """

    image: str = "image"
    kernel: str = "kernel"
    stride: str = "stride"
    padding: str = "padding"
    dilation: str = "dilation"
    bias: str = "bias"
    at: str = "cell"
    dout: str = "dout"
    shift: str = "shift"
    size: str = "window size"
    mode: str = "mode"
    ceil: str = "ceil mode"
    output_padding: str = "output padding"


PLAIN = Names()
