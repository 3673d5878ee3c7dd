"""Small hand-made dataset files (IDX, CIFAR-10 binary) and a local HTTP server that serves them.

Nothing here touches the internet: the server listens on 127.0.0.1, and the tests build their
own catalogue entries (Remote) with the sizes and SHA-256 they compute from these files.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import socket
import struct
import tarfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from cnntool.data.remote import Remote, RemoteFile


def idx_bytes(array: np.ndarray, code: int) -> bytes:
    """An IDX file written by hand: magic 0 0 code ndim, big-endian uint32 sizes, big-endian values."""
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(dtype).tobytes()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


@dataclass
class TinyMnist:
    """30 training and 10 test images of 28×28 (three and one per class) as the four .gz files."""

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    files: dict[str, bytes] = field(default_factory=dict)


def tiny_mnist(seed: int = 0) -> TinyMnist:
    rng = np.random.default_rng(seed)
    train_y = np.repeat(np.arange(10, dtype=np.uint8), 3)
    test_y = np.arange(10, dtype=np.uint8)
    train_x = rng.integers(0, 256, size=(30, 28, 28), dtype=np.uint8)
    test_x = rng.integers(0, 256, size=(10, 28, 28), dtype=np.uint8)
    data = TinyMnist(train_x, train_y, test_x, test_y)
    data.files = {
        "train-images-idx3-ubyte.gz": gz(idx_bytes(train_x, 0x08)),
        "train-labels-idx1-ubyte.gz": gz(idx_bytes(train_y, 0x08)),
        "t10k-images-idx3-ubyte.gz": gz(idx_bytes(test_x, 0x08)),
        "t10k-labels-idx1-ubyte.gz": gz(idx_bytes(test_y, 0x08)),
    }
    return data


def cifar_records(images: np.ndarray, labels: np.ndarray) -> bytes:
    """Records of the binary version: a label byte, then the red, green and blue 32×32 planes."""
    return b"".join(bytes([int(label)]) + image.tobytes() for image, label in zip(images, labels))


def tiny_cifar_tar(seed: int = 0) -> tuple[bytes, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(tar.gz bytes, train images, train labels, test images, test labels): 4 records per batch."""
    rng = np.random.default_rng(seed)
    train_x = rng.integers(0, 256, size=(20, 3, 32, 32), dtype=np.uint8)
    train_y = (np.arange(20) % 10).astype(np.uint8)
    test_x = rng.integers(0, 256, size=(5, 3, 32, 32), dtype=np.uint8)
    test_y = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    members = {f"cifar-10-batches-bin/data_batch_{i + 1}.bin": cifar_records(train_x[4 * i : 4 * i + 4],
                                                                              train_y[4 * i : 4 * i + 4])
               for i in range(5)}  # fmt: skip
    members["cifar-10-batches-bin/test_batch.bin"] = cifar_records(test_x, test_y)
    members["cifar-10-batches-bin/batches.meta.txt"] = b"airplane\nautomobile\n"
    return tar_gz(members), train_x, train_y, test_x, test_y


def tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def remote_for(dataset: str, files: dict[str, bytes], mirrors: list[str]) -> Remote:
    """A catalogue entry for `files`, with the sizes and SHA-256 computed here."""
    entries = tuple(RemoteFile(n, len(d), hashlib.sha256(d).hexdigest()) for n, d in files.items())
    return Remote(dataset, entries, tuple(mirrors), "http://127.0.0.1/")


class Server:
    """A threaded HTTP server on 127.0.0.1 serving `routes[path] = (body, mode)`.

    Modes: "ok"; "truncate" (announces the whole length, sends half, closes); "short" (no length,
    half the body); "long" (no length, the body twice); "announce-more" (a Content-Length one
    byte too large); "404".
    """

    def __init__(self) -> None:
        self.routes: dict[str, tuple[bytes, str]] = {}
        self.hits: Counter[str] = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args) -> None:  # keep the test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                server.hits[self.path] += 1
                body, mode = server.routes.get(self.path, (b"", "404"))
                if mode == "404":
                    self.send_error(404)
                    return
                self.send_response(200)
                if mode in ("ok", "truncate"):
                    self.send_header("Content-Length", str(len(body)))
                if mode == "announce-more":
                    self.send_header("Content-Length", str(len(body) + 1))
                self.end_headers()
                send = {"truncate": body[: len(body) // 2], "short": body[: len(body) // 2],
                        "long": body + body}.get(mode, body)  # fmt: skip
                self.wfile.write(send)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, prefix: str, files: dict[str, bytes], mode: str = "ok") -> str:
        """Serve `files` under /prefix/ and return the mirror's base URL."""
        for name, data in files.items():
            self.routes[f"/{prefix}/{name}"] = (data, mode)
        return f"{self.url}/{prefix}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens: connecting is refused, as offline."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
