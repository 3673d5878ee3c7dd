"""Diagnosis of strides and paddings that do not fit the input exactly: one text for every command.

The lecture's rule: (I − F + 2P)/S + 1 must be an integer. PyTorch does not
fail when it is not; it floors and silently ignores the last rows/columns. We
warn, say what PyTorch does, and suggest the nearest settings that fit.

`summary`, `explain`, `conv`, `pool` and the checker all call this module, so
the same geometry always gets the same sentence. The wording names quantities
("padding 1", "ceil mode"), never a command-line flag or a spec keyword: the
caller decides how a user sets them.
"""

from __future__ import annotations

from collections.abc import Sequence

from cnntool.arith.formulas import (
    Pad,
    conv_exact_len,
    conv_out_len,
    effective_kernel,
    halving_by_design,
    pool_out_len,
)

# (axis name, input size, kernel, stride, padding (before, after), dilation) of one spatial axis
Axis = tuple[str, int, int, int, Pad, int]


def _exact_text(size: int, kernel: int, stride: int, padding: Pad, dilation: int) -> str:
    """`4.5` when the decimal is exact, else `7/3 ≈ 2.33333` (the fraction and its decimal)."""
    exact = conv_exact_len(size, kernel, stride, padding, dilation)
    decimal = f"{float(exact):g}"
    return decimal if exact == float(decimal) else f"{exact.numerator}/{exact.denominator} ≈ {decimal}"


def fit_warning(
    axis: str, size: int, kernel: int, stride: int, padding: Pad, dilation: int = 1, pooling: bool = False
) -> str | None:
    """A warning when the window does not tile the padded input exactly, else None."""
    exact = conv_exact_len(size, kernel, stride, padding, dilation)
    if exact.denominator == 1 or halving_by_design(size, kernel, stride, padding, dilation):
        return None  # fits, or the floor is the intended ⌈I/S⌉ downsampling (the size formula says so)
    k_eff = effective_kernel(kernel, dilation)
    floored = conv_out_len(size, kernel, stride, padding, dilation)
    unused = (size + padding[0] + padding[1] - k_eff) % stride
    where = {"H": "row", "W": "column", "L": "position", "H and W": "row and column"}.get(axis, "cell")
    pad_text = f"2·{padding[0]}" if padding[0] == padding[1] else f"{padding[0]}+{padding[1]}"
    message = (
        f"{axis}: (I − F + 2P)/S + 1 = ({size} − {k_eff} + {pad_text})/{stride} + 1 "
        f"= {_exact_text(size, kernel, stride, padding, dilation)} is not an integer: stride {stride} does not fit. "
        f"PyTorch floors it to {floored}, so the last {unused} input {where}{'s' if unused > 1 else ''} "
        f"{'are' if unused > 1 else 'is'} never visited."
    )
    fixes = _suggestions(size, k_eff, stride, padding, pooling)
    if fixes:
        message += " Fits exactly with " + " or ".join(fixes) + "."
    return message


def fit_warnings(axes: Sequence[Axis], pooling: bool = False) -> list[str]:
    """One warning per axis that does not fit; a square case (H and W alike) gets one warning, not two."""
    axes = list(axes)
    if len(axes) == 2 and axes[0][1:] == axes[1][1:]:
        axes = [("H and W", *axes[0][1:])]
    warnings = []
    for axis, size, kernel, stride, padding, dilation in axes:
        warning = fit_warning(axis, size, kernel, stride, padding, dilation, pooling)
        if warning:
            warnings.append(warning)
    return warnings


def _suggestions(size: int, k_eff: int, stride: int, padding: Pad, pooling: bool) -> list[str]:
    fixes: list[str] = []
    total = padding[0] + padding[1]
    for p in range(0, k_eff):
        if (size + 2 * p - k_eff) % stride == 0 and size + 2 * p >= k_eff and (not pooling or 2 * p <= k_eff):
            fixes.append(f"padding {p} (→ {(size + 2 * p - k_eff) // stride + 1})")
            break
    else:
        odd = next((t for t in range(1, k_eff) if (size + t - k_eff) % stride == 0), None)
        if odd is not None and not pooling:
            fixes.append(
                f"uneven padding {odd // 2} before and {odd - odd // 2} after (→ {(size + odd - k_eff) // stride + 1})"
            )
    strides = [s for s in range(1, max(k_eff, stride) + 2) if s != stride and (size + total - k_eff) % s == 0]
    near = sorted(strides, key=lambda s: (abs(s - stride), s))[:2]
    fixes += [f"stride {s} (→ {(size + total - k_eff) // s + 1})" for s in sorted(near)]
    if pooling:
        fixes.append(f"ceil mode (→ {pool_out_len(size, k_eff, stride, padding, 1, True)})")
    return fixes
