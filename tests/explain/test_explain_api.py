"""The pure use-case API: requests in, reports out, several channels and filters, neutral messages."""

from __future__ import annotations

import ast
import json
import random
from fractions import Fraction
from pathlib import Path

import pytest

from cnntool.arith import summarize
from cnntool.errors import CnnToolError
from cnntool.explain import (
    ConvRequest,
    ConvSettings,
    ConvTRequest,
    ConvTSettings,
    Names,
    PoolRequest,
    PoolSettings,
    parse_filters,
    parse_tensor,
    run_conv,
    run_conv_transpose,
    run_pool,
)
from cnntool.explain.as_matrix import flatten, matvec
from cnntool.explain.conv import conv_steps, plan_conv

F = Fraction
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def rand_tensor(rng: random.Random, c: int, h: int, w: int):
    return tuple(tuple(tuple(F(rng.randint(-4, 4)) for _ in range(w)) for _ in range(h)) for _ in range(c))


# --- several channels ------------------------------------------------------------------------


def test_rgb_example_cell_by_hand() -> None:
    """examples/rgb.txt ⋆ filter 1 of examples/rgb_filters.txt at (0,0), worked out by hand:
    red 1·1 + 1·1 = 2, green 1·1 + 2·1 = 3, blue 3·1 + 0·1 = 3; 2 + 3 + 3 = 8, + bias 1 = 9.
    Filter 2: red −1·1 + 1·1 = 0, green 0, blue (3 + 0 + 1 + 1)/2 = 5/2; + bias −1 = 3/2."""
    image = parse_tensor(f"@{EXAMPLES / 'rgb.txt'}")
    kernels = parse_filters(f"@{EXAMPLES / 'rgb_filters.txt'}")
    assert len(image) == 3 and len(kernels) == 2 and all(len(k) == 3 for k in kernels)
    report = run_conv(ConvRequest(image, kernels, biases=(F(1), F(-1)), at=(0, 0)))
    first, second = report.chosen
    assert first.window[0] == ((1, 2), (0, 1)) and first.window[2] == ((3, 0), (1, 1))
    assert first.channel_sums == (2, 3, 3) and first.sum == 8 and first.value == 9
    assert second.channel_sums == (0, 0, F(5, 2)) and second.value == F(3, 2)
    assert report.outputs[0][0][0] == 9 and report.outputs[1][0][0] == F(3, 2)


@pytest.mark.parametrize("seed", range(15))
def test_channel_sums_add_up_to_the_total(seed: int) -> None:
    """Each step's per-channel window and partial sum, recomputed from the raw image by index."""
    rng = random.Random(seed)
    c, kh, kw = rng.randint(2, 4), rng.randint(1, 3), rng.randint(1, 3)
    image, kernel = rand_tensor(rng, c, rng.randint(kh, 6), rng.randint(kw, 6)), rand_tensor(rng, c, kh, kw)
    bias, stride = F(rng.randint(-3, 3)), (rng.randint(1, 2), rng.randint(1, 2))
    settings = ConvSettings(stride=stride, padding=((1, 1), (0, 0)), bias=bias)
    report = run_conv(ConvRequest(image, (kernel,), settings))
    h, w = len(image[0]), len(image[0][0])
    for step in report.steps:
        i, j = step.at
        for ch in range(c):
            expected = F(0)
            for a in range(kh):
                for b in range(kw):
                    r, q = i * stride[0] - 1 + a, j * stride[1] + b
                    x = image[ch][r][q] if 0 <= r < h and 0 <= q < w else 0
                    assert step.window[ch][a][b] == x and step.products[ch][a][b] == x * kernel[ch][a][b]
                    expected += x * kernel[ch][a][b]
            assert step.channel_sums[ch] == expected
        assert step.sum == sum(step.channel_sums) and step.value == step.sum + bias
        assert report.outputs[0][i][j] == step.value


# --- several filters -------------------------------------------------------------------------


def test_filter_syntaxes_agree(tmp_path: Path) -> None:
    by_names = parse_filters("diag,cross")
    by_bar = parse_filters("1 -1 -1; -1 1 -1; -1 -1 1 | cross")
    path = tmp_path / "two.txt"
    path.write_text("# diag then cross\n1 -1 -1\n-1 1 -1\n-1 -1 1\n---\n1 -1 1\n-1 1 -1\n1 -1 1\n")
    nested = "[[[[1, -1, -1], [-1, 1, -1], [-1, -1, 1]]], [[[1, -1, 1], [-1, 1, -1], [1, -1, 1]]]]"
    assert by_names == by_bar == parse_filters(f"@{path}") == parse_filters(nested)
    assert by_names == (parse_tensor("diag"), parse_tensor("cross"))
    assert parse_filters("1 2; 3 4") == (parse_tensor("1 2; 3 4"),)  # one filter stays one
    assert len(parse_filters("1,2;3,4")) == 1  # numbers with commas are entries, not names


