"""Reading matrices and printing numbers: the inputs students type."""

from __future__ import annotations

from fractions import Fraction

import pytest

from cnntool.errors import CnnToolError
from cnntool.explain.matrix import parse_matrix, parse_tensor, shape
from cnntool.explain.options import parse_index, parse_padding, parse_pair
from cnntool.explain.samples import SAMPLES
from cnntool.numbers import format_number, parse_number, to_json


@pytest.mark.parametrize(
    ("token", "value"),
    [
        ("3", Fraction(3)),
        ("-1/2", Fraction(-1, 2)),
        ("+4/6", Fraction(2, 3)),
        ("0.25", 0.25),
        ("1e-1", 0.1),
        ("−2", Fraction(-2)),
    ],
)
def test_parse_number(token: str, value) -> None:
    assert parse_number(token) == value
    assert type(parse_number(token)) is type(value)


@pytest.mark.parametrize("token", ["abc", "1/0", "1/2/3", "", "nan", "inf", "1e999", "0x10"])
def test_parse_number_rejects(token: str) -> None:
    assert parse_number(token) is None


def test_format_number() -> None:
    seven_ninths = Fraction(7, 9)
    assert format_number(seven_ninths) == "7/9"
    assert format_number(seven_ninths, decimals=3) == "0.778"
    assert format_number(seven_ninths, truncate=2) == "0.77"
    assert format_number(Fraction(-1, 9), truncate=2) == "-0.11"
    assert format_number(Fraction(1), truncate=2) == "1.00"
    assert format_number(Fraction(-1, 1000), truncate=2) == "0.00"
    assert format_number(Fraction(5, 2), decimals=0) == "3"
    assert format_number(Fraction(4)) == "4"
    assert format_number(0.5) == "0.5" and format_number(2.0) == "2.0"
    assert format_number(0.29, truncate=2) == "0.29" and format_number(-0.29, truncate=2) == "-0.29"
    assert format_number(0.1 + 0.2, decimals=2) == "0.30"
    assert to_json(Fraction(7, 9)) == "7/9" and to_json(Fraction(3)) == 3 and to_json(0.5) == 0.5


def test_parse_rows_channels_and_separators() -> None:
    assert shape(parse_tensor("1 2 3; 4 5 6")) == (1, 2, 3)
    assert shape(parse_tensor("1,2;3,4;;5,6;7,8")) == (2, 2, 2)
    assert parse_tensor("1 2\n3 4") == parse_tensor("1 2; 3 4")
    assert parse_tensor("[[1, 2], [3, 4]]") == parse_tensor("1 2; 3 4")
    assert parse_matrix("-1/2 1") == ((Fraction(-1, 2), Fraction(1)),)


def test_samples_all_parse() -> None:
    for name, sample in SAMPLES.items():
        c, h, w = shape(parse_tensor(name))
        assert c == 1 and h >= 3 and w >= 3, sample
    assert parse_tensor("X") == parse_tensor("x")
    assert parse_tensor("Sobel_X") == parse_tensor("sobel-x")


def test_text_file_with_comments_and_blank_line_channels(tmp_path) -> None:
    path = tmp_path / "m.txt"
    path.write_text("# two channels\n1 2\n3 4\n\n5 6  # comment\n7 8\n\n")
    assert shape(parse_tensor(f"@{path}")) == (2, 2, 2)


def test_npy_file(tmp_path) -> None:
    np = pytest.importorskip("numpy")
    ints, floats = tmp_path / "i.npy", tmp_path / "f.npy"
    np.save(ints, np.arange(6).reshape(2, 3))
    np.save(floats, np.ones((2, 2, 2)) / 2)
    assert parse_tensor(f"@{ints}")[0][1] == (3, 4, 5)
    assert isinstance(parse_tensor(f"@{ints}")[0][0][0], Fraction)
    assert parse_tensor(f"@{floats}")[1][0] == (0.5, 0.5)


def test_explain_core_does_not_import_numpy() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import cnntool.explain.conv, cnntool.explain.pool, cnntool.explain.as_matrix, "
        "cnntool.explain.serialize, cnntool.explain.conv_transpose, cnntool.cli.conv; "
        "print('numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 2; 3", "row 2 has 1 entries but row 1 has 2"),
        ("1 a", "'a' in row 1, column 2 is not a number"),
        ("", "empty matrix"),
        ("1 2;; 1 2 3", "channel 2 is 1x3 but channel 1 is 1x2"),
        ("dia", "Did you mean 'diag'"),
        ("@/nonexistent/file.txt", "not found"),
        ("[[1, 2], [3]]", "row 2 has 1 entries"),
        ("[1, 2]", "nested list"),
        ("[[1, 2]", "does not parse"),
        ("1 2;;", "channel 2 is empty"),
    ],
)
def test_bad_matrices(text: str, message: str) -> None:
    with pytest.raises(CnnToolError, match=message.replace("(", r"\(")):
        parse_tensor(text, "--image")


def test_options() -> None:
    assert parse_pair("2", "--stride") == (2, 2)
    assert parse_pair("2x3", "--stride") == (2, 3)
    assert parse_padding("same", (4, 3), (1, 1), (1, 1)) == ((1, 2), (1, 1))
    assert parse_padding("valid", (3, 3), (1, 1), (2, 2)) == ((0, 0), (0, 0))
    assert parse_padding("1x2", (3, 3), (1, 1), (1, 1)) == ((1, 1), (2, 2))
    assert parse_index("1,2", "--at") == (1, 2) and parse_index("-1, 0", "--shift") == (-1, 0)
    with pytest.raises(CnnToolError, match="needs stride 1"):
        parse_padding("same", (3, 3), (1, 1), (2, 2))
    with pytest.raises(CnnToolError, match="at least 1"):
        parse_pair("0", "--stride")
