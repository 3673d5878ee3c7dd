"""Where the public datasets come from: official file names, URLs, sizes and SHA-256 checksums.

Nothing here downloads (that is cnntool.data.download); this module is the catalogue of what a
verified download must produce. A file counts only when its size and SHA-256 equal these.

Sources of the numbers (looked up in public sources, not measured here):
- SHA-256 and sizes: TensorFlow Datasets' URL checksum files
  github.com/tensorflow/datasets, tensorflow_datasets/url_checksums/mnist.txt (commit 31f1255e),
  fashion_mnist.txt and cifar10.txt (commit 333639b3).
- Mirrors: MNIST's original page (yann.lecun.com/exdb/mnist) no longer serves the files to
  scripts; TFDS downloads from the CVDF mirror and torchvision (torchvision/datasets/mnist.py)
  from the ossci-datasets mirror, and both serve the same bytes (equal sizes; torchvision's MD5s
  f68b3c2d…, d53e105e…, 9fb629c4…, ec29112d… describe the same files). Fashion-MNIST: Zalando's
  own bucket (github.com/zalandoresearch/fashion-mnist, as TFDS and torchvision use). CIFAR-10:
  Alex Krizhevsky's page (www.cs.toronto.edu/~kriz/cifar.html), the "CIFAR-10 binary version
  (suitable for C programs)", which is read without pickle.
A plain-HTTP mirror is safe here because the SHA-256 is checked before a file is kept.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RemoteFile:
    """One published file: its name as published, its size in bytes and its SHA-256 (hex)."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Remote:
    """The files a dataset needs and the base URLs (tried in order) that serve them as `base + name`."""

    dataset: str
    files: tuple[RemoteFile, ...]
    mirrors: tuple[str, ...]
    homepage: str

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def urls(self, file: RemoteFile) -> list[str]:
        return [base + file.name for base in self.mirrors]


MNIST = Remote(
    dataset="mnist",
    files=(
        RemoteFile(
            "train-images-idx3-ubyte.gz",
            9_912_422,
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        ),
        RemoteFile(
            "train-labels-idx1-ubyte.gz",
            28_881,
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        ),
        RemoteFile(
            "t10k-images-idx3-ubyte.gz",
            1_648_877,
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        ),
        RemoteFile(
            "t10k-labels-idx1-ubyte.gz",
            4_542,
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ),
    ),
    mirrors=(
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
    ),
    homepage="http://yann.lecun.com/exdb/mnist/",
)

FASHION_MNIST = Remote(
    dataset="fashion-mnist",
    files=(
        RemoteFile(
            "train-images-idx3-ubyte.gz",
            26_421_880,
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        ),
        RemoteFile(
            "train-labels-idx1-ubyte.gz",
            29_515,
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        ),
        RemoteFile(
            "t10k-images-idx3-ubyte.gz",
            4_422_102,
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        ),
        RemoteFile(
            "t10k-labels-idx1-ubyte.gz",
            5_148,
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        ),
    ),
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    homepage="https://github.com/zalandoresearch/fashion-mnist",
)

CIFAR10 = Remote(
    dataset="cifar10",
    files=(
        RemoteFile(
            "cifar-10-binary.tar.gz",
            170_052_171,
            "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
        ),
    ),
    mirrors=("https://www.cs.toronto.edu/~kriz/",),
    homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
)

#: The downloadable datasets by catalogue name (tests swap in a local server's files here).
REMOTES: dict[str, Remote] = {r.dataset: r for r in (MNIST, FASHION_MNIST, CIFAR10)}
