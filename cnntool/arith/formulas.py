"""The size formulas of PyTorch's layers, one function each, plus their "show your work" text.

Everything in cnntool that needs an output size (the summary, the cell-by-cell
explainer, the checker, the engine) calls these functions, so a size is computed
in exactly one place. Pure Python: no numpy.

Padding is always a `(left, right)` pair here; symmetric padding `p` is `(p, p)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

Pad = tuple[int, int]


@dataclass(frozen=True)
class Formula:
    """One formula: in symbols, with the numbers plugged in, and its value.

    `str(f)` reads like the lecture: ``H_out = ⌊(227 + 2·0 − 1·(11−1) − 1)/4⌋ + 1 = 55``.
    """

    quantity: str
    symbolic: str
    substituted: str
    value: int | str

    def __str__(self) -> str:
        value = f"{self.value:,}" if isinstance(self.value, int) else self.value
        return f"{self.quantity} = {self.substituted} = {value}"


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """A dilated kernel spans d·(k−1)+1 input cells."""
    return dilation * (kernel - 1) + 1


def conv_out_len(size: int, kernel: int, stride: int = 1, padding: Pad = (0, 0), dilation: int = 1) -> int:
    """PyTorch Conv: ⌊(I + P_l + P_r − D·(K−1) − 1)/S⌋ + 1 (may be ≤ 0: the caller reports it)."""
    return (size + padding[0] + padding[1] - dilation * (kernel - 1) - 1) // stride + 1


def halving_by_design(size: int, kernel: int, stride: int, padding: Pad = (0, 0), dilation: int = 1) -> bool:
    """Whether a stride that does not divide the input is the usual downsampling idiom, where PyTorch's
    floor is intended: "half" padding (P = (K_eff − 1)/2 on both sides, K_eff odd) and stride S > 1 give
    ⌈I/S⌉ outputs, every input cell still seen (ResNet's and MobileNet's k3 s2 p1, k7 s2 p3, k1 s2 p0)."""
    k_eff = effective_kernel(kernel, dilation)
    return stride > 1 and k_eff % 2 == 1 and padding == ((k_eff - 1) // 2, (k_eff - 1) // 2)


def conv_exact_len(
    size: int, kernel: int, stride: int = 1, padding: Pad = (0, 0), dilation: int = 1
) -> Fraction:
    """The lecture's (I − F + 2P)/S + 1 without the floor: not an integer means the stride does not fit."""
    return Fraction(size + padding[0] + padding[1] - effective_kernel(kernel, dilation), stride) + 1


