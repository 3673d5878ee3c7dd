"""Named images and kernels from the lecture slides, so `--image x --kernel diag` just works.

Kept as text in the same syntax a user types, so the table below doubles as
documentation and goes through the same parser as user input.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    """A named matrix: `kind` is "image" or "kernel", `text` the matrix in cnntool's syntax."""

    name: str
    kind: str
    text: str
    about: str


_X = """
-1 -1 -1 -1 -1 -1 -1 -1 -1
-1  1 -1 -1 -1 -1 -1  1 -1
-1 -1  1 -1 -1 -1  1 -1 -1
-1 -1 -1  1 -1  1 -1 -1 -1
-1 -1 -1 -1  1 -1 -1 -1 -1
-1 -1 -1  1 -1  1 -1 -1 -1
-1 -1  1 -1 -1 -1  1 -1 -1
-1  1 -1 -1 -1 -1 -1  1 -1
-1 -1 -1 -1 -1 -1 -1 -1 -1
"""

_O = """
-1 -1 -1 -1 -1 -1 -1 -1 -1
-1 -1 -1  1  1  1 -1 -1 -1
-1 -1  1 -1 -1 -1  1 -1 -1
-1  1 -1 -1 -1 -1 -1  1 -1
-1  1 -1 -1 -1 -1 -1  1 -1
-1  1 -1 -1 -1 -1 -1  1 -1
-1 -1  1 -1 -1 -1  1 -1 -1
-1 -1 -1  1  1  1 -1 -1 -1
-1 -1 -1 -1 -1 -1 -1 -1 -1
"""

SAMPLES: dict[str, Sample] = {
    s.name: s
    for s in (
        Sample("x", "image", _X, "the 9x9 X of the X/O slides (+1 stroke on −1 background)"),
        Sample("o", "image", _O, "a 9x9 O in the same style"),
        Sample("exercise", "image", "0 1 0 1; 0 1 0 1; 1 1 1 1; 0 -2 0 -2", "the 4x4 convolution exercise"),
        Sample("nine", "image", "1 2 3; 4 5 6; 7 8 9", "1..9, the image of the '32' window slide"),
        Sample(
            "x-diag",
            "image",
            "7/9 -1/9 1/9 1/3 5/9 -1/9 1/3; -1/9 1 -1/9 1/3 -1/9 1/9 -1/9; 1/9 -1/9 1 -1/3 1/9 -1/9 5/9; "
            "1/3 1/3 -1/3 5/9 -1/3 1/3 1/3; 5/9 -1/9 1/9 -1/3 1 -1/9 1/9; -1/9 1/9 -1/9 1/3 -1/9 1 -1/9; "
            "1/3 -1/9 5/9 1/3 1/9 -1/9 7/9",
            "the X filtered by diag, ÷ 9: the slides' first 7x7 feature map (7/9 is printed 0.77)",
        ),
        Sample("diag", "kernel", "1 -1 -1; -1 1 -1; -1 -1 1", "X/O slides: the '\\' diagonal filter"),
        Sample("cross", "kernel", "1 -1 1; -1 1 -1; 1 -1 1", "X/O slides: the small 'x' filter"),
        Sample("antidiag", "kernel", "-1 -1 1; -1 1 -1; 1 -1 -1", "X/O slides: the '/' diagonal filter"),
        Sample("halves", "kernel", "-1/2 1 -1/2; -1/2 1 -1/2; -1/2 1 -1/2", "the 4x4 exercise's filter"),
        Sample("filter32", "kernel", "0 1 -1; 1 0 1; 1 2 0", "the filter of the '32' and '36' windows"),
        Sample("lines-h", "kernel", "-1 -1 -1; 2 2 2; -1 -1 -1", "edge slides: horizontal lines"),
        Sample("lines-v", "kernel", "-1 2 -1; -1 2 -1; -1 2 -1", "edge slides: vertical lines"),
        Sample("lines-45", "kernel", "-1 -1 2; -1 2 -1; 2 -1 -1", "edge slides: 45 degree lines"),
        Sample("lines-135", "kernel", "2 -1 -1; -1 2 -1; -1 -1 2", "edge slides: 135 degree lines"),
        Sample("sobel-x", "kernel", "-1 0 1; -2 0 2; -1 0 1", "Sobel, horizontal gradient"),
        Sample("sobel-y", "kernel", "-1 -2 -1; 0 0 0; 1 2 1", "Sobel, vertical gradient"),
        Sample("laplace", "kernel", "0 1 0; 1 -4 1; 0 1 0", "Laplace, 4-neighbour"),
        Sample("box3", "kernel", "1/9 1/9 1/9; 1/9 1/9 1/9; 1/9 1/9 1/9", "3x3 mean (box blur)"),
        Sample("identity", "kernel", "0 0 0; 0 1 0; 0 0 0", "leaves the image as it is"),
    )
}


def lookup(name: str) -> Sample | None:
    """The sample called `name` (case-insensitive, `_` same as `-`), or None."""
    return SAMPLES.get(name.strip().lower().replace("_", "-"))
