"""Estimator specs of a params file, turned into the estimators the trainer takes.

A page's params file lists its estimators as plain mappings, e.g. ::

    estimators:
      - {name: bins30, kind: binning, n_bins: 30, value_range: [-1, 1]}
      - {name: kde_test, kind: kde, noise_variance: 0.001, bound: upper, subset: test}
      - {name: run_max100, kind: run_max, n_bins: 100}

Each has a ``name`` (its rows in the MI table), a ``kind``, optionally a ``subset`` of the probe
rows and the estimator's keyword arguments. :func:`parse_specs` validates them into
:class:`EstimatorSpec` (a bad spec is a ``ValueError`` naming its index and key);
:func:`make_estimators` turns them into pure callables ``f(T, y) -> MIPair`` for
:func:`ibutils.nets.train_ensemble`.

Kinds (:data:`KINDS`)
---------------------
``binning``
    :func:`ibutils.mi.binning` (``n_bins``, ``value_range``, ``bin_size``, ``strategy``).
``kde``
    :func:`ibutils.mi.kde`, Kolchinsky & Tracey's bounds (``noise_variance``, ``bound``,
    ``chunk_size``). With ``make_estimators(kde_bank=backend)`` all KDE specs on the same rows
    share one distance pass (:class:`ibutils.mi.kde_bank.KDEBank`; ``noise_variance`` and
    ``bound`` only).
``kde_sparse``
    :func:`ibutils.mi.kde_sparse.kde_sparse`, the same bounds on neighbour pairs.
``edge``
    :func:`ibutils.mi.edge` (Noshad et al. 2019) per replica: ``I(X;T)`` on the probe inputs
    (cap ``U`` 12 by default), ``I(T;Y)`` on the labels (``U`` 1); needs ``X_probe``.
``ksg``
    :func:`ibutils.mi.ksg` (Kraskov et al. 2004, algorithm 1; ``k``) per replica: ``I(X;T)`` between
    the probe inputs and the layer, ``I(T;Y)`` between the layer and the class ids; needs ``X_probe``.
``exact``
    :func:`ibutils.mi.exact.exact_mi`, distinct raw layer vectors (no keyword arguments).
``run_max``, ``range_max``
    :class:`ibutils.mi.ranged.RunMaxBinning`, bins on ``[lo, maximum activation of the run]``
    (Rasmussen 2020; ``n_bins``, ``lo``, ``strategy``). ``run_max`` defaults to 100 bins on
    ``[0, max]`` (his Setting 1.2), ``range_max`` to 30 (Settings 2.2-2.3). They need each
    replica's run maximum, known only after training, so :func:`make_estimators` skips them
    unless ``run_max`` is given (the replay of :mod:`ibutils.studies._protocols`).

Subsets (:data:`SUBSETS`): ``full`` (every probe row), ``train`` (the first ``n_train`` rows),
``test`` (the others), as in the trainer's ``mi_data="full"`` probe (training rows first).
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from .base import MIPair, on_rows
from .binning import binning
from .edge import edge
from .exact import exact_mi
from .kde import kde
from .kde_bank import KDEBank
from .kde_sparse import kde_sparse
from .ksg import ksg
from .ranged import RunMaxBinning

KINDS = ("binning", "kde", "kde_sparse", "edge", "ksg", "exact", "run_max", "range_max")
SUBSETS = ("full", "train", "test")
#: Kinds that bin on each replica's run maximum (skipped without ``run_max``).
RUN_MAX_KINDS = ("run_max", "range_max")
#: Defaults of the run-max kinds (Rasmussen's Setting 1.2: 100 bins on [0, max]; Settings 2.x: 30).
RUN_MAX_DEFAULTS = {"run_max": dict(n_bins=100, lo=0.0, strategy="uniform"),
                    "range_max": dict(n_bins=30, lo=0.0, strategy="uniform")}
_KDE_KINDS = ("kde", "kde_sparse")


def _keywords(f) -> tuple[str, ...]:
    return tuple(p.name for p in inspect.signature(f).parameters.values() if p.kind is p.KEYWORD_ONLY)


#: The keyword arguments each kind accepts.
KEYS = {
    "binning": _keywords(binning),
    "kde": _keywords(kde),
    "kde_sparse": _keywords(kde_sparse),
    "edge": _keywords(edge),
    "ksg": _keywords(ksg),
    "exact": (),
    "run_max": ("n_bins", "lo", "strategy"),
    "range_max": ("n_bins", "lo", "strategy"),
}


@dataclass(frozen=True)
class EstimatorSpec:
    """One estimator of a page: ``name``, ``kind`` (:data:`KINDS`), the probe rows it uses
    (``subset``, :data:`SUBSETS`) and the estimator's keyword arguments (``kwargs``)."""

    name: str
    kind: str
    subset: str = "full"
    kwargs: dict = field(default_factory=dict)


