"""Tishby's 12-bit set: the published ``var_u.mat``, its splits, and comparisons with a regenerated set
(Shwartz-Ziv & Tishby 2017, sec. 3.1; Saxe et al. 2018's fixed 80/20 split)."""
from __future__ import annotations

import logging
from typing import Any

import numpy as np

from .files import (
    _SAXE_NPZ,
    Dataset,
    FetchedFile,
    fetch,
)
from .generate import N_BITS, active_bits, all_patterns, label_information, share_by_active_bits  # noqa: F401

logger = logging.getLogger(__name__)

_SPLITS = ("saxe", "tishby", "random", "none")


def load_var_u(*, download: bool | None = None) -> tuple[np.ndarray, np.ndarray, FetchedFile]:
    """Read Tishby's ``var_u.mat``: all 4096 12-bit patterns and their labels.

    Returns
    -------
    F : numpy.ndarray
        ``uint8``, shape ``(4096, 12)``, rows in binary-counting order.
    y : numpy.ndarray
        ``int64``, shape ``(4096,)``, 2118 ones (``H(Y) = 0.99916`` bits).
    file : FetchedFile
    """
    from scipy.io import loadmat

    file = fetch("harmonics/var_u.mat", download=download)
    mat = loadmat(file.path)
    F = np.asarray(mat["F"], dtype=np.uint8)
    y = np.asarray(mat["y"]).ravel().astype(np.int64)
    if F.shape != (4096, 12) or y.shape != (4096,):
        raise ValueError(f"{file.label}: unexpected shapes F {F.shape}, y {y.shape}")
    return F, y, file


def _pattern_codes(X: np.ndarray) -> np.ndarray:
    """Integer value of each binary row (column 0 = most significant bit)."""
    X = np.asarray(X).astype(np.int64)
    return X @ (1 << np.arange(X.shape[1] - 1, -1, -1, dtype=np.int64))


def _rows_of(patterns: np.ndarray, F: np.ndarray) -> np.ndarray:
    """Index into ``F`` of each row of ``patterns`` (every row of F is distinct)."""
    codes_F = _pattern_codes(F)
    order = np.argsort(codes_F)
    codes = _pattern_codes(patterns)
    pos = np.searchsorted(codes_F, codes, sorter=order)
    pos = np.clip(pos, 0, codes_F.size - 1)
    idx = order[pos]
    if not np.array_equal(codes_F[idx], codes):
        raise ValueError("split file contains patterns that are not in var_u.mat")
    return idx


