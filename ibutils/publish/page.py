"""What a page (a notebook the pipeline executes) calls, so that notebooks need no ``def``.

A chapter saves its tidy results with :func:`save_table`, asks which profile it is
executed at with :func:`profile`, and a summary page reads what the chapters saved
with :func:`read_table` / :func:`read_tables`. Numbers with their uncertainty are
written as text with :func:`fmt_ci` and glued into the page's prose with
:func:`glue_ci`.

Like the rest of :mod:`ibutils.publish`, this module imports neither the library
nor the studies: :func:`glue_ci` takes a ``(mean, low, high)`` triple already
computed (for instance by :func:`ibutils.stats.mean_ci`).
"""
from __future__ import annotations

import contextlib
import math
import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

#: Set by the pipeline while it executes a notebook: the folder for its tables.
RESULTS_ENV = "IBUTILS_RESULTS_DIR"
#: Set by the pipeline while it executes a notebook: the profile it runs at.
PROFILE_ENV = "IBUTILS_PROFILE"


def current_umask() -> int:
    """The process's file-mode creation mask (read without changing it for long)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    Parameters
    ----------
    path : str or Path
        The file to write. Its folder is created if missing.

    Yields
    ------
    Path
        A temporary file in the same folder; write to it inside the ``with`` block.

    Notes
    -----
    On an exception the temporary file is removed and ``path`` is left as it was,
    so an interrupted run never leaves a half-written result.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp's 0600 -> what open() would give (0644 under umask 022)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_table(df: pd.DataFrame, name: str) -> Path | None:
    """Save a tidy result table as CSV beside the executed notebook.

    Parameters
    ----------
    df : pandas.DataFrame
        The table (its index is not written).
    name : str
        File name without extension: the table is ``<results>/<name>.csv``.

    Returns
    -------
    Path or None
        The path written, or ``None`` outside the pipeline (interactive use, nbval),
        where nothing is written.

    Notes
    -----
    The pipeline sets ``IBUTILS_RESULTS_DIR`` while it executes a notebook; the
    write is atomic.
    """
    out = os.environ.get(RESULTS_ENV)
    if not out:
        return None
    path = Path(out) / f"{name}.csv"
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)
    return path


def profile() -> str:
    """The profile the pipeline is executing this notebook at.

    Returns
    -------
    str
        ``quick``, ``standard`` or ``paper``; ``defaults`` outside the pipeline.
    """
    return os.environ.get(PROFILE_ENV, "defaults")


def results_root(results_dir: str | Path | None = None) -> Path | None:
    """The folder holding every setting's results (``book/executed``), if known.

    Parameters
    ----------
    results_dir : str, Path or None
        An explicit folder (a notebook's ``results_dir`` parameter); ``""`` means
        "not available" (the committed notebooks' default, for nbval). ``None``:
        the executed folder of the pipeline, i.e. the parent of
        ``IBUTILS_RESULTS_DIR``, when the pipeline runs this notebook.

    Returns
    -------
    Path or None
        ``None`` when no folder is known.
    """
    if results_dir is None:
        own = os.environ.get(RESULTS_ENV)
        return Path(own).resolve().parent if own else None
    if str(results_dir) == "":
        return None
    return Path(results_dir)


def read_table(setting: str, table: str, results_dir: str | Path | None = None) -> pd.DataFrame | None:
    """Read a table another setting saved with :func:`save_table`.

    Parameters
    ----------
    setting : str
        The setting's name (the stem of its params file), e.g. ``"plane_bias"``.
    table : str
        The table's name, e.g. ``"compression"``.
    results_dir : str, Path or None
        Where the settings' results are (see :func:`results_root`): ``None`` for the
        pipeline's executed folder, ``""`` for "not available".

    Returns
    -------
    pandas.DataFrame or None
        ``<results_dir>/<setting>/<table>.csv``, or ``None`` when the folder is not
        known or the file does not exist (the setting has not been executed yet).
    """
    root = results_root(results_dir)
    if root is None:
        return None
    path = root / setting / f"{table}.csv"
    return pd.read_csv(path) if path.is_file() else None


def read_tables(settings: Iterable[str], table: str, results_dir: str | Path | None = None) -> pd.DataFrame | None:
    """Read one table of many settings and stack them, with a ``setting`` column.

    Parameters
    ----------
    settings : iterable of str
        Setting names (a dict iterates over its keys).
    table : str
        The table's name.
    results_dir : str, Path or None
        As in :func:`read_table`.

    Returns
    -------
    pandas.DataFrame or None
        The tables found, in the order of ``settings``, with the setting's name in a
        first column ``setting`` (a table that already has a ``setting`` column
        keeps it); ``None`` when none was found. Settings without the table are
        left out.
    """
    frames = []
    for s in settings:
        df = read_table(s, table, results_dir)
        if df is None:
            continue
        if "setting" not in df.columns:
            df.insert(0, "setting", s)
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else None


def rounded(df: pd.DataFrame, nd: int = 3) -> pd.DataFrame:
    """A table as a page shows it: numeric columns rounded to ``nd`` decimals, without negative zero.

    Estimates that differ in the last float bits between machines or kernels (e.g. -1e-9 and 0) would
    otherwise print as ``-0.000`` on one and ``0.000`` on the other.
    """
    out = df.round(nd)
    num = out.select_dtypes("number").columns
    out[num] = out[num] + 0.0  # IEEE: -0.0 + 0.0 == +0.0
    return out


def _finite(*values) -> bool:
    try:
        return all(math.isfinite(float(v)) for v in values)
    except (TypeError, ValueError):
        return False


def fmt_ci(mean: float, lo: float, hi: float, nd: int = 3, unit: str = "",
           bounds: tuple[float, float] | None = None) -> str:
    """A number with its interval as text: ``"m [lo, hi]"``.

    Parameters
    ----------
    mean, lo, hi : float
        The estimate and the ends of its interval.
    nd : int
        Decimals.
    unit : str
        Appended after the interval (e.g. ``" bits"``).
    bounds : (low, high), optional
        The range of the quantity (e.g. ``(0, 1)`` for an accuracy): the interval is shown clipped to it
        (as :func:`ibutils.stats.mean_ci` clips with ``bounds``).

    Returns
    -------
    str
        E.g. ``fmt_ci(0.1234, 0.1, 0.15)`` is ``"0.123 [0.100, 0.150]"``; ``"n/a"``
        when ``mean`` is not finite, and ``"m [n/a]"`` when only the interval is not.
    """
    if not _finite(mean):
        return "n/a"
    if not _finite(lo, hi):
        return f"{float(mean):.{nd}f} [n/a]{unit}"
    if bounds is not None:  # as ibutils.stats.clip_interval (publish does not import the library)
        lo, hi = max(float(lo), float(bounds[0])), min(float(hi), float(bounds[1]))
    return f"{float(mean):.{nd}f} [{float(lo):.{nd}f}, {float(hi):.{nd}f}]{unit}"


def _glue(key: str, value) -> None:
    from myst_nb import glue

    glue(key, value, display=False)


def glue_ci(key: str, mci: tuple[float, float, float], nd: int = 3) -> str:
    """Glue a mean and its interval under ``key``, ``key_lo`` and ``key_hi``.

    Parameters
    ----------
    key : str
        The glue name of the mean; the interval's ends are ``<key>_lo`` and ``<key>_hi``.
    mci : (float, float, float)
        Mean, lower and upper end, e.g. what :func:`ibutils.stats.mean_ci` returns.
    nd : int
        Decimals the glued values are rounded to.

    Returns
    -------
    str
        The triple as text (:func:`fmt_ci`), for a table or a sentence.

    Notes
    -----
    Values are glued with ``myst_nb.glue(..., display=False)`` as rounded floats;
    a value that is not finite is glued as the text ``"n/a"``.
    """
    mean, lo, hi = mci
    for name, value in ((key, mean), (f"{key}_lo", lo), (f"{key}_hi", hi)):
        _glue(name, round(float(value), nd) if _finite(value) else "n/a")
    return fmt_ci(mean, lo, hi, nd)
