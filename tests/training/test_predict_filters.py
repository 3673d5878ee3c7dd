"""predict and filters on a PNG written in the test: the reader decodes what an independent encoder wrote,
a picture of the slide's X reaches the model as the slide's X, and a model trained on xo names it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from typer.testing import CliRunner

from cnntool.cli.app import app
from cnntool.data.images import slide_letter
from cnntool.errors import CnnToolError
from cnntool.training.images import decode_png, read_input
from tests.training.png import encode

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
XO = "1x9x9 | conv 4 k3 | relu | maxpool 2 ceil=true | flatten | dense 2"


@pytest.fixture(scope="module")
def xo_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "xo"
    result = runner.invoke(app, ["train", XO, "--data", "xo", "--epochs", "3", "--optim", "sgd", "--lr", "0.05",
                                 "--momentum", "0.9", "--out", str(out), "--quiet"])  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def _letter_png(
    tmp_path: Path, letter: str, scale: int = 4, rgb: bool = False, dark_on_light: bool = False
) -> Path:
    grey = ((slide_letter(letter) + 1) / 2 * 255).astype(np.uint8)  # stroke 255 (white), background 0
    if dark_on_light:
        grey = 255 - grey
    big = np.kron(grey, np.ones((scale, scale), dtype=np.uint8))
    pixels = np.stack([big] * 3, axis=-1) if rgb else big
    path = tmp_path / f"{letter}.png"
    path.write_bytes(encode(pixels))
    return path


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_the_reader_decodes_every_filter_type_and_colour_type(channels) -> None:
    rng = np.random.default_rng(channels)
    pixels = rng.integers(0, 256, size=(7, 11, channels), dtype=np.uint8)
    decoded = decode_png(encode(pixels[..., 0] if channels == 1 else pixels))
    assert np.array_equal(decoded.pixels, pixels)


def test_a_picture_of_the_slides_x_reaches_the_model_as_the_slides_x(tmp_path) -> None:
    meta = {"dataset": "xo", "background": -1.0}
    sample = read_input(f"@{_letter_png(tmp_path, 'x', rgb=True)}", (1, 9, 9), meta)
    assert np.array_equal(sample.x[0], slide_letter("x"))  # 36×36 RGB → grey → 9×9 → −1…+1
    assert "resized from 36x36 to 9x9" in sample.notes and "converted to grey" in sample.notes


def test_predict_names_the_letter_in_a_png_and_agrees_with_the_matrix_input(tmp_path, xo_run) -> None:
    for letter, label in (("x", "X"), ("o", "O")):
        png = runner.invoke(app, ["predict", str(xo_run / "model.npz"), "--image", f"@{_letter_png(tmp_path, letter)}",
                                  "--json"])  # fmt: skip
        assert png.exit_code == 0, png.output
        matrix = runner.invoke(app, ["predict", str(xo_run), "--image", letter, "--json"])
        a, b = json.loads(png.stdout), json.loads(matrix.stdout)
        assert a["label"] == b["label"] == label
        assert a["outputs"] == pytest.approx(b["outputs"], abs=1e-6)
        p = np.exp(np.array(a["outputs"]) - max(a["outputs"]))
        assert a["ranking"][0]["probability"] == pytest.approx(p.max() / p.sum())
        schema = json.loads((ROOT / "docs/schemas/predict.schema.json").read_text())
        registry = Registry().with_resource("predict.schema.json", Resource.from_contents(schema))
        assert not list(Draft202012Validator(schema, registry=registry).iter_errors(a))


def test_a_dark_drawing_on_white_needs_invert_and_the_note_says_so(tmp_path, xo_run) -> None:
    path = _letter_png(tmp_path, "x", dark_on_light=True)
    plain = json.loads(runner.invoke(app, ["predict", str(xo_run), "--image", f"@{path}", "--json"]).stdout)
    assert any("invert" in note for note in plain["notes"])
    inverted = runner.invoke(app, ["predict", str(xo_run), "--image", f"@{path}", "--invert", "--json"])
    assert json.loads(inverted.stdout)["label"] == "X"


def test_filters_shows_the_learned_weights_and_the_feature_maps(tmp_path, xo_run) -> None:
    from cnntool.engine.builder import load

    weights = load(xo_run / "model.npz").state_dict()["0.weight"]
    result = runner.invoke(app, ["filters", str(xo_run), "--image", f"@{_letter_png(tmp_path, 'o')}"],
                           env={"COLUMNS": "120", "NO_COLOR": "1"})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "layer 1 (conv 4 k3): 4 filters of 1×3×3" in result.stdout
    assert f"{weights[2, 0, 1, 1]:6.2f}" in result.stdout  # the plain form prints each weight
    assert "layer 1 (conv 4 k3) + relu: 4 maps of 7×7" in result.stdout


def test_bad_images_get_one_line(tmp_path, xo_run) -> None:
    cases = {
        "big.png": encode(np.zeros((1, 1), np.uint8))[:16]
        + (5000).to_bytes(4, "big") * 2
        + bytes([8, 0, 0, 0, 0]),
        "text.png": b"hello",
        "cut.png": encode(np.zeros((4, 4), np.uint8))[:-20],
    }
    expect = {"big.png": "pixels of one input image", "text.png": "not a PNG", "cut.png": "truncated"}
    for name, body in cases.items():
        (tmp_path / name).write_bytes(body)
        result = runner.invoke(
            app, ["predict", str(xo_run), "--image", f"@{tmp_path / name}"], env={"COLUMNS": "200"}
        )
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and expect[name] in lines[0], result.stderr
    wrong = runner.invoke(app, ["predict", str(xo_run), "--image", "1 2; 3 4"], env={"COLUMNS": "200"})
    assert wrong.exit_code == 2 and "2x2 but the model takes 1x9x9" in wrong.stderr


def test_a_png_that_inflates_beyond_its_header_is_cut_off() -> None:
    import struct
    import zlib

    from tests.training.png import chunk

    header = struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0)
    bomb = zlib.compress(bytes(50_000_000))  # 50 MB of zeros in ~50 kB
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", bomb) + chunk(b"IEND", b"")
    with pytest.raises(CnnToolError, match="its header says 20"):
        decode_png(data)
