"""`cnntool data list` and `cnntool data fetch`: outputs valid against docs/schemas/, bad input exits 2
with one line, and the command module imports no numpy at its module level."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnntool.cli.app import app
from cnntool.data.remote import REMOTES
from tests.datasets.fakes import closed_port_url, remote_for, tiny_mnist

jsonschema = pytest.importorskip(
    "jsonschema", reason="jsonschema is in the test extra: pip install '.[test]'"
)

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"
runner = CliRunner()


def validator(name: str):
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _bad(args: list[str], *fragments: str) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def fake_mnist(monkeypatch):
    """MNIST's catalogue entry swapped for small generated files (an unreachable mirror: offline)."""
    data = tiny_mnist()
    monkeypatch.setitem(REMOTES, "mnist", remote_for("mnist", data.files, [closed_port_url()]))
    return data


def test_list_json_is_valid_and_true(cache) -> None:
    result = runner.invoke(app, ["data", "list", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    validator("data-list").validate(document)
    assert document["cache_dir"] == str(cache)
    entries = {e["name"]: e for e in document["datasets"]}
    assert list(entries) == ["xo", "shapes", "sine", "adding", "copy", "parity", "text", "digits", "mnist",
                             "fashion-mnist", "cifar10"]  # fmt: skip
    assert entries["xo"]["input_shape"] == [1, 9, 9] and entries["xo"]["sizes"] == {"train": 800, "val": 200}
    assert entries["adding"]["input_shape"] == [50, 2] and entries["adding"]["task"] == "regression"
    assert entries["mnist"]["download_bytes"] == 11_594_722 and entries["mnist"]["cached"] is False
    assert entries["cifar10"]["sizes"] == {"train": 45_000, "val": 5_000, "test": 10_000}
    assert entries["text"]["sizes"] is None and "file" in entries["text"]["options"]
    assert "seq_len" in entries["adding"]["options"]


def test_list_human_table(cache) -> None:
    result = runner.invoke(app, ["data", "list"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "1x28x28" in result.stdout and "170.1 MB" in result.stdout and str(cache) in result.stdout
    xo_row = next(line for line in result.stdout.splitlines() if line.startswith("│ xo "))
    assert "classification" in xo_row and "1x9x9" in xo_row and "800" in xo_row and "generated" in xo_row


def test_fetch_from_folder_then_cached_then_listed(cache, fake_mnist, tmp_path) -> None:
    source = tmp_path / "downloads"
    source.mkdir()
    for name, body in fake_mnist.files.items():
        (source / name).write_bytes(body)
    check = validator("data-fetch")
    result = runner.invoke(app, ["data", "fetch", "mnist", "--from", str(source), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    check.validate(document)
    assert document["status"] == "imported" and document["directory"] == str(cache / "mnist")
    assert [f["origin"] for f in document["files"]] == [str(source / n) for n in fake_mnist.files]
    again = runner.invoke(app, ["data", "fetch", "MNIST", "--json"])  # cached: no network needed
    assert again.exit_code == 0, again.output
    document = json.loads(again.stdout)
    check.validate(document)
    assert document["status"] == "cached" and {f["status"] for f in document["files"]} == {"cached"}
    human = runner.invoke(app, ["data", "fetch", "mnist"])
    assert human.exit_code == 0 and "mnist: cached, verified, in" in human.stdout
    listed = json.loads(runner.invoke(app, ["data", "list", "--json"]).stdout)
    assert next(e for e in listed["datasets"] if e["name"] == "mnist")["cached"] is True


def test_fetch_generated_dataset_needs_nothing(cache) -> None:
    result = runner.invoke(app, ["data", "fetch", "xo", "--json"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    validator("data-fetch").validate(document)
    assert document == {"name": "xo", "status": "generated", "directory": None, "files": []}
    assert "nothing to fetch" in runner.invoke(app, ["data", "fetch", "parity"]).stdout


def test_unknown_name_suggests_the_closest() -> None:
    _bad(["data", "fetch", "mnsit"], "unknown dataset 'mnsit'", "did you mean 'mnist'?")
    _bad(["data", "fetch", "fashon-mnist", "--json"], "did you mean 'fashion-mnist'?")


def test_offline_says_how_to_import(cache, fake_mnist) -> None:
    line = _bad(["data", "fetch", "mnist"], "could not download mnist", "Connection refused",
                "then run: cnntool data fetch mnist --from FOLDER")  # fmt: skip
    assert "train-images-idx3-ubyte.gz" in line
    assert not (cache / "mnist").exists()


def test_from_folder_errors(cache, fake_mnist, tmp_path) -> None:
    _bad(["data", "fetch", "mnist", "--from", str(tmp_path / "nowhere")], "does not exist")
    source = tmp_path / "partial"
    source.mkdir()
    (source / "train-images-idx3-ubyte.gz").write_bytes(fake_mnist.files["train-images-idx3-ubyte.gz"])
    _bad(["data", "fetch", "mnist", "--from", str(source)], "has no train-labels-idx1-ubyte.gz",
         "mnist needs train-images-idx3-ubyte.gz, train-labels")  # fmt: skip
    for name, body in fake_mnist.files.items():
        (source / name).write_bytes(body)
    damaged = bytearray(fake_mnist.files["t10k-images-idx3-ubyte.gz"])
    damaged[50] ^= 0xFF
    (source / "t10k-images-idx3-ubyte.gz").write_bytes(bytes(damaged))
    _bad(["data", "fetch", "mnist", "--from", str(source), "--json"], "t10k-images-idx3-ubyte.gz: SHA-256",
         "not the official download")  # fmt: skip
    leftovers = [p.name for p in (cache / "mnist").iterdir()]
    assert "t10k-images-idx3-ubyte.gz" not in leftovers and not [n for n in leftovers if n.endswith(".tmp")]
    _bad(["data", "fetch", "xo", "--from", str(source)], "xo is not downloaded (generated)")


def test_help_teaches_with_examples() -> None:
    group = runner.invoke(app, ["data", "--help"], env={"COLUMNS": "200"})
    assert group.exit_code == 0 and "CNNTOOL_DATA_DIR" in group.stdout and "--from FOLDER" in group.stdout
    fetch = runner.invoke(app, ["data", "fetch", "--help"], env={"COLUMNS": "200"})
    assert "cnntool data fetch fashion-mnist --from ~/Downloads/fashion" in fetch.stdout
    listing = runner.invoke(app, ["data", "list", "--help"], env={"COLUMNS": "200"})
    assert "1x9x9 | conv 3 k3" in listing.stdout


def test_command_module_imports_no_numpy() -> None:
    code = "import sys, cnntool.cli.data, cnntool.cli.app; print('numpy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
