"""The stepper's form → an explainer request → a report, parsed exactly as `cnntool conv` / `pool` parse.

The same option parsers (cnntool.explain.options, cnntool.explain.matrix) and the same use
cases (run_conv, run_pool) as the command line, so the stepper's numbers are those of
`cnntool conv --steps`. No textual here: the screen passes the texts of its fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnntool.errors import CnnToolError
from cnntool.explain.names import Names

MODES = ("conv", "max", "avg")
#: What the core's messages call each input: the stepper's field labels.
FIELDS = Names(image="image", kernel="kernel", stride="stride", padding="padding", dilation="dilation",
               size="window size", dout="dout")  # fmt: skip


@dataclass(frozen=True)
class Form:
    """The stepper's fields as typed (matrices in cnntool's syntax, a sample name or @file)."""

    mode: str = "conv"
    image: str = "x"
    kernel: str = "diag"
    size: str = "2"
    stride: str = "1"
    padding: str = "0"
    dilation: str = "1"
    normalize: bool = False
    flip: bool = False
    ceil: bool = False


def run(form: Form, as_matrix: bool = False, backward: bool = False):
    """The report (ConvReport or PoolReport) of the form; CnnToolError for a bad field."""
    from cnntool.explain.matrix import parse_filters, parse_tensor, shape
    from cnntool.explain.options import parse_padding, parse_pair

    if form.mode not in MODES:
        raise CnnToolError(f"mode: {form.mode!r} is not one of {', '.join(MODES)}")
    image = parse_tensor(form.image, FIELDS.image)
    dilation = parse_pair(form.dilation, FIELDS.dilation)
    if form.mode == "conv":
        from cnntool.explain import ConvRequest, ConvSettings, run_conv

        kernels = parse_filters(form.kernel, FIELDS.kernel)
        stride = parse_pair(form.stride, FIELDS.stride)
        padding = parse_padding(form.padding, shape(kernels[0])[1:], dilation, stride, FIELDS.padding)
        settings = ConvSettings(stride, padding, dilation, flip=form.flip, normalize=form.normalize)
        return run_conv(
            ConvRequest(image, kernels, settings, backward=backward, as_matrix=as_matrix, names=FIELDS)
        )
    from cnntool.explain import PoolRequest, PoolSettings, run_pool

    word = form.padding.strip().lower()
    if word == "same":
        raise CnnToolError("padding: 'same' is not defined for pooling in PyTorch; give a number ≤ size/2.")
    size = parse_pair(form.size, FIELDS.size)
    settings = PoolSettings(
        size=size,
        stride=parse_pair(form.stride, FIELDS.stride) if form.stride.strip() else None,
        padding=(0, 0) if word == "valid" else parse_pair(form.padding, FIELDS.padding, minimum=0),
        dilation=dilation,
        mode=form.mode,
        ceil=form.ceil,
    )
    return run_pool(PoolRequest(image, settings, backward=backward, names=FIELDS))