def parse_specs(specs: Sequence[Mapping[str, Any] | EstimatorSpec], *, kinds: Sequence[str] = KINDS
                ) -> list[EstimatorSpec]:
    """Validate estimator specs from a params file.

    Parameters
    ----------
    specs : sequence of mappings (or :class:`EstimatorSpec`)
        Each with ``name``, ``kind``, optional ``subset`` and the estimator's keyword arguments,
        e.g. ``{"name": "bins30", "kind": "binning", "n_bins": 30, "value_range": [-1, 1]}``
        (a list ``value_range`` becomes a tuple).
    kinds : sequence of str
        The kinds this caller accepts (a subset of :data:`KINDS`).

    Returns
    -------
    list of EstimatorSpec

    Raises
    ------
    ValueError
        Naming the spec's index and the key: a spec that is not a mapping, a missing or duplicate
        ``name``, a ``kind`` not in ``kinds``, a ``subset`` not in :data:`SUBSETS`, or a keyword
        the kind does not take.
    """
    if isinstance(specs, (Mapping, str)):
        raise ValueError("estimators: expected a list of specs (mappings with 'name' and 'kind')")
    kinds = tuple(kinds)
    out, seen = [], set()
    for i, spec in enumerate(specs):
        if isinstance(spec, EstimatorSpec):
            spec = dict(spec.kwargs, name=spec.name, kind=spec.kind, subset=spec.subset)
        if not isinstance(spec, Mapping):
            raise ValueError(f"estimators[{i}]: expected a mapping with 'name' and 'kind', got {spec!r}")
        spec = dict(spec)
        name = spec.pop("name", None)
        kind = spec.pop("kind", None)
        subset = spec.pop("subset", "full")
        if not name or not isinstance(name, str):
            raise ValueError(f"estimators[{i}]: missing 'name' (a non-empty string)")
        if name in seen:
            raise ValueError(f"estimators[{i}] ({name}): duplicate name {name!r}")
        if kind not in kinds:
            raise ValueError(f"estimators[{i}] ({name}): 'kind' must be one of {kinds}, got {kind!r}")
        if subset not in SUBSETS:
            raise ValueError(f"estimators[{i}] ({name}): 'subset' must be one of {SUBSETS}, got {subset!r}")
        unknown = sorted(set(spec) - set(KEYS[kind]))
        if unknown:
            raise ValueError(f"estimators[{i}] ({name}): unknown key(s) {unknown} for kind {kind!r} "
                             f"(it takes {list(KEYS[kind])})")
        if isinstance(spec.get("value_range"), list):
            spec["value_range"] = tuple(spec["value_range"])
        seen.add(name)
        out.append(EstimatorSpec(name, kind, subset, spec))
    return out


def _subset_rows(i: int, s: EstimatorSpec, n_train: int | None, n_probe: int | None) -> np.ndarray | None:
    if s.subset == "full":
        return None
    if n_train is None or n_probe is None:
        raise ValueError(f"estimators[{i}] ({s.name}): 'subset' {s.subset!r} needs n_train and the probe size")
    return np.arange(n_train) if s.subset == "train" else np.arange(n_train, n_probe)


def _kde_rows(rows: np.ndarray | None, n_probe: int | None, kde_samples: int | None, seed: int) -> np.ndarray | None:
    """``kde_samples`` of ``rows`` (all probe rows when ``None``), drawn once from ``seed``."""
    if kde_samples is None:
        return rows
    n = n_probe if rows is None else len(rows)
    if n is None:
        raise ValueError("kde_samples needs the probe size (n_probe or X_probe)")
    if int(kde_samples) >= n:
        return rows
    pick = np.sort(np.random.default_rng(seed).choice(n, int(kde_samples), replace=False))
    return pick if rows is None else rows[pick]


def _edge_stacked(T, y, *, X, kwargs) -> MIPair:
    """EDGE ``I(X;T)`` and ``I(T;Y)`` of every replica of ``T`` ``(R, N, d)`` (bits, arrays ``(R,)``)."""
    kx = dict(kwargs)
    ky = dict(kwargs)
    kx.setdefault("U", 12.0)  # Deep Bottleneck's caps: log2 N-ish for I(X;T), 1 bit for I(T;Y)
    ky.setdefault("U", 1.0)
    ixt = np.array([edge(X, t, **kx) for t in T])
    ity = np.array([edge(t, y.astype(np.float64), **ky) for t in T])
    return MIPair(ixt, ity)


def _ksg_stacked(T, y, *, X, kwargs) -> MIPair:
    """KSG ``I(X;T)`` and ``I(T;Y)`` of every replica of ``T`` ``(R, N, d)`` (bits, arrays ``(R,)``)."""
    y = np.asarray(y, dtype=np.float64)
    ixt = np.array([ksg(X, t, **kwargs) for t in T])
    ity = np.array([ksg(t, y, **kwargs) for t in T])
    return MIPair(ixt, ity)


