"""`cnntool conv`, `cnntool pool`, `cnntool convT`: step through the operations cell by cell.

Thin shell: parse options, call `cnntool.explain`, render with `conv_render` or
print `--json`. Bad input exits 2 with one message on stderr, never a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from cnntool.cli._common import JsonOpt, fail, handle_errors, print_json
from cnntool.errors import CnnToolError
from cnntool.numbers import Number, parse_number

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(help="Convolution, pooling and transposed convolution, cell by cell.")


def guarded(func: F) -> F:
    """`handle_errors` plus a last guard: an unexpected exception is one message, exit 2."""
    inner = handle_errors(func)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return inner(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except Exception as error:  # a bug must not show a student a traceback
            fail(
                f"could not process this input ({type(error).__name__}: {error}); please report it as a bug."
            )

    return wrapper  # type: ignore[return-value]


def parse_scalar(text: str, what: str) -> Number:
    """A single number such as `1`, `-1/2` or `0.5`."""
    value = parse_number(text)
    if value is None:
        raise CnnToolError(f"{what}: {text!r} is not a number (integer, decimal or fraction like -1/2).")
    return value


def check_digits(decimals: int | None, truncate: int | None) -> None:
    """--decimals and --truncate exclude each other and must be 0..15."""
    if decimals is not None and truncate is not None:
        raise CnnToolError("give either --decimals (round) or --truncate (chop, as the slides do), not both.")
    for name, value in (("--decimals", decimals), ("--truncate", truncate)):
        if value is not None and not 0 <= value <= 15:
            raise CnnToolError(f"{name} must be between 0 and 15; got {value}.")


ImageOpt = Annotated[
    str | None,
    typer.Option(
        "--image", "-i", show_default=False,
        help="Rows separated by ';' (channels by ';;'), @file (.txt or .npy), or a sample name (x, o; see --list).",
    ),
]  # fmt: skip
KernelOpt = Annotated[
    str | None,
    typer.Option(
        "--kernel", "-k", show_default=False, help="Kernel like the image, or a sample (diag, sobel-x, ...)."
    ),
]
StrideOpt = Annotated[str, typer.Option("--stride", "-s", help="Stride: 2 or rows x columns (2x1).")]
DilationOpt = Annotated[str, typer.Option("--dilation", "-d", help="Dilation: 1 (none), 2, or 2x1.")]
StepsOpt = Annotated[bool, typer.Option("--steps", help="Print every step, cell by cell.")]
AtOpt = Annotated[
    str | None,
    typer.Option("--at", help="Print only the step for output cell i,j (0-based).", show_default=False),
]
DecimalsOpt = Annotated[
    int | None,
    typer.Option("--decimals", help="Round to N decimals (default: exact fractions).", show_default=False),
]
TruncateOpt = Annotated[
    int | None,
    typer.Option(
        "--truncate", help="Chop to N decimals, as the lecture slides do (7/9 → 0.77).", show_default=False
    ),
]
ListOpt = Annotated[bool, typer.Option("--list", help="Show the named sample images and kernels, then exit.")]
BackwardOpt = Annotated[
    bool, typer.Option("--backward", help="Also step through the backward pass (gradients).")
]
DoutOpt = Annotated[
    str,
    typer.Option(
        "--dout", help="Upstream gradient dL/dout for --backward: a matrix like the image, or 'ones'."
    ),
]


def _need(value: str | None, name: str) -> str:
    if value is None or not value.strip():
        raise CnnToolError(f'{name} is required, e.g. {name} "1 2; 3 4" (see --list for named samples).')
    return value


@app.command("conv")
@guarded
def conv_command(
    image: ImageOpt = None,
    kernel: KernelOpt = None,
    stride: StrideOpt = "1",
    padding: Annotated[
        str, typer.Option("--padding", "-p", help="Zero padding: 1, 1x2 (rows x columns), same, valid.")
    ] = "0",
    dilation: DilationOpt = "1",
    bias: Annotated[
        str, typer.Option("--bias", "-b", help="Added to every output cell (after --normalize).")
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
    dout: DoutOpt = "ones",
    as_matrix: Annotated[
        bool,
        typer.Option(
            "--as-matrix", help="Show the (out cells × in cells) matrix computing the same convolution."
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

    Examples:

      cnntool conv --image "0 1 0 1; 0 1 0 1; 1 1 1 1; 0 -2 0 -2" --kernel halves --steps

      cnntool conv --image x --kernel diag --normalize --at 0,0

      cnntool conv --image x --kernel diag --backward --dout ones
    """
    from cnntool.cli import conv_views as views
    from cnntool.explain import as_matrix as am
    from cnntool.explain.conv import ConvSettings, conv2d, conv2d_backward, conv_step
    from cnntool.explain.matrix import parse_matrix, parse_tensor, shape
    from cnntool.explain.options import parse_index, parse_padding, parse_pair

    if list_samples:
        views.show_samples(json_out)
        return
    check_digits(decimals, truncate)
    x = parse_tensor(_need(image, "--image"), "--image")
    k = parse_tensor(_need(kernel, "--kernel"), "--kernel")
    s = parse_pair(stride, "--stride")
    d = parse_pair(dilation, "--dilation")
    settings = ConvSettings(
        stride=s,
        padding=parse_padding(padding, shape(k)[1:], d, s),
        dilation=d,
        bias=parse_scalar(bias, "--bias"),
        flip=flip,
        normalize=normalize,
    )
    result = conv2d(x, k, settings)
    chosen = None
    if at is not None:
        i, j = parse_index(at, "--at")
        chosen = [conv_step(result.plan, i, j)]
    grads = None
    if backward:
        g = (
            views.ones_like(result.plan.out_shape)
            if dout.strip().lower() == "ones"
            else parse_matrix(dout, "--dout")
        )
        grads = (g, conv2d_backward(result.plan, g))
    matrix = am.conv_as_matrix(x, k, settings) if as_matrix else None
    shifted = (
        am.shift_equivariance(x, k, settings, *parse_index(shift, "--shift")) if shift is not None else None
    )
    views.warn(result.plan.warnings)
    if json_out:
        print_json(views.conv_data(result, chosen, grads, matrix, shifted))
        return
    views.show_conv(result, chosen, steps, grads, matrix, shifted, views.Fmt(decimals, truncate))


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
    mode: Annotated[str, typer.Option("--mode", "-m", help="max or avg.")] = "max",
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
    dout: DoutOpt = "ones",
    decimals: DecimalsOpt = None,
    truncate: TruncateOpt = None,
    json_out: JsonOpt = False,
    list_samples: ListOpt = False,
) -> None:
    """Pool each window (max or average) and show which cell wins or how the mean is taken.

    Example:

      cnntool pool --image @examples/feature.txt --size 2 --stride 2 --mode max --ceil --truncate 2
    """
    from cnntool.cli import conv_views as views
    from cnntool.cli import pool_views
    from cnntool.explain.matrix import parse_tensor
    from cnntool.explain.options import parse_index, parse_pair
    from cnntool.explain.pool import PoolSettings, pool2d, pool2d_backward, pool_step

    if list_samples:
        views.show_samples(json_out)
        return
    check_digits(decimals, truncate)
    x = parse_tensor(_need(image, "--image"), "--image")
    word = padding.strip().lower()
    if word in ("same", "valid"):
        pad = (0, 0) if word == "valid" else None
        if pad is None:
            raise CnnToolError(
                "--padding same is not defined for pooling in PyTorch; give a number ≤ size/2."
            )
    else:
        pad = parse_pair(padding, "--padding", minimum=0)
    settings = PoolSettings(
        size=parse_pair(size, "--size"),
        stride=parse_pair(stride, "--stride") if stride is not None else None,
        padding=pad,
        dilation=parse_pair(dilation, "--dilation"),
        mode=mode.strip().lower(),
        ceil=ceil,
        count_include_pad=count_include_pad,
    )
    result = pool2d(x, settings)
    views.warn(result.plan.warnings)
    chosen = None
    if at is not None:
        i, j = parse_index(at, "--at")
        chosen = [pool_step(result.plan, ch, i, j) for ch in range(len(x))]
    grads = None
    if backward:
        if dout.strip().lower() == "ones":
            g = tuple(views.ones_like(result.plan.out_shape) for _ in x)
        else:
            g = parse_tensor(dout, "--dout")
        grads = (g, pool2d_backward(result.plan, g))
    if json_out:
        print_json(pool_views.pool_data(result, chosen, grads))
        return
    pool_views.show_pool(result, chosen, steps, grads, views.Fmt(decimals, truncate))


