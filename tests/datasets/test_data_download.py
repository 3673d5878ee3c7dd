"""The verified download cache, against a local HTTP server on 127.0.0.1 (never the internet).

Each test builds its own catalogue entry with the sizes and SHA-256 of small generated files,
then checks what the cache holds afterwards: whole verified files, or nothing at all.
"""

from __future__ import annotations

import hashlib
import sys

import numpy as np
import pytest

from cnntool.data import FetchError, ImportFilesError, load
from cnntool.data import download as dl
from cnntool.data.public import NotCachedError
from cnntool.data.remote import REMOTES, Remote, RemoteFile
from tests.datasets.fakes import closed_port_url, remote_for, tiny_cifar_tar, tiny_mnist


def _leftovers(root) -> list[str]:
    """Every file and folder under the cache root (temporary files included)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def _mnist_remote(server, mode: str = "ok", extra_mirrors: tuple[str, ...] = ()):
    data = tiny_mnist()
    base = server.serve(mode, data.files, mode)
    return data, remote_for("mnist", data.files, [*extra_mirrors, base])


def test_download_verifies_caches_and_never_downloads_twice(server, cache) -> None:
    data, remote = _mnist_remote(server)
    seen = []
    result = dl.fetch(remote, root=cache, progress=lambda name, done, total: seen.append((name, done, total)))
    assert result.status == "downloaded" and [f.status for f in result.files] == ["downloaded"] * 4
    for name, body in data.files.items():
        assert (cache / "mnist" / name).read_bytes() == body
    last = len(data.files["t10k-labels-idx1-ubyte.gz"])
    assert seen[-1] == ("t10k-labels-idx1-ubyte.gz", last, last)
    assert _leftovers(cache) == ["mnist"] + [f"mnist/{n}" for n in sorted(data.files)]
    hits = sum(server.hits.values())
    again = dl.fetch(remote, root=cache)
    assert again.status == "cached" and sum(server.hits.values()) == hits  # no second download
    assert dl.is_cached(remote, cache)


def test_loaded_mnist_from_the_cache(server, cache, monkeypatch) -> None:
    data, remote = _mnist_remote(server)
    monkeypatch.setitem(REMOTES, "mnist", remote)
    ds = load("mnist", seed=4)
    assert ds.input_shape == (1, 28, 28) and ds.sizes() == {"train": 27, "val": 3, "test": 10}
    assert np.array_equal(ds.x_test[:, 0], data.test_x.astype(np.float32) / 255)
    assert ds.y_test.tolist() == data.test_y.tolist() and ds.class_names[3] == "3"
    assert len(set(ds.y_val.tolist())) == 3  # stratified: three images of three different digits
    pairs = {bytes(x.tobytes()): y for x, y in zip(data.train_x.astype(np.float32) / 255, data.train_y)}
    for x, y in zip(np.concatenate([ds.x_train, ds.x_val])[:, 0], np.concatenate([ds.y_train, ds.y_val])):
        assert pairs[x.tobytes()] == y
    assert load("mnist", seed=4, limit=20).sizes() == {"train": 18, "val": 2, "test": 10}


def test_not_cached_without_download(server, cache, monkeypatch) -> None:
    with pytest.raises(NotCachedError, match=r"not \(whole\) in the dataset cache"):
        load("cifar10", download_missing=False)
    assert _leftovers(cache) == []
    data, remote = _mnist_remote(server)
    monkeypatch.setitem(REMOTES, "mnist", remote)
    dl.fetch(remote, root=cache)
    hits = sum(server.hits.values())
    assert load("mnist", download_missing=False).sizes()["test"] == 10
    target = cache / "mnist" / "t10k-labels-idx1-ubyte.gz"
    target.write_bytes(b"\0" * target.stat().st_size)  # damaged: right size, wrong bytes
    with pytest.raises(NotCachedError):
        load("mnist", download_missing=False)
    assert sum(server.hits.values()) == hits  # nothing was downloaded


def test_cifar10_from_a_local_server(server, cache, monkeypatch) -> None:
    blob, train_x, train_y, test_x, test_y = tiny_cifar_tar()
    remote = remote_for(
        "cifar10", {"cifar-10-binary.tar.gz": blob}, [server.serve("c", {"cifar-10-binary.tar.gz": blob})]
    )
    monkeypatch.setitem(REMOTES, "cifar10", remote)
    ds = load("cifar10", val_fraction=0.2)
    assert ds.input_shape == (3, 32, 32) and ds.sizes() == {"train": 16, "val": 4, "test": 5}
    assert np.array_equal(ds.x_test, test_x.astype(np.float32) / 255) and ds.y_test.tolist() == [
        3,
        1,
        4,
        1,
        5,
    ]
    assert ds.class_names[0] == "airplane" and ds.class_names[9] == "truck"
    assert sorted(np.concatenate([ds.y_train, ds.y_val]).tolist()) == sorted(train_y.tolist())


def test_a_dead_mirror_falls_back_to_the_next(server, cache) -> None:
    _, remote = _mnist_remote(server, extra_mirrors=(closed_port_url(),))
    result = dl.fetch(remote, root=cache)
    assert result.status == "downloaded" and all(f.origin.startswith(server.url) for f in result.files)


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("truncate", r"truncated: [0-9,]+ of [0-9,]+ bytes"),
        ("short", "truncated"),
        ("long", "more than the expected"),
        ("announce-more", "the server announces"),
        ("404", "HTTP error 404 Not Found"),
    ],
)
def test_bad_transfers_leave_nothing(server, cache, mode: str, reason: str) -> None:
    _, remote = _mnist_remote(server, mode)
    with pytest.raises(FetchError, match=reason) as caught:
        dl.fetch(remote, root=cache)
    assert "train-images-idx3-ubyte.gz" in str(caught.value)
    assert _leftovers(cache) == []


def test_corrupt_file_or_wrong_checksum_is_refused(server, cache) -> None:
    data = tiny_mnist()
    broken = dict(data.files)
    body = bytearray(broken["t10k-images-idx3-ubyte.gz"])
    body[100] ^= 0xFF  # same size, one byte changed
    broken["t10k-images-idx3-ubyte.gz"] = bytes(body)
    base = server.serve("corrupt", broken)
    remote = remote_for("mnist", data.files, [base])
    with pytest.raises(FetchError, match="SHA-256 .* is not the published"):
        dl.fetch(remote, root=cache)
    # The two files before it arrived whole and verified; the damaged one left nothing behind.
    assert _leftovers(cache) == [
        "mnist",
        "mnist/train-images-idx3-ubyte.gz",
        "mnist/train-labels-idx1-ubyte.gz",
    ]
    wrong = Remote("mnist", (RemoteFile("x.gz", 4, "0" * 64),), (server.serve("w", {"x.gz": b"abcd"}),), "h")
    with pytest.raises(FetchError, match="is not the published 0000000000000000"):
        dl.fetch(wrong, root=cache / "other")
    assert _leftovers(cache / "other") == []


def test_offline_message_says_what_from_where_and_how_to_import(cache) -> None:
    data = tiny_mnist()
    remote = remote_for("mnist", data.files, [closed_port_url()])
    with pytest.raises(FetchError) as caught:
        dl.fetch(remote, root=cache, how_to_import="cnntool data fetch mnist --from FOLDER")
    message = str(caught.value)
    assert "could not download mnist" in message and "Connection refused" in message
    assert "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images" in message
    assert remote.mirrors[0] in message and message.endswith("cnntool data fetch mnist --from FOLDER")
    assert "\n" not in message and _leftovers(cache) == []
    with pytest.raises(FetchError, match=r"cnntool.data.fetch\('mnist', source_dir=FOLDER\)"):
        dl.fetch(remote, root=cache)


def test_interrupted_download_leaves_no_temporary_file(server, cache) -> None:
    _, remote = _mnist_remote(server)

    def interrupt(name: str, done: int, total: int) -> None:
        if done > 1000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        dl.fetch(remote, root=cache, progress=interrupt)
    assert _leftovers(cache) == []


def test_a_damaged_cached_file_is_fetched_again(server, cache) -> None:
    data, remote = _mnist_remote(server)
    dl.fetch(remote, root=cache)
    target = cache / "mnist" / "train-labels-idx1-ubyte.gz"
    body = bytearray(target.read_bytes())
    body[-1] ^= 1
    target.write_bytes(bytes(body))
    assert dl.is_cached(remote, cache)  # the cheap check sees the right size ...
    result = dl.fetch(remote, root=cache)  # ... the verified one sees the damage and downloads again
    assert [f.status for f in result.files] == ["cached", "downloaded", "cached", "cached"]
    assert target.read_bytes() == data.files["train-labels-idx1-ubyte.gz"]


def test_import_from_a_folder(tmp_path, cache) -> None:
    data = tiny_mnist()
    remote = remote_for("mnist", data.files, [closed_port_url()])
    source = tmp_path / "downloads"
    source.mkdir()
    for name, body in data.files.items():
        (source / name).write_bytes(body)
    result = dl.fetch(remote, root=cache, source_dir=source)
    assert result.status == "imported" and all(f.origin == str(source / f.name) for f in result.files)
    for name, body in data.files.items():
        assert hashlib.sha256((cache / "mnist" / name).read_bytes()).digest() == hashlib.sha256(body).digest()
    assert dl.fetch(remote, root=cache, source_dir=source).status == "cached"


def test_import_refuses_missing_wrong_and_corrupt_files(tmp_path, cache) -> None:
    data = tiny_mnist()
    remote = remote_for("mnist", data.files, [closed_port_url()])
    with pytest.raises(ImportFilesError, match="does not exist"):
        dl.fetch(remote, root=cache, source_dir=tmp_path / "nowhere")
    source = tmp_path / "src"
    source.mkdir()
    for name, body in data.files.items():
        if name != "t10k-labels-idx1-ubyte.gz":
            (source / name).write_bytes(body)
    (source / "t10k-labels-idx1-ubyte").write_bytes(b"unpacked")
    with pytest.raises(
        ImportFilesError, match=r"no t10k-labels-idx1-ubyte.gz \(t10k-labels-idx1-ubyte is there"
    ):
        dl.fetch(remote, root=cache, source_dir=source)
    assert _leftovers(cache) == []  # nothing copied while a file is missing
    (source / "t10k-labels-idx1-ubyte.gz").write_bytes(data.files["t10k-labels-idx1-ubyte.gz"] + b"x")
    with pytest.raises(ImportFilesError, match="has .* bytes, the official file has"):
        dl.fetch(remote, root=cache, source_dir=source)
    body = bytearray(data.files["t10k-labels-idx1-ubyte.gz"])
    body[20] ^= 0x55
    (source / "t10k-labels-idx1-ubyte.gz").write_bytes(bytes(body))
    with pytest.raises(ImportFilesError, match="SHA-256 .* not the official download"):
        dl.fetch(remote, root=cache, source_dir=source)
    names = [p for p in _leftovers(cache) if "t10k-labels" in p or p.endswith(".tmp")]
    assert names == []


def test_cache_folder_from_the_environment_or_platformdirs(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CNNTOOL_DATA_DIR", str(tmp_path / "here"))
    assert dl.data_dir() == tmp_path / "here"
    assert dl.dataset_dir(REMOTES["cifar10"]) == tmp_path / "here" / "cifar10"
    monkeypatch.delenv("CNNTOOL_DATA_DIR")
    pytest.importorskip("platformdirs", reason="platformdirs (a dependency) is not installed")
    if not sys.platform.startswith("linux"):
        pytest.skip("the XDG cache folder is Linux's convention")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert dl.data_dir() == tmp_path / "xdg" / "cnntool" / "datasets"


def test_the_official_catalogue() -> None:
    # Sizes and checksums from TensorFlow Datasets' url_checksums (see cnntool/data/remote.py).
    assert REMOTES["mnist"].total_bytes == 9_912_422 + 28_881 + 1_648_877 + 4_542
    assert REMOTES["cifar10"].files[0].size == 170_052_171
    for remote in REMOTES.values():
        assert all(len(f.sha256) == 64 and int(f.sha256, 16) >= 0 for f in remote.files)
        assert all(url.endswith("/") for url in remote.mirrors)
    assert REMOTES["cifar10"].urls(REMOTES["cifar10"].files[0]) == [
        "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    ]
