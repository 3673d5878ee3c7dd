"""`cnntool conv`, `cnntool pool`, `cnntool convT`: step through the operations cell by cell.

Thin shell: parse the option strings, build a request, `cnntool.explain.run_*`
it, then print `--json` or the renderable of `cnntool.views`. Bad input exits 2
with one message on stderr, never a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from cnntool.cli._common import JsonOpt
from cnntool.cli.conv_common import (
    FLAGS,
    AtOpt,
    BackwardOpt,
    DecimalsOpt,
    DilationOpt,
    ImageOpt,
    ListOpt,
    StepsOpt,
    StrideOpt,
    TruncateOpt,
    check_digits,
    guarded,
    is_ones,
    list_samples_or_json,
    need,
    parse_scalar,
    show,
)
from cnntool.errors import CnnToolError

if TYPE_CHECKING:  # annotations only
    from cnntool.numbers import Grid

app = typer.Typer(help="Convolution, pooling and transposed convolution, cell by cell.")


def _conv_dout(text: str, filters: int) -> tuple[Grid, ...] | None:
    """`ones` → None (the core's default); else one single-channel matrix per filter."""
    from cnntool.explain.matrix import parse_filters, parse_matrix

    if is_ones(text):
        return None
    if filters == 1 and "|" not in text:
        return (parse_matrix(text, "--dout"),)
    douts = parse_filters(text, "--dout")
    for n, tensor in enumerate(douts, start=1):
        if len(tensor) != 1:
            raise CnnToolError(
                f"--dout: filter {n}'s gradient has {len(tensor)} channels; give one matrix per filter."
            )
    return tuple(t[0] for t in douts)


@app.command("conv")
@guarded
def conv_command(
    image: ImageOpt = None,
    kernel: Annotated[
        str | None,
        typer.Option(
            "--kernel",
            "-k",
            show_default=False,
            help="Kernel like the image (one block per image channel), or a sample (diag, sobel-x, ...). "
            "Several filters, one output map each: separate them with '|' (\"1 0; 0 1 | 0 1; 1 0\"), "
            "list samples (diag,cross,antidiag), or put a line --- between them in a file.",
        ),
    ] = None,  # fmt: skip
    stride: StrideOpt = "1",
    padding: Annotated[
        str, typer.Option("--padding", "-p", help="Zero padding: 1, 1x2 (rows x columns), same, valid.")
    ] = "0",
    dilation: DilationOpt = "1",
    bias: Annotated[
        str,
        typer.Option(
            "--bias",
            "-b",
            help="Added to every output cell (after --normalize): one number, or one per filter (1,0,-1).",
        ),
    ] = "0",
    flip: Annotated[
        bool,
        typer.Option(
            "--flip",
            help="True convolution: rotate the kernel 180° first. Default is cross-correlation, as PyTorch's conv2d.",
        ),
    ] = False,
    normalize: Annotated[
        bool,
        typer.Option(
            "--normalize", help="Divide each sum by the window size (kh·kw·channels), as the X/O slides do."
        ),
    ] = False,
    steps: StepsOpt = False,
    at: AtOpt = None,
    backward: BackwardOpt = False,
    dout: Annotated[
        str,
        typer.Option(
            "--dout",
            help="Upstream gradient dL/dout for --backward: an H_out x W_out matrix (one per filter, separated "
            "by '|'), or 'ones'.",
        ),
    ] = "ones",
    as_matrix: Annotated[
        bool,
        typer.Option(
            "--as-matrix",
            help="Show the (out cells × in cells) matrix computing the same convolution (all filters' rows).",
        ),
    ] = False,
    shift: Annotated[
        str | None,
        typer.Option(
            "--shift",
            help="Shift the input by dy,dx and compare outputs (translation equivariance).",
            show_default=False,
        ),
    ] = None,
    decimals: DecimalsOpt = None,
    truncate: TruncateOpt = None,
    json_out: JsonOpt = False,
    list_samples: ListOpt = False,
) -> None:
    """Slide a kernel over an image and show each window, its products and its sum.

    Several channels: each step shows every channel's window, products and partial sum, then
    their total (+ bias). Several filters give several output maps; steps go filter by filter.

    Examples:

      cnntool conv --image "0 1 0 1; 0 1 0 1; 1 1 1 1; 0 -2 0 -2" --kernel halves --steps

      cnntool conv --image x --kernel diag --normalize --at 0,0

      cnntool conv --image x --kernel diag,cross,antidiag --normalize --truncate 2

      cnntool conv --image "1 2; 3 4;; 5 6; 7 8" --kernel "1 0; 0 1;; 1 1; 0 0 | 0 1; 1 0;; 0 0; 1 1" --at 0,0

      cnntool conv --image x --kernel diag --backward --dout ones
    """
    from cnntool.explain import ConvRequest, ConvSettings, run_conv
    from cnntool.explain.matrix import parse_filters, parse_tensor, shape
    from cnntool.explain.options import parse_index, parse_numbers, parse_padding, parse_pair

    if list_samples:
        list_samples_or_json(json_out)
        return
    check_digits(decimals, truncate)
    x = parse_tensor(need(image, "--image"), "--image")
    kernels = parse_filters(need(kernel, "--kernel"), "--kernel")
    s = parse_pair(stride, "--stride")
    d = parse_pair(dilation, "--dilation")
    biases = parse_numbers(bias, "--bias")
    settings = ConvSettings(
        stride=s,
        padding=parse_padding(padding, shape(kernels[0])[1:], d, s, "--padding"),
        dilation=d,
        bias=biases[0],
        flip=flip,
        normalize=normalize,
    )
    request = ConvRequest(
        x, kernels, settings, biases=biases,
        at=parse_index(at, "--at") if at is not None else None,
        backward=backward, dout=_conv_dout(dout, len(kernels)) if backward else None,
        as_matrix=as_matrix, shift=parse_index(shift, "--shift") if shift is not None else None, names=FLAGS,
    )  # fmt: skip
    report = run_conv(request)

    def view() -> Any:
        from cnntool.views.conv import Fmt, conv_view

        return conv_view(report, Fmt(decimals, truncate), steps)

    show(report, json_out, view)


@app.command("pool")
@guarded
def pool_command(
    image: ImageOpt = None,
    size: Annotated[str, typer.Option("--size", "-k", help="Window size: 2 or rows x columns (2x3).")] = "2",
    stride: Annotated[
        str | None,
        typer.Option("--stride", "-s", help="Stride (default: the window size).", show_default=False),
    ] = None,
    padding: Annotated[
        str, typer.Option("--padding", "-p", help="Padding (≤ size/2): -∞ for max, zeros for avg.")
    ] = "0",
    dilation: DilationOpt = "1",
    mode: Annotated[
        Literal["max", "avg"], typer.Option("--mode", "-m", case_sensitive=False, help="Pooling mode.")
    ] = "max",
    ceil: Annotated[
        bool,
        typer.Option(
            "--ceil", help="PyTorch ceil_mode: keep a last partial window (the lecture's 7x7 → 4x4)."
        ),
    ] = False,
    count_include_pad: Annotated[
        bool,
        typer.Option(
            "--count-include-pad/--no-count-include-pad",
            help="avg: count padding cells in the divisor (PyTorch's default).",
        ),
    ] = True,
    steps: StepsOpt = False,
    at: AtOpt = None,
    backward: BackwardOpt = False,
    dout: Annotated[
        str,
        typer.Option(
            "--dout",
            help="Upstream gradient for --backward: one matrix per channel (';;' between), or 'ones'.",
        ),
    ] = "ones",
    decimals: DecimalsOpt = None,
    truncate: TruncateOpt = None,
    json_out: JsonOpt = False,
    list_samples: ListOpt = False,
) -> None:
    """Pool each window (max or average) and show which cell wins or how the mean is taken.

    Example:

      cnntool pool --image @examples/feature.txt --size 2 --stride 2 --mode max --ceil --truncate 2
    """
    from cnntool.explain import PoolRequest, PoolSettings, run_pool
    from cnntool.explain.matrix import parse_tensor
    from cnntool.explain.options import parse_index, parse_pair

    if list_samples:
        list_samples_or_json(json_out)
        return
    check_digits(decimals, truncate)
    x = parse_tensor(need(image, "--image"), "--image")
    word = padding.strip().lower()
    if word == "same":
        raise CnnToolError("--padding same is not defined for pooling in PyTorch; give a number ≤ size/2.")
    pad = (0, 0) if word == "valid" else parse_pair(padding, "--padding", minimum=0)
    settings = PoolSettings(
        size=parse_pair(size, "--size"),
        stride=parse_pair(stride, "--stride") if stride is not None else None,
        padding=pad,
        dilation=parse_pair(dilation, "--dilation"),
        mode=mode.lower(),
        ceil=ceil,
        count_include_pad=count_include_pad,
    )
    request = PoolRequest(
        x, settings, at=parse_index(at, "--at") if at is not None else None, backward=backward,
        dout=parse_tensor(dout, "--dout") if backward and not is_ones(dout) else None, names=FLAGS,
    )  # fmt: skip
    report = run_pool(request)

    def view() -> Any:
        from cnntool.views.grid import Fmt
        from cnntool.views.pool import pool_view

        return pool_view(report, Fmt(decimals, truncate), steps)

    show(report, json_out, view)


@app.command("convT")
@guarded
def convt_command(
    image: ImageOpt = None,
    kernel: Annotated[
        str | None,
        typer.Option(
            "--kernel",
            "-k",
            show_default=False,
            help="Kernel like the image, one block per input channel (one output channel), or a sample.",
        ),
    ] = None,  # fmt: skip
    stride: StrideOpt = "1",
    padding: Annotated[
        str, typer.Option("--padding", "-p", help="Rows/columns cropped from each border: 1 or 1x2.")
    ] = "0",
    output_padding: Annotated[
        str,
        typer.Option(
            "--output-padding", help="Extra rows/columns at the bottom/right (< stride), as PyTorch."
        ),
    ] = "0",
    dilation: DilationOpt = "1",
    bias: Annotated[str, typer.Option("--bias", "-b", help="Added to every output cell.")] = "0",
    steps: StepsOpt = False,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Print only the stamp of input cell i,j (0-based).", show_default=False),
    ] = None,
    backward: BackwardOpt = False,
    dout: Annotated[
        str,
        typer.Option("--dout", help="Upstream gradient for --backward: an H_out x W_out matrix, or 'ones'."),
    ] = "ones",
    decimals: DecimalsOpt = None,
    truncate: TruncateOpt = None,
    json_out: JsonOpt = False,
    list_samples: ListOpt = False,
) -> None:
    """Transposed convolution: every input cell stamps a scaled copy of the kernel; overlaps add up.

    With --backward: dL/dx (the dout under each stamp times the kernel), dL/dW and dL/db,
    cell by cell with --steps.

    Example:

      cnntool convT --image "1 2; 3 4" --kernel "1 1; 1 1" --stride 2 --steps

      cnntool convT --image "1 2; 3 4" --kernel "1 1; 1 1" --stride 2 --backward --steps
    """
    from cnntool.explain import ConvTRequest, ConvTSettings, run_conv_transpose
    from cnntool.explain.matrix import parse_matrix, parse_tensor
    from cnntool.explain.options import parse_index, parse_pair

    if list_samples:
        list_samples_or_json(json_out)
        return
    check_digits(decimals, truncate)
    x = parse_tensor(need(image, "--image"), "--image")
    k = parse_tensor(need(kernel, "--kernel"), "--kernel")
    settings = ConvTSettings(
        stride=parse_pair(stride, "--stride"),
        padding=parse_pair(padding, "--padding", minimum=0),
        output_padding=parse_pair(output_padding, "--output-padding", minimum=0),
        dilation=parse_pair(dilation, "--dilation"),
        bias=parse_scalar(bias, "--bias"),
    )
    request = ConvTRequest(
        x, k, settings, at=parse_index(at, "--at") if at is not None else None, backward=backward,
        dout=parse_matrix(dout, "--dout") if backward and not is_ones(dout) else None, names=FLAGS,
    )  # fmt: skip
    report = run_conv_transpose(request)

    def view() -> Any:
        from cnntool.views.convt import convt_view
        from cnntool.views.grid import Fmt

        return convt_view(report, Fmt(decimals, truncate), steps)

    show(report, json_out, view)