def _ceil_pool_len(size: int, kernel: int, stride: int, padding: Pad, dilation: int) -> tuple[int, int]:
    """(rounded-up size, size after PyTorch's last-window rule) for ceil_mode pooling."""
    span = size + padding[0] + padding[1] - dilation * (kernel - 1) - 1
    raw = -(-span // stride) + 1
    return raw, raw - 1 if (raw - 1) * stride >= size + padding[0] else raw


def pool_out_len(
    size: int,
    kernel: int,
    stride: int,
    padding: Pad = (0, 0),
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """PyTorch pooling size, including the ceil_mode rule.

    With ceil_mode the division rounds up, but the last window must start inside
    the input or the left padding: if (out−1)·S ≥ I + P_left, PyTorch drops it.
    """
    if ceil_mode:
        return _ceil_pool_len(size, kernel, stride, padding, dilation)[1]
    return conv_out_len(size, kernel, stride, padding, dilation)


def same_padding(kernel: int, dilation: int = 1) -> Pad:
    """PyTorch's padding='same' (stride 1): total d·(k−1), the odd one out goes right/bottom."""
    total = dilation * (kernel - 1)
    return (total // 2, total - total // 2)


def keras_same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> Pad:
    """Keras/TF 'same' for any stride: out = ⌈I/S⌉, the extra padding after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + effective_kernel(kernel, dilation) - size, 0)
    return (total // 2, total - total // 2)


def conv_transpose_out_len(
    size: int, kernel: int, stride: int = 1, padding: int = 0, output_padding: int = 0, dilation: int = 1
) -> int:
    """PyTorch ConvTranspose: (I−1)·S − 2P + D·(K−1) + output_padding + 1."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def adaptive_window(index: int, size: int, out: int) -> tuple[int, int]:
    """PyTorch adaptive pooling window [start, end) for output cell `index`."""
    return (index * size) // out, -(-((index + 1) * size) // out)


# --- show your work ------------------------------------------------------------------------


def _pad_text(padding: Pad) -> tuple[str, str]:
    if padding[0] == padding[1]:
        return "2·P", f"2·{padding[0]}"
    return "P_l + P_r", f"{padding[0]} + {padding[1]}"


def explain_conv_out_len(
    quantity: str, size: int, kernel: int, stride: int = 1, padding: Pad = (0, 0), dilation: int = 1
) -> Formula:
    """The conv size formula with the numbers in, e.g. ``⌊(227 + 2·0 − 1·(11−1) − 1)/4⌋ + 1``."""
    pad_sym, pad_num = _pad_text(padding)
    substituted = f"⌊({size} + {pad_num} − {dilation}·({kernel}−1) − 1)/{stride}⌋ + 1"
    return Formula(
        quantity,
        f"⌊({quantity[0]}_in + {pad_sym} − D·(K−1) − 1)/S⌋ + 1",
        substituted + _halving_note(size, kernel, stride, padding, dilation),
        conv_out_len(size, kernel, stride, padding, dilation),
    )


def _halving_note(size: int, kernel: int, stride: int, padding: Pad, dilation: int) -> str:
    """Said where the stride does not divide but the floor is intended (see halving_by_design)."""
    if conv_exact_len(size, kernel, stride, padding, dilation).denominator == 1:
        return ""
    if not halving_by_design(size, kernel, stride, padding, dilation):
        return ""
    return (
        f" = ⌈{size}/{stride}⌉ (stride-{stride} downsampling with half padding: PyTorch's floor is intended)"
    )


def explain_pool_out_len(
    quantity: str,
    size: int,
    kernel: int,
    stride: int,
    padding: Pad = (0, 0),
    dilation: int = 1,
    ceil_mode: bool = False,
) -> Formula:
    """The pooling size formula; in ceil mode it also states the last-window rule when it bites."""
    pad_sym, pad_num = _pad_text(padding)
    value = pool_out_len(size, kernel, stride, padding, dilation, ceil_mode)
    left, right = ("⌈", "⌉") if ceil_mode else ("⌊", "⌋")
    symbolic = f"{left}({quantity[0]}_in + {pad_sym} − D·(K−1) − 1)/S{right} + 1"
    substituted = f"{left}({size} + {pad_num} − {dilation}·({kernel}−1) − 1)/{stride}{right} + 1"
    if ceil_mode:
        raw, _ = _ceil_pool_len(size, kernel, stride, padding, dilation)
        if raw != value:
            substituted += (
                f" = {raw}, minus 1 because the last window would start at {(raw - 1) * stride}"
                f" ≥ I + P_l = {size + padding[0]}"
            )
    else:
        substituted += _halving_note(size, kernel, stride, padding, dilation)
    return Formula(quantity, symbolic, substituted, value)


def explain_conv_transpose_out_len(
    quantity: str, size: int, kernel: int, stride: int, padding: int, output_padding: int, dilation: int
) -> Formula:
    """The transposed-conv size formula with the numbers in."""
    return Formula(
        quantity,
        f"({quantity[0]}_in − 1)·S − 2·P + D·(K−1) + output_padding + 1",
        f"({size} − 1)·{stride} − 2·{padding} + {dilation}·({kernel}−1) + {output_padding} + 1",
        conv_transpose_out_len(size, kernel, stride, padding, output_padding, dilation),
    )


def explain_same_padding(kernel: int, dilation: int = 1) -> Formula:
    """Why padding='same' can be asymmetric: total d·(k−1), left = total//2, rest right."""
    left, right = same_padding(kernel, dilation)
    return Formula(
        "P_l, P_r",
        "total = D·(K−1); P_l = ⌊total/2⌋; P_r = total − P_l",
        f"total = {dilation}·({kernel}−1) = {left + right}; P_l = {left}; P_r = {right}",
        f"{left}, {right}",
    )
