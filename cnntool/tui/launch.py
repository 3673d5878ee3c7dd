"""What `cnntool tui` starts with, checked before the app (and textual) is imported.

Bad arguments must end in one `error:` line and exit 2 before a full-screen app
takes over the terminal, so every argument goes through the same core parsers the
app will use (spec source, explainer matrices, dataset catalogue) here first.
Nothing in this module imports textual, numpy or rich.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnntool.errors import CnnToolError, SpecError
from cnntool.text import excerpt

SCREENS = ("builder", "stepper", "trainer")
DEFAULT_SPEC = "lenet5"
DEFAULT_IMAGE = "x"
DEFAULT_KERNEL = "diag"
DEFAULT_DATA = "xo"


@dataclass(frozen=True)
class Launch:
    """The app's starting state: which screen, the spec text for the builder, the stepper's image and
    kernel (cnntool's matrix syntax, a sample name or @file), and the trainer's dataset."""

    screen: str = "builder"
    spec: str = ""
    spec_name: str = ""
    image: str = DEFAULT_IMAGE
    kernel: str = DEFAULT_KERNEL
    normalize: bool = False
    data: str = DEFAULT_DATA


def one_line(error: CnnToolError) -> str:
    """A spec error's message with its place and hint on one line (no caret picture)."""
    if isinstance(error, SpecError):
        return error.summary() + (f"; {error.hint}" if error.hint else "")
    return " ".join(str(error).split())


def spec_text(arg: str | None) -> tuple[str, str]:
    """(text, name) of a spec argument (zoo name, file or text), checked by the arithmetic."""
    from cnntool.arith import summarize
    from cnntool.spec.parser import parse
    from cnntool.spec.source import read_spec_text

    text, name = read_spec_text(arg or DEFAULT_SPEC)
    summarize(parse(text, name))  # a spec that cannot be analysed is a bad argument
    return text, name


def prepare(
    spec: str | None = None,
    screen: str = "builder",
    image: str | None = None,
    kernel: str | None = None,
    normalize: bool = False,
    data: str | None = None,
) -> Launch:
    """Check every argument; raise CnnToolError (naming the flag) for the first bad one."""
    if screen not in SCREENS:
        raise CnnToolError(f"--screen: unknown screen {excerpt(screen)}; screens: {', '.join(SCREENS)}")
    try:
        text, name = spec_text(spec)
    except RecursionError:
        raise CnnToolError("the spec is nested too deeply") from None
    if image is not None or kernel is not None:  # the defaults fit: opening the app skips the explainer
        from cnntool.explain.conv import ConvSettings, plan_conv
        from cnntool.explain.matrix import parse_filters, parse_tensor
        from cnntool.explain.names import Names

        x = parse_tensor(image or DEFAULT_IMAGE, "--image")
        kernels = parse_filters(kernel or DEFAULT_KERNEL, "--kernel")
        plan_conv(
            x, kernels[0], ConvSettings(), Names(image="--image", kernel="--kernel")
        )  # they fit together
    dataset = DEFAULT_DATA
    if data is not None:
        from cnntool.data.catalog import resolve

        dataset = resolve(data).name
        from cnntool.tui.training import DATASETS

        if dataset not in DATASETS:
            raise CnnToolError(
                f"--data: the trainer does not offer {dataset}; it trains on {', '.join(DATASETS)}"
            )
    return Launch(screen, text, name, image or DEFAULT_IMAGE, kernel or DEFAULT_KERNEL, normalize, dataset)
