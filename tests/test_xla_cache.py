"""The XLA compilation cache folder chosen in ibutils/__init__.py (IBUTILS_XLA_CACHE)."""
import os

import ibutils


def test_cache_folder_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("IBUTILS_XLA_CACHE", str(tmp_path / "xla"))
    assert ibutils._xla_cache_dir() == str(tmp_path / "xla")
    for off in ("off", "", "0", "none", "OFF"):
        monkeypatch.setenv("IBUTILS_XLA_CACHE", off)
        assert ibutils._xla_cache_dir() is None
    monkeypatch.delenv("IBUTILS_XLA_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert ibutils._xla_cache_dir() == os.path.join(str(tmp_path / "cache"), "ibutils", "xla")


def test_tensorflow_is_told_the_folder():
    # set at import unless IBUTILS_XLA_CACHE=off (the tests run with the default or a named folder)
    if ibutils._xla_cache_dir() is not None:
        assert "--tf_xla_persistent_cache_directory=" in os.environ.get("TF_XLA_FLAGS", "")