@app.command("convT")
@guarded
def convt_command(
    image: ImageOpt = None,
    kernel: KernelOpt = None,
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
    decimals: DecimalsOpt = None,
    truncate: TruncateOpt = None,
    json_out: JsonOpt = False,
    list_samples: ListOpt = False,
) -> None:
    """Transposed convolution: every input cell stamps a scaled copy of the kernel; overlaps add up.

    Example:

      cnntool convT --image "1 2; 3 4" --kernel "1 1; 1 1" --stride 2 --steps
    """
    from cnntool.cli import conv_views as views
    from cnntool.cli import pool_views
    from cnntool.explain.conv_transpose import ConvTSettings, conv_transpose2d
    from cnntool.explain.matrix import parse_tensor
    from cnntool.explain.options import parse_index, parse_pair

    if list_samples:
        views.show_samples(json_out)
        return
    check_digits(decimals, truncate)
    x = parse_tensor(_need(image, "--image"), "--image")
    k = parse_tensor(_need(kernel, "--kernel"), "--kernel")
    settings = ConvTSettings(
        stride=parse_pair(stride, "--stride"),
        padding=parse_pair(padding, "--padding", minimum=0),
        output_padding=parse_pair(output_padding, "--output-padding", minimum=0),
        dilation=parse_pair(dilation, "--dilation"),
        bias=parse_scalar(bias, "--bias"),
    )
    result = conv_transpose2d(x, k, settings)
    chosen = None
    if at is not None:
        i, j = parse_index(at, "--at")
        h, w = len(x[0]), len(x[0][0])
        if not (0 <= i < h and 0 <= j < w):
            raise CnnToolError(
                f"--at {i},{j} is outside the {h}x{w} input; rows go 0..{h - 1}, columns 0..{w - 1}."
            )
        chosen = [st for st in result.steps if st.at == (i, j)]
    if json_out:
        print_json(pool_views.convt_data(result, chosen))
        return
    pool_views.show_convt(result, chosen, steps, views.Fmt(decimals, truncate))