def test_npy_filters(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    path = tmp_path / "w.npy"
    np.save(path, np.arange(2 * 3 * 2 * 2).reshape(2, 3, 2, 2))
    kernels = parse_filters(f"@{path}")
    assert len(kernels) == 2 and kernels[1][2] == ((20, 21), (22, 23))
    with pytest.raises(CnnToolError, match="several filters are for a convolution's kernel only"):
        parse_tensor(f"@{path}", "image")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 2 | 1", "filter 2 is 1x1x1 (channels x rows x columns) but filter 1 is 1x1x2"),
        ("diag |", "kernel, filter 2: empty"),
        ("diag, crosss", "Did you mean 'cross'"),
        ("1 2 | 1 x", "kernel, filter 2: 'x' in row 1, column 2 is not a number"),
    ],
)
def test_bad_filters(text: str, message: str) -> None:
    with pytest.raises(CnnToolError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_filters(text)


def test_image_refuses_several_filters() -> None:
    with pytest.raises(CnnToolError, match="'|' separates several filters"):
        parse_tensor("1 2 | 3 4", "image")


def test_several_filters_at_matrix_and_shift() -> None:
    image = parse_tensor("1 2 0 1; 0 1 3 1; 2 0 1 0; 1 1 0 2")
    kernels = parse_filters("1 0; 0 -1 | 0 1; 1 0 | 1 1; 1 1")
    biases = (F(0), F(1), F(-1, 2))
    report = run_conv(ConvRequest(image, kernels, biases=biases, at=(2, 1), as_matrix=True, shift=(1, 0)))
    # (2,1): window 0 1; 1 0 → filter 1: 0 − 0 = 0, filter 2: 1 + 1 + 1 = 3, filter 3: 2 − 1/2 = 3/2
    assert [s.value for s in report.chosen] == [0, 3, F(3, 2)]
    assert [s.filter for s in report.chosen] == [0, 1, 2]
    m = report.matrix
    assert (len(m.matrix), len(m.matrix[0])) == (3 * 9, 16) and m.distinct_weights == 12
    rows = matvec(m.matrix, flatten(image))
    for f in range(3):
        flat = [v for row in report.outputs[f] for v in row]
        assert [v + biases[f] for v in rows[f * 9 : (f + 1) * 9]] == flat
    assert len(report.shift) == 3 and all(s.agree for s in report.shift)
    assert report.shift[1].output == report.outputs[1]


def test_bias_and_dout_counts_must_match_the_filters() -> None:
    image, kernels = parse_tensor("1 2; 3 4"), parse_filters("1 | 2 | 3")
    with pytest.raises(CnnToolError, match="bias has 2 values but there are 3 filters"):
        run_conv(ConvRequest(image, kernels, biases=(F(1), F(2))))
    one = ((F(1), F(1)), (F(1), F(1)))
    with pytest.raises(CnnToolError, match="dout has 2 matrices but there are 3 filters"):
        run_conv(ConvRequest(image, kernels, backward=True, dout=(one, one)))
    with pytest.raises(CnnToolError, match="dout: filter 3's gradient is 1x1 but its output is 2x2"):
        run_conv(ConvRequest(image, kernels, backward=True, dout=(one, one, ((F(1),),))))
    assert run_conv(ConvRequest(image, kernels, biases=(F(5),))).outputs[2] == ((8, 11), (14, 17))


def test_steps_stay_available_one_by_one() -> None:
    """A TUI animates a generator; the report's tuple holds the same steps."""
    plan = plan_conv(parse_tensor("exercise"), parse_tensor("halves"), ConvSettings())
    generator = conv_steps(plan)
    assert next(generator).value == 2 and next(generator).value == -2
    report = run_conv(ConvRequest(parse_tensor("exercise"), (parse_tensor("halves"),)))
    assert [s.value for s in report.steps] == [2, -2, -1, 1]


# --- transposed convolution's backward pass, by hand -------------------------------------------


def test_convt_backward_by_hand() -> None:
    """1 2; 3 4 with a 2x2 ones kernel, stride 2: each input cell owns one 2x2 block of the output.
    dout = 1..16: dL/dx[0,0] = 1 + 2 + 5 + 6 = 14; dL/dW[0,0] = 1·1 + 2·3 + 3·9 + 4·11 = 78; dL/db = 136."""
    dout = tuple(tuple(F(4 * r + c + 1) for c in range(4)) for r in range(4))
    image, kernel = parse_tensor("1 2; 3 4"), parse_tensor("1 1; 1 1")
    report = run_conv_transpose(
        ConvTRequest(image, kernel, ConvTSettings(stride=(2, 2)), backward=True, dout=dout)
    )
    grads = report.backward.grads[0]
    assert grads.dinput == (((14, 22), (46, 54)),)
    assert grads.dweight == (((78, 88), (118, 128)),)
    assert grads.dbias == 136
    dx = next(s for s in grads.steps if s.target == "dx" and s.at == (1, 0))
    assert dx.window == ((9, 10), (13, 14)) and dx.sources == (((2, 0), (2, 1)), ((3, 0), (3, 1)))


# --- names in messages -----------------------------------------------------------------------


def test_core_messages_use_plain_words_by_default() -> None:
    with pytest.raises(CnnToolError) as error:
        run_conv(ConvRequest(parse_tensor("1 2; 3 4"), (parse_tensor("nine"),)))
    assert "more padding" in str(error.value) and "--" not in str(error.value)
    with pytest.raises(CnnToolError) as error:
        run_conv(ConvRequest(parse_tensor("1 2; 3 4;; 1 1; 1 1"), (parse_tensor("1"),)))
    assert str(error.value).startswith("kernel has 1 channel(s) but image has 2")
    with pytest.raises(CnnToolError, match=r"^cell 5,5 is outside the 1x1 output"):
        run_pool(PoolRequest(parse_tensor("1 2; 3 4"), at=(5, 5)))


def test_caller_names_the_inputs() -> None:
    names = Names(image="--image", kernel="--kernel", padding="--padding", at="--at")
    with pytest.raises(CnnToolError, match="Use a smaller --kernel or more --padding"):
        run_conv(ConvRequest(parse_tensor("1 2; 3 4"), (parse_tensor("nine"),), names=names))
    with pytest.raises(CnnToolError, match="^--at 2,0 is outside the 2x2 input"):
        run_conv_transpose(ConvTRequest(parse_tensor("1 2; 3 4"), parse_tensor("1"), at=(2, 0), names=names))


def test_checker_errors_name_answer_file_fields_not_flags() -> None:
    from cnntool.check import grade_text

    body = (
        '[[question]]\nid = "a"\nkind = "conv"\nimage = "1 2; 3 4"\nkernel = "1 2 3; 4 5 6; 7 8 9"\nanswer = 1\n\n'
        '[[question]]\nid = "b"\nkind = "pool"\nimage = "1 2; 3 4"\nsize = 3\nanswer = 1\n'
    )
    conv, pool = grade_text(body).results
    assert conv.status == pool.status == "error"
    assert "more padding" in conv.notes[0] and "--" not in conv.notes[0]
    assert "Use a smaller size or more padding" in pool.notes[0] and "--" not in pool.notes[0]


def _strings(tree: ast.AST) -> list[str]:
    """String constants of a module that are not docstrings (f-string parts included)."""
    docs = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
    ]


