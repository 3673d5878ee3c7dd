"""Where a spec comes from: a zoo name, a file, stdin (`-`) or the text itself.

The CLI, the checker and the engine all accept "a spec" the same way, so the
rules for telling a file from a zoo name from spec text live here once.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from cnntool.errors import CnnToolError, SpecError
from cnntool.files import read_text
from cnntool.spec.nodes import NetSpec
from cnntool.spec.parser import layout_of, parse
from cnntool.spec.zoo import ZOO
from cnntool.text import did_you_mean, excerpt

_SHAPE = re.compile(r"\d+(?:x\d+)*", re.IGNORECASE)


def zoo_name(arg: str) -> str | None:
    """The zoo key for `arg` (case and '-'/'_' insensitive), or None."""
    key = arg.strip().lower().replace("-", "_")
    if key in ZOO:
        return key
    squeezed = key.replace("_", "")
    return next((name for name in ZOO if name.replace("_", "") == squeezed), None)


def read_spec_text(arg: str, files: bool = True) -> tuple[str, str]:
    """(text, name) for a spec argument; name is the zoo name or file name, or "".

    The one place that tells a zoo name from a file from spec text. With `files=False` (spec text
    that came from someone else's file: an answer file, a key, a saved model) a name is never
    taken as a path or `-`, so such a file cannot make cnntool read (and echo) another file.
    """
    name = zoo_name(arg)
    if name:
        return ZOO[name].text(), name
    if not files:
        return arg, ""
    if arg == "-":
        return read_text("-", what="spec"), "<stdin>"
    stripped = arg.strip()
    if not stripped:
        return arg, ""  # the parser says "the spec is empty" with an example
    path = Path(stripped)
    if (
        "|" not in stripped
        and "\n" not in stripped
        and " " not in stripped
        and not _SHAPE.fullmatch(stripped)
    ):
        if _exists(path):  # read_text refuses folders, pipes and devices with their own message
            return read_text(path, what="spec file"), path.name
        if "/" in stripped or "\\" in stripped or path.suffix:
            raise CnnToolError(
                f'spec file {excerpt(arg, 200)} does not exist (check the path, or quote a spec: "3x32x32 | conv 8 k3")'
            )
        hint = did_you_mean(stripped, list(ZOO))
        raise CnnToolError(
            f"{excerpt(arg)} is not a zoo net, a file or a spec. "
            + (hint + " " if hint else "")
            + '(`cnntool zoo` lists the nets; a spec starts with the input shape: "3x32x32 | conv 8 k3")'
        )
    if len(stripped) < 4096 and _exists(path) and not path.is_dir():  # a file named with spaces or '|'
        return read_text(path, what="spec file"), path.name
    return arg, ""


def _exists(path: Path) -> bool:
    """Whether something is at `path` (a symlink loop counts: read_text then says what is wrong)."""
    try:
        return path.exists() or path.is_symlink()
    except OSError:  # a name too long for the file system is spec text, not a path
        return False


def parse_shape(text: str, what: str = "input shape") -> tuple[int, ...]:
    """'3x32x32' → (3, 32, 32), with a clear error for anything else."""
    stripped = text.strip()
    if not _SHAPE.fullmatch(stripped):
        raise SpecError(f"{what} must look like 3x224x224, 50x32 or 20, got '{text}'")
    dims = tuple(int(x) for x in re.split("[xX]", stripped))
    if any(d <= 0 for d in dims) or len(dims) > 3:
        raise SpecError(f"{what} needs 1 to 3 positive sizes, got '{text}'")
    return dims


def load_spec(
    arg: str | NetSpec, input_shape: str | None = None, hwc: bool = False, files: bool = True
) -> NetSpec:
    """Resolve and parse a spec argument (see `read_spec_text`), applying an input-shape override
    and, with `hwc`, reading a typed input shape channels-last (zoo nets keep their layout)."""
    if isinstance(arg, NetSpec):
        spec = arg
    else:
        text, name = read_spec_text(arg, files)
        spec = parse(text, name)
    if input_shape is not None:
        shape = parse_shape(input_shape)
        spec = dataclasses.replace(spec, input_shape=shape, layout=layout_of(shape, spec.layers))
    # --hwc reads a *typed* input shape channels-last; a zoo net keeps its own (channels-first) input.
    typed = input_shape is not None or spec.name not in ZOO
    if hwc and typed:
        spec = dataclasses.replace(spec, input_shape=to_channels_first(spec.input_shape, spec.layout))
    return spec


def to_channels_first(shape: tuple[int, ...], layout: str) -> tuple[int, ...]:
    """H×W×C → C×H×W (and L×C → C×L); vectors and T×F sequences have no channels to move."""
    if layout in ("image", "signal"):
        return (shape[-1], *shape[:-1])
    return shape


def to_channels_last(shape: tuple[int, ...], layout: str) -> tuple[int, ...]:
    """C×H×W → H×W×C, the lecture's way of writing shapes."""
    if layout in ("image", "signal"):
        return (*shape[1:], shape[0])
    return shape