def make_estimators(specs: Sequence[Mapping[str, Any] | EstimatorSpec], *, n_train: int | None = None,
                    X_probe=None, n_probe: int | None = None, run_max=None, kinds: Sequence[str] = KINDS,
                    kde_bank: str | None = None, kde_samples: int | None = None, seed: int = 0) -> dict:
    """Estimator callables ``f(T, y) -> MIPair`` for :func:`ibutils.nets.train_ensemble`, by name.

    Parameters
    ----------
    specs : estimator specs (mappings or parsed, see :func:`parse_specs`).
    n_train : int, optional
        Training rows at the start of the probe (needed by ``subset`` train/test).
    X_probe : array (N, d), optional
        The probe's inputs (needed by ``edge``); its length is the probe size.
    n_probe : int, optional
        The probe size when ``X_probe`` is not given.
    run_max : array (R,), optional
        Each replica's maximum activation over the run, for the ``run_max``/``range_max`` kinds;
        ``None`` skips those specs.
    kinds : the kinds the caller accepts.
    kde_bank : {"numpy", "tf", "auto"}, optional
        Compute all ``kde`` specs on the same rows from one distance pass
        (:class:`ibutils.mi.kde_bank.KDEBank` with this backend); ``None``: one
        :func:`ibutils.mi.kde` call each.
    kde_samples : int, optional
        Measure the KDE kinds on this many of their rows only, drawn once from ``seed``.
    seed : int
        Seed of the ``kde_samples`` draw.

    Returns
    -------
    dict
        ``name -> callable``, in the order of ``specs`` (skipped run-max specs left out).

    Raises
    ------
    ValueError
        For an invalid spec (:func:`parse_specs`) or a spec that lacks what it needs
        (``X_probe`` for ``edge`` and ``ksg``, ``n_train`` for a subset).
    """
    parsed = parse_specs(specs, kinds=kinds)
    if X_probe is not None:
        X_probe = np.asarray(X_probe, dtype=np.float64)
        n_probe = len(X_probe) if n_probe is None else int(n_probe)
    if kde_bank is not None and kde_bank not in ("numpy", "tf", "auto"):
        raise ValueError(f"kde_bank must be None, 'numpy', 'tf' or 'auto', got {kde_bank!r}")
    out: dict = {}
    banked: dict = {}  # subset -> (rows, [(name, variance, bound)])
    for i, s in enumerate(parsed):
        rows = _subset_rows(i, s, n_train, n_probe)
        if s.kind in _KDE_KINDS:
            rows = _kde_rows(rows, n_probe, kde_samples, seed)
        if s.kind == "binning":
            f = functools.partial(binning, **s.kwargs)
        elif s.kind == "kde" and kde_bank is not None:
            extra = sorted(set(s.kwargs) - {"noise_variance", "bound"})
            if extra:
                raise ValueError(f"estimators[{i}] ({s.name}): key(s) {extra} are not used with a shared KDE pass")
            kw = {**dict(noise_variance=1e-3, bound="upper"), **s.kwargs}
            banked.setdefault(s.subset, (rows, []))[1].append((s.name, float(kw["noise_variance"]), kw["bound"]))
            out[s.name] = None  # filled below, keeps the order of specs
            continue
        elif s.kind == "kde":
            f = functools.partial(kde, **s.kwargs)
        elif s.kind == "kde_sparse":
            f = functools.partial(kde_sparse, **s.kwargs)
        elif s.kind == "edge":
            if X_probe is None:
                raise ValueError(f"estimators[{i}] ({s.name}): kind 'edge' needs X_probe (the probe's inputs)")
            f = functools.partial(_edge_stacked, X=X_probe if rows is None else X_probe[rows], kwargs=s.kwargs)
        elif s.kind == "ksg":
            if X_probe is None:
                raise ValueError(f"estimators[{i}] ({s.name}): kind 'ksg' needs X_probe (the probe's inputs)")
            f = functools.partial(_ksg_stacked, X=X_probe if rows is None else X_probe[rows], kwargs=s.kwargs)
        elif s.kind == "exact":
            f = exact_mi
        else:  # run_max, range_max
            if run_max is None:
                continue
            f = RunMaxBinning(run_max, **{**RUN_MAX_DEFAULTS[s.kind], **s.kwargs})
        out[s.name] = f if rows is None else functools.partial(on_rows, f=f, rows=rows)
    for rows, members in banked.values():  # one shared distance pass per set of rows
        bank = KDEBank(sorted({v for _, v, _ in members}), sorted({b for _, _, b in members}), backend=kde_bank)
        for name, v, b in members:
            f = bank.estimator(v, b)
            out[name] = f if rows is None else functools.partial(on_rows, f=f, rows=rows)
    return out


__all__ = ["KINDS", "SUBSETS", "RUN_MAX_KINDS", "RUN_MAX_DEFAULTS", "KEYS", "EstimatorSpec", "parse_specs",
           "make_estimators"]