@pytest.mark.parametrize(
    "path", sorted((ROOT / "cnntool" / "explain").glob("*.py")) + [ROOT / "cnntool" / "arith" / "diagnose.py"],
    ids=lambda p: p.name,
)  # fmt: skip
def test_core_never_names_a_flag(path: Path) -> None:
    import re

    flags = [s for s in _strings(ast.parse(path.read_text(encoding="utf-8"))) if re.search(r"--[a-z]", s)]
    assert flags == [], f"{path.name} names command-line flags: {flags}"


# --- one diagnosis for every command -----------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "image", "settings"),
    [
        ("1x7x7 | conv 1 k3 s3", 7, ConvSettings(stride=(3, 3))),
        ("1x10x10 | conv 1 k3 s2", 10, ConvSettings(stride=(2, 2))),
        ("1x8x8 | conv 1 k3 s2 p2", 8, ConvSettings(stride=(2, 2), padding=((2, 2), (2, 2)))),
    ],
)
def test_summary_and_conv_warn_with_the_same_text(spec: str, image: int, settings: ConvSettings) -> None:
    grid = tuple(tuple(F(1) for _ in range(image)) for _ in range(image))
    plan = plan_conv((grid,), parse_tensor("box3"), settings)
    (warning,) = plan.warnings  # summary prefixes the layer; the diagnosis itself is the same text
    assert summarize(spec).warnings == (f"layer 1 ({spec.split(' | ')[1]}): {warning}",)
    assert "does not fit" in plan.warnings[0] and "never visited" in plan.warnings[0]


def test_summary_and_pool_warn_with_the_same_text() -> None:
    grid = tuple(tuple(F(1) for _ in range(7)) for _ in range(7))
    report = run_pool(PoolRequest((grid,), PoolSettings(size=(2, 2))))
    assert summarize("1x7x7 | maxpool 2").warnings == tuple(
        f"layer 1 (maxpool 2): {w}" for w in report.warnings
    )
    assert "ceil mode (→ 4)" in report.warnings[0]


def test_report_json_round_trips() -> None:
    report = run_conv(
        ConvRequest(parse_tensor("x"), parse_filters("diag,cross"), ConvSettings(normalize=True))
    )
    data = json.loads(json.dumps(report.to_json()))
    assert data["filters"] == 2 and data["settings"]["bias"] == [0, 0]
    assert data["output"][0][0][0] == "7/9" and data["steps"][49]["filter"] == 1


def test_package_exports_resolve_lazily() -> None:
    import subprocess
    import sys

    import cnntool.explain as package

    assert sorted(package.__all__) == sorted(package._WHERE)
    assert all(getattr(package, name) is not None for name in package.__all__)
    code = "import sys, cnntool.explain.names; print('cnntool.explain.api' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # the CLI's flag names do not load the whole explainer
