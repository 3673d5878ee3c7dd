"""`--list`: the named lecture images and kernels, each as a small grid."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from cnntool.explain.matrix import parse_tensor
from cnntool.explain.samples import SAMPLES
from cnntool.views.grid import Fmt, heading, simple_grid


def samples_view() -> Group:
    """Images first, then kernels: name, what it is, and the matrix."""
    parts: list[RenderableType] = []
    for kind in ("image", "kernel"):
        parts.append(heading(f"{kind}s"))
        for s in (s for s in SAMPLES.values() if s.kind == kind):
            parts.append(Text.assemble((f"{s.name}  ", "bold"), (s.about, "dim")))
            parts.append(simple_grid(parse_tensor(s.text)[0], Fmt()))
    return Group(*parts)
