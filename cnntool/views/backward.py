"""The backward pass of a convolution or a transposed convolution, as a rich renderable.

Both are made of the same `GradStep`s (a window of numbers times a kernel,
summed); only the words differ: what the window and the kernel are, and the
formulas. `grad_step_view` draws one step alone, for a TUI to animate.
"""

from __future__ import annotations

from rich.console import Group, RenderableType

from cnntool.explain.api import ConvBackward
from cnntool.explain.conv import GradStep
from cnntool.views.grid import Fmt, grid_text, heading, labelled, line, side_by_side, simple_grid, sum_line

LABELS = {"dW": "dL/dW", "dx": "dL/dx", "db": "dL/db"}
TITLES = {
    "conv": {"dW": ("input cells", "dout"), "dx": ("dout window", "flipped kernel"), "db": ("dout", "ones")},
    "convT": {
        "dW": ("dout cells", "input"),
        "dx": ("dout under the stamp", "kernel"),
        "db": ("dout", "ones"),
    },
}
RULES = {
    "conv": (
        "dL/dW[a,b] = Σ_ij dout[i,j] · x_pad[i·s + a·d, j·s + b·d]  (the input correlated with dout)",
        "dL/dx = dout, stride-dilated and zero-padded, correlated with the flipped kernel (a full convolution)",
        "dL/db = Σ dout",
    ),
    "convT": (
        "dL/dW[a,b] = Σ_ij x[i,j] · dout[i·s − p + a·d, j·s − p + b·d]  (inputs × the dout where weight a,b landed)",
        "dL/dx[i,j] = Σ_ab w[a,b] · dout[i·s − p + a·d, j·s − p + b·d]  (the dout under the cell's stamp × kernel)",
        "dL/db = Σ dout;  stamp cells cropped by the padding have no dout and add 0",
    ),
}


def grad_step_view(step: GradStep, kind: str, fmt: Fmt, channels: int = 1, filters: int = 1) -> Group:
    """One gradient cell: the window (its real dout cells marked), the kernel, the products and the sum."""
    where = "" if step.target == "db" else f"[{step.at[0]},{step.at[1]}]"
    chan = f" channel {step.channel + 1}" if channels > 1 and step.target != "db" else ""
    which = f"filter {step.filter + 1}: " if filters > 1 else ""
    real = {(r, c) for r, row in enumerate(step.sources) for c, src in enumerate(row) if src}
    window = grid_text(
        lambda r, c: fmt(step.window[r][c]), range(len(step.window)), range(len(step.window[0])), second=real
    )
    first, second = TITLES[kind][step.target]
    sum_text = sum_line(step.window, step.kernel, fmt, step.sum)
    return Group(
        heading(f"{which}{LABELS[step.target]}{where}{chan}"),
        side_by_side(
            (first, window),
            (second, simple_grid(step.kernel, fmt)),
            ("products", simple_grid(step.products, fmt)),
        ),
        line(sum_text if step.scale == 1 else f"{sum_text}; × {fmt(step.scale)} = {fmt(step.value)}"),
    )


def backward_view(backward: ConvBackward, kind: str, fmt: Fmt, steps: bool, channels: int,
                  divisor: int | None = None) -> Group:  # fmt: skip
    """dout, the rules, every step when asked, and the finished gradients (kind: "conv" or "convT")."""
    filters = len(backward.grads)
    parts: list[RenderableType] = [heading("backward pass")]
    if filters == 1:
        parts.append(simple_grid(backward.dout[0], fmt))
    else:
        parts.append(
            side_by_side(
                *((f"dout, filter {f + 1}", simple_grid(g, fmt)) for f, g in enumerate(backward.dout))
            )
        )
    parts += [line(rule) for rule in RULES[kind]]
    if divisor:
        parts.append(
            line(
                f"the normalisation divided each sum by {divisor}, so dL/dW and dL/dx are scaled by 1/{divisor}"
            )
        )
    if filters > 1:
        parts.append(
            line("each filter has its own dL/dW and dL/db; dL/dx adds up the filters' contributions")
        )
    if steps:
        parts += [grad_step_view(st, kind, fmt, channels, filters) for st in backward.steps]
    parts.append(heading("gradients"))
    by_channel = lambda ch, g: simple_grid(g, fmt)  # noqa: E731
    if filters == 1:
        parts.append(
            side_by_side(
                ("dL/dW", labelled(backward.dweight[0], by_channel)),
                ("dL/dx", labelled(backward.dinput, by_channel)),
            )
        )
        parts.append(line(f"dL/db = {fmt(backward.dbias[0])}"))
    else:
        parts.append(
            side_by_side(
                ("dL/dW", labelled(backward.dweight, lambda f, w: labelled(w, by_channel), "filter")),
                ("dL/dx (sum over filters)", labelled(backward.dinput, by_channel)),
            )
        )
        parts.append(line(f"dL/db = {', '.join(fmt(b) for b in backward.dbias)} (one per filter)"))
    return Group(*parts)


__all__ = ["backward_view", "grad_step_view"]