def _stratified_split(y: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded stratified split; ``round(test_fraction * n)`` test rows shared by largest remainder."""
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(y, return_counts=True)
    n_test = int(round(test_fraction * y.size))
    exact = n_test * counts / y.size
    per_class = np.floor(exact).astype(np.int64)
    short = n_test - per_class.sum()
    per_class[np.argsort(-(exact - per_class), kind="stable")[:short]] += 1
    test = np.concatenate(
        [rng.permutation(np.flatnonzero(y == c))[:k] for c, k in zip(classes, per_class)]
    )
    mask = np.zeros(y.size, dtype=bool)
    mask[test] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def _tishby_split(n: int, test_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """IDNNs' ``data_shuffle(data, percent_of_train)`` with its default ``shuffle_data=False``.

    Train = the first ``rint(p n)`` rows; test = the rest, except that for
    ``p > 80 %`` the test set starts at ``rint(0.8 n)`` (``min_test_data=80``),
    i.e. overlaps the training set, as in the original code.
    """
    p = 1.0 - test_fraction
    stop_train = int(np.rint(p * n))
    start_test = int(np.rint(0.8 * n)) if p > 0.8 else stop_train
    return np.arange(stop_train), np.arange(start_test, n)


def load_harmonics(
    split: str = "saxe",
    *,
    zero_mean: bool = False,
    seed: int = 0,
    test_fraction: float = 0.2,
    source: str = "original",
    generate_kwargs: dict[str, Any] | None = None,
    download: bool | None = None,
) -> Dataset:
    """Tishby's 12-bit harmonics dataset (4096 patterns, binary labels).

    Parameters
    ----------
    split : {"saxe", "tishby", "random", "none"}
        ``"saxe"``: the fixed 80/20 split (3277/819) of Saxe et al. (2018),
        read from ``IB_data_2017_12_21_16_51_3_275766.npz`` (a random shuffle
        made once by ibsgd's ``create_IB_data``; also used by Deep Bottleneck).
        ``"tishby"``: Shwartz-Ziv & Tishby's IDNNs code
        (``data_shuffle(data, percent_of_train)`` with its default
        ``shuffle_data=False``): the *first* ``rint((1 - test_fraction) 4096)``
        rows of var_u (3277 for 20 %) in file order, unshuffled, and the rest as
        test set (from row ``rint(0.8 n)`` on when training on more than 80 %,
        overlapping the training set as in that code).  Because var_u's rows are
        in binary-counting order, this test set holds only patterns whose
        leading bits are set (more active bits, mostly ``y = 1``).
        ``"random"``: a stratified split seeded by ``seed`` with
        ``round(test_fraction 4096)`` test rows (819 for 20 %), class ratio kept.
        ``"none"``: train = test = all 4096 rows.
    zero_mean : bool
        Subtract 0.5 from the inputs (Deep Bottleneck's ``harmonics_zero_mean``).
    seed : int
        Seed of the ``"random"`` split.
    test_fraction : float
        Test share for ``"tishby"`` and ``"random"`` (``"saxe"`` is fixed at 819/4096).
    source : {"original", "generated"}
        ``"original"``: labels of ``var_u.mat``.  ``"generated"``: labels of
        :func:`ibutils.data.generate.harmonics_generation` (``generate_kwargs``) on
        the same 4096 patterns; the soft labels go into ``metadata["p_y1"]``.
    generate_kwargs : dict, optional
        Arguments of :func:`ibutils.data.generate.harmonics_generation`.
    download : bool, optional
        Allow downloads (default: unless ``IBUTILS_OFFLINE=1``).

    Returns
    -------
    Dataset
        ``X_full``/``y_full`` are the 4096 rows in var_u order; row indices of
        the split are in ``metadata["train_index"]`` / ``["test_index"]``.
        Check: ``H(Y) = 0.99916`` bits for the original labels (2118 of 4096).
    """
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {_SPLITS}, got {split!r}")
    if source not in ("original", "generated"):
        raise ValueError(f"source must be 'original' or 'generated', got {source!r}")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    if split == "saxe" and not np.isclose(test_fraction, 0.2):
        raise ValueError("test_fraction applies to split='tishby'/'random'; 'saxe' is fixed at 819/4096")
    if generate_kwargs is not None and source != "generated":
        raise ValueError("generate_kwargs needs source='generated'")

    metadata: dict[str, Any] = dict(split=split, zero_mean=zero_mean, label_source=source)
    sources: list[str] = []
    if source == "original":
        F, y, file = load_var_u(download=download)
        sources.append(file.label)
    else:
        from .generate import harmonics_generation

        gen = harmonics_generation(**(generate_kwargs or {}))
        F, y = gen.X, gen.y
        metadata.update(p_y1=gen.p_y1, threshold=gen.threshold, generation=gen.params)
        sources.append("generated: ibutils.data.generate(" + ", ".join(f"{k}={v}" for k, v in gen.params.items()) + ")")

    n = F.shape[0]
    if split == "saxe":
        file = fetch("harmonics/" + _SAXE_NPZ, download=download)
        with np.load(file.path) as npz:
            train_index = _rows_of(npz["X_train"], F)
            test_index = _rows_of(npz["X_test"], F)
            if source == "original" and not (
                np.array_equal(npz["y_train"].astype(np.int64), y[train_index])
                and np.array_equal(npz["y_test"].astype(np.int64), y[test_index])
            ):
                raise ValueError(f"{file.label}: labels disagree with var_u.mat")
        sources.append(file.label + ", rows only" if source == "generated" else file.label)
    elif split == "tishby":
        train_index, test_index = _tishby_split(n, test_fraction)
    elif split == "random":
        train_index, test_index = _stratified_split(y, test_fraction, seed)
        metadata["seed"] = seed
    else:
        train_index = test_index = np.arange(n)
    metadata.update(train_index=train_index, test_index=test_index)

    X = F.astype(np.float32) - (np.float32(0.5) if zero_mean else np.float32(0.0))
    y = y.astype(np.int64)
    return Dataset(
        X_train=X[train_index], y_train=y[train_index],
        X_test=X[test_index], y_test=y[test_index],
        X_full=X, y_full=y.copy(),
        name="harmonics_zero_mean" if zero_mean else "harmonics",
        source="; ".join(sources),
        metadata=metadata,
    )




def compare_with_original(
    y_or_p: np.ndarray,
    X: np.ndarray | None = None,
    *,
    original: np.ndarray | None = None,
) -> dict[str, Any]:
    """Compare a label vector (or ``p(y=1|x)``) with ``var_u.mat``'s labels.

    Parameters
    ----------
    y_or_p : numpy.ndarray
        Labels or soft labels for the patterns ``X``.
    X : numpy.ndarray, optional
        Patterns (default: all 4096 in var_u order).
    original : numpy.ndarray, optional
        Original labels in var_u order; default: loaded with
        :func:`ibutils.data.load_var_u`.

    Returns
    -------
    dict
        ``"by_active_bits"``: DataFrame indexed by the number of active bits with
        columns ``n_patterns``, ``original_pct``, ``generated_pct``;
        ``"summary"``: DataFrame indexed by ``p_y1``, ``H_Y``, ``H_Y_given_X``,
        ``I_XY`` with columns ``original``, ``generated`` (bits).
    """
    import pandas as pd

    if original is None:
        _, original, _ = load_var_u()
    X_orig = all_patterns(N_BITS)
    by_bits = pd.DataFrame(
        {
            "n_patterns": np.bincount(active_bits(X), minlength=N_BITS + 1),
            "original_pct": 100 * share_by_active_bits(original, X_orig),
            "generated_pct": 100 * share_by_active_bits(y_or_p, X),
        }
    )
    by_bits.index.name = "active_bits"
    summary = pd.DataFrame(
        {"original": label_information(original), "generated": label_information(y_or_p)}
    )
    return {"by_active_bits": by_bits, "summary": summary}


__all__ = ["load_var_u", "load_harmonics", "compare_with_original"]
